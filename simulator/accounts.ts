/**
 * Zoho Accounts: the OAuth token endpoint, grant/refresh/access token minting and throttle, revoke; and the CRM side
 * of access tokens (authentication, scopes).
 *
 * Accounts server
 *   POST /oauth/v2/token            grant_type=authorization_code | refresh_token (form body, query string or multipart)
 *                                   errors: HTTP 200 {"error":"invalid_code"|"invalid_client"|"invalid_client_secret"|"unsupported_grant_type"}
 *                                   throttle (>10 access tokens per refresh token per 10 min): HTTP 400 "Access Denied" body
 *   POST /oauth/v2/token/revoke?token=…   {"status":"success"}; unknown token -> HTTP 400 {"error":"invalid_token","status":"failure"}
 */
import { ModuleStore } from "./store";
import { ApiError, isPlainObject, zohoToken } from "./util";
import { AccessRec, Ctx, RefreshRec, Result, SimState, header } from "./state";
import { multipartFields } from "./multipart";

export const DEFAULT_SCOPE =
  "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.users.READ ZohoCRM.org.READ ZohoCRM.coql.READ ZohoSearch.securesearch.READ";

export const THROTTLE_BODY = {
  error_description: "You have made too many requests continuously. Please try again after some time.",
  error: "Access Denied",
  status: "failure",
};
const TOKEN_PATH = "/oauth/v2/token";
const REVOKE_PATH = "/oauth/v2/token/revoke";

function normScope(scope: string | undefined): string {
  const s = (scope ?? "").split(/[\s,]+/).filter(Boolean);
  return s.length ? s.join(" ") : DEFAULT_SCOPE;
}

// ---- test-control API ------------------------------------------------------------------
export function issueGrantToken(sim: SimState, clientId: string, opts: { scope?: string; ttlMs?: number }): string {
  if (!sim.clients.has(clientId)) throw new Error(`unknown client ${clientId}`);
  const code = zohoToken();
  sim.grants.set(code, { clientId, scope: normScope(opts.scope), expiresAt: Date.now() + (opts.ttlMs ?? sim.opts.grantTokenTtlMs), used: false });
  return code;
}

export function issueRefreshToken(sim: SimState, clientId: string, scope: string | undefined, token: string): string {
  if (!sim.clients.has(clientId)) throw new Error(`unknown client ${clientId}`);
  sim.refreshTokens.set(token, { clientId, scope: normScope(scope), revoked: false, minted: [], active: [] });
  return token;
}

export function revokeRefreshToken(sim: SimState, token: string): void {
  const rt = sim.refreshTokens.get(token);
  if (!rt) return;
  rt.revoked = true;
  for (const a of rt.active) {
    const at = sim.accessTokens.get(a);
    if (at) at.revoked = true;
  }
}

// ---- Accounts server -------------------------------------------------------------------
export function processOAuth(sim: SimState, ctx: Ctx): Result {
  const params: Record<string, string> = { ...ctx.query };
  const ct = (header(ctx.headers, "content-type") ?? "").toLowerCase();
  if (ctx.raw.length) {
    if (ct.includes("multipart/form-data")) Object.assign(params, multipartFields(ctx.raw, header(ctx.headers, "content-type") ?? ""));
    else if (ct.includes("application/json")) {
      try {
        const j = JSON.parse(ctx.raw.toString("utf8"));
        if (isPlainObject(j)) for (const [k, v] of Object.entries(j)) params[k] = String(v);
      } catch {
        /* ignore */
      }
    } else for (const [k, v] of new URLSearchParams(ctx.raw.toString("utf8"))) params[k] = v;
  }
  const ok = (body: unknown): Result => ({ status: 200, body });
  if (ctx.path === REVOKE_PATH) {
    if (ctx.method !== "POST") return { status: 400, body: { error: "invalid_request", status: "failure" } };
    const token = params.token ?? "";
    const rt = sim.refreshTokens.get(token);
    if (rt && !rt.revoked) {
      revokeRefreshToken(sim, token);
      return ok({ status: "success" });
    }
    const at = sim.accessTokens.get(token);
    if (at && !at.revoked) {
      at.revoked = true;
      return ok({ status: "success" });
    }
    return { status: 400, body: { error: "invalid_token", status: "failure" } };
  }
  if (ctx.path !== TOKEN_PATH) return { status: 404, body: { error: "invalid_request" } };
  if (ctx.method !== "POST") return { status: 400, body: { error: "invalid_request" } };
  const clientId = params.client_id ?? "";
  const secret = sim.clients.get(clientId);
  if (secret === undefined) return ok({ error: "invalid_client" });
  if (params.client_secret !== secret) return ok({ error: "invalid_client_secret" });
  const grantType = params.grant_type;
  const now = Date.now();
  if (grantType === "authorization_code") {
    const g = sim.grants.get(params.code ?? "");
    if (!g || g.used || g.expiresAt <= now || g.clientId !== clientId) {
      if (g) g.used = true;
      return ok({ error: "invalid_code" });
    }
    g.used = true;
    const refresh = zohoToken();
    const rt: RefreshRec = { clientId, scope: g.scope, revoked: false, minted: [], active: [] };
    sim.refreshTokens.set(refresh, rt);
    const access = mintAccess(sim, refresh, rt);
    return ok({
      access_token: access,
      refresh_token: refresh,
      scope: g.scope,
      api_domain: apiDomain(sim),
      token_type: "Bearer",
      expires_in: sim.opts.accessTokenTtlSeconds,
    });
  }
  if (grantType === "refresh_token") {
    const token = params.refresh_token ?? "";
    const rt = sim.refreshTokens.get(token);
    if (!rt || rt.revoked || rt.clientId !== clientId) return ok({ error: "invalid_code" });
    if (sim.opts.tokenRateLimit) {
      rt.minted = rt.minted.filter((t) => t > now - 600000);
      if (rt.minted.length >= 10) return { status: 400, body: THROTTLE_BODY };
    }
    const access = mintAccess(sim, token, rt);
    sim.tokenRefreshCount++;
    return ok({
      access_token: access,
      scope: rt.scope,
      api_domain: apiDomain(sim),
      token_type: "Bearer",
      expires_in: sim.opts.accessTokenTtlSeconds,
    });
  }
  return ok({ error: "unsupported_grant_type" });
}

export function apiDomain(sim: SimState): string {
  return sim.opts.apiDomain ?? sim.url;
}

function mintAccess(sim: SimState, refresh: string, rt: RefreshRec): string {
  const token = zohoToken();
  const scopes = new Set(rt.scope.split(" ").map((s) => s.toLowerCase()));
  sim.accessTokens.set(token, { clientId: rt.clientId, refresh, scope: rt.scope, scopes, expiresAt: Date.now() + sim.opts.accessTokenTtlSeconds * 1000, revoked: false });
  rt.minted.push(Date.now());
  rt.active.push(token);
  // at most 15 active access tokens per refresh token: the 16th invalidates the oldest
  while (rt.active.length > 15) {
    const old = rt.active.shift()!;
    const a = sim.accessTokens.get(old);
    if (a) a.revoked = true;
  }
  return token;
}

// ---- access tokens on the API side (CRM here; Desk answers the same failures its own way, desk.ts) -------------
/** The request's access token: the record, or why there is none ("missing": no usable Authorization header). */
export function accessToken(sim: SimState, ctx: Ctx): AccessRec | "missing" | "invalid" {
  const auth = header(ctx.headers, "authorization");
  const m = auth ? /^Zoho-oauthtoken\s+(\S+)\s*$/i.exec(auth) : null;
  if (!m) return "missing";
  const at = sim.accessTokens.get(m[1]);
  return !at || at.revoked || at.expiresAt <= Date.now() ? "invalid" : at;
}

export function authenticate(sim: SimState, ctx: Ctx): AccessRec {
  const at = accessToken(sim, ctx);
  if (at === "missing") throw new ApiError(401, "AUTHENTICATION_FAILURE", {}, "Authentication failed");
  if (at === "invalid") throw new ApiError(401, "INVALID_TOKEN", {}, "invalid oauth token");
  return at;
}

/** Whether the token holds one of the scopes (case-insensitive). */
export function hasScope(at: AccessRec, candidates: string[]): boolean {
  return candidates.some((c) => at.scopes.has(c.toLowerCase()));
}

export function requireScope(at: AccessRec, candidates: string[]): void {
  if (!hasScope(at, candidates)) throw new ApiError(401, "OAUTH_SCOPE_MISMATCH", {}, "invalid oauth scope to access this URL");
}

/** Module scopes of a module store (or the attachments store, scope name "attachments"). */
export function requireModuleScope(at: AccessRec, store: Pick<ModuleStore, "apiName" | "custom">, ...ops: Array<"READ" | "CREATE" | "UPDATE" | "DELETE">): void {
  const names = [store.apiName.toLowerCase()];
  if (store.custom) names.push("custom");
  for (const op of ops) {
    const c = ["ZohoCRM.modules.ALL", `ZohoCRM.modules.${op}`];
    if (op !== "READ") c.push("ZohoCRM.modules.WRITE");
    for (const n of names) {
      c.push(`ZohoCRM.modules.${n}.ALL`, `ZohoCRM.modules.${n}.${op}`);
      if (op !== "READ") c.push(`ZohoCRM.modules.${n}.WRITE`);
    }
    requireScope(at, c);
  }
}

export function requireSettingsScope(at: AccessRec, what: "modules" | "fields" | "related_lists"): void {
  requireScope(at, ["ZohoCRM.settings.ALL", "ZohoCRM.settings.READ", `ZohoCRM.settings.${what}.ALL`, `ZohoCRM.settings.${what}.READ`]);
}
