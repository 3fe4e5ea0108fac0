/**
 * Admin HTTP routes of the zoho-config node (mounted under Node-RED's httpAdminRoot).
 * POST zoho-config/:id/refresh-token  (zoho-config.write): exchange a grant token, store the refresh token.
 * Responses carry non-secret facts only; tokens and the client secret never leave the runtime.
 */
import type { NodeAPI } from "node-red";
import type { Request, Response } from "express";
import { createHash } from "crypto";
import { ZohoClient, ZohoError, accountsBaseUrl, exchangeGrantToken, resolveApiBase, listFields, listModules, seedAccessToken } from "../zoho";
import { moduleName } from "./node-helpers";
import { ConnectionCredentials, ConnectionSettings, createClient, credentialSource, normaliseSettings, resolveCredential, validAccountsUrl } from "./connection";
import { clientTuning } from "./config-node";
import type { ZohoConfigNode } from "./config-node";

/** What the editor sends for a password field it has a stored value for. */
export const PASSWORD_PLACEHOLDER = "__PWRD__";

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Node-RED keeps nodes and credentials in plain objects keyed by id, so an id such as
 * "constructor" or "__proto__" would reach Object.prototype (and storing credentials under
 * "__proto__" would replace the store's prototype): such ids are refused outright.
 */
export function validNodeId(id: string): boolean {
  return NODE_ID.test(id) && !Object.prototype.hasOwnProperty.call(Object.prototype, id);
}

/**
 * The route's connection id, or undefined after answering: 400 for an id Node-RED could never
 * have made, 404 for a deployed node of another type (nothing is read from or stored on it).
 */
function connectionIdOf(RED: NodeAPI, req: Request, res: Response): string | undefined {
  const id = String(req.params.id ?? "");
  if (!validNodeId(id)) {
    res.status(400).json({ error: "invalid_id", message: "Invalid node id" });
    return undefined;
  }
  const node = RED.nodes.getNode(id);
  if (node && node.type !== "zoho-config") {
    res.status(404).json({ error: "not_found", message: "No Zoho connection with this id" });
    return undefined;
  }
  return id;
}

export function registerAdminRoutes(RED: NodeAPI): void {
  RED.httpAdmin.post("/zoho-config/:id/refresh-token", RED.auth.needsPermission("zoho-config.write"), (req: Request, res: Response) => {
    handleRefreshToken(RED, req, res).catch((err) => {
      RED.log.warn(`zoho-config: refresh-token route failed: ${err instanceof Error ? err.message : "unknown error"}`);
      if (!res.headersSent) res.status(500).json({ error: "internal_error", message: "Unexpected error" });
    });
  });

  RED.httpAdmin.post("/zoho-config/:id/test", RED.auth.needsPermission("zoho-config.write"), (req: Request, res: Response) => {
    withClient(RED, req, res, async (client, settings) => {
      const [user, org] = await Promise.allSettled([
        client.request<{ users?: Array<Record<string, unknown>> }>({ method: "GET", path: "/users", query: { type: "CurrentUser" } }),
        client.request<{ org?: Array<Record<string, unknown>> }>({ method: "GET", path: "/org" }),
      ]);
      if (user.status === "rejected" && org.status === "rejected") throw user.reason;
      const u = user.status === "fulfilled" ? user.value.data?.users?.[0] : undefined;
      const o = org.status === "fulfilled" ? org.value.data?.org?.[0] : undefined;
      const license = (o?.license_details ?? {}) as Record<string, unknown>;
      const access = await client.tokens.getAccessToken();
      return {
        user: u ? { name: u.full_name ?? null, email: u.email ?? null, role: (u.role as { name?: string })?.name ?? null, profile: (u.profile as { name?: string })?.name ?? null } : null,
        org: o ? { name: o.company_name ?? null, id: o.id ?? null, edition: license.paid_type ?? (license.paid === false ? "free" : null), type: o.type ?? null, timeZone: o.time_zone ?? null } : null,
        dataCenter: settings.dataCenter,
        environment: settings.environment,
        apiDomain: access.apiBase,
        scopes: (client.tokens.scope ?? "").split(/[\s,]+/).filter(Boolean),
        warnings: [user, org].filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => errorBody(r.reason)),
        creditsRemaining: client.creditsRemaining ?? null,
      };
    });
  });

  // Where each credential comes from (stored or ${VAR}), for the dialog: never a value.
  RED.httpAdmin.get("/zoho-config/:id/credential-sources", RED.auth.needsPermission("zoho-config.read"), (req: Request, res: Response) => {
    const id = connectionIdOf(RED, req, res);
    if (id === undefined) return;
    const saved = (RED.nodes.getCredentials(id) ?? {}) as ConnectionCredentials;
    res.json({
      clientId: credentialSource(saved.clientId),
      clientSecret: credentialSource(saved.clientSecret),
      refreshToken: credentialSource(saved.refreshToken),
    });
  });

  // Live pickers for the read/write dialogs. Metadata is cached briefly per connection (metadata.ts).
  RED.httpAdmin.get("/zoho-config/:id/modules", RED.auth.needsPermission("zoho-config.read"), (req: Request, res: Response) => {
    withClient(RED, req, res, async (client) => {
      const modules = await listModules(client, { refresh: req.query.refresh === "true" });
      return {
        modules: modules
          .filter((m) => m.api_supported !== false)
          .map((m) => ({
            apiName: m.api_name,
            label: String(m.plural_label ?? m.module_name ?? m.api_name),
            singular: String(m.singular_label ?? m.plural_label ?? m.api_name),
            custom: m.generated_type === "custom",
            creatable: m.creatable !== false,
            editable: m.editable !== false,
            deletable: m.deletable !== false,
          }))
          .sort((a, b) => a.label.localeCompare(b.label)),
      };
    });
  });

  RED.httpAdmin.get("/zoho-config/:id/fields", RED.auth.needsPermission("zoho-config.read"), (req: Request, res: Response) => {
    withClient(RED, req, res, async (client) => {
      const module = moduleName(req.query.module);
      const fields = await listFields(client, module, { refresh: req.query.refresh === "true" });
      return {
        module,
        fields: fields.map((f) => ({
          apiName: f.api_name,
          label: String(f.display_label ?? f.field_label ?? f.api_name),
          dataType: f.data_type ?? null,
          sortable: f.sortable === true,
          // Zoho's `unique` is an object: {} when not unique.
          unique: !!f.unique && typeof f.unique === "object" && Object.keys(f.unique as object).length > 0,
          mandatory: f.system_mandatory === true,
          readOnly: f.read_only === true || f.field_read_only === true,
          custom: f.custom_field === true,
        })),
      };
    });
  });
}

/**
 * The connection's client for an admin route. After Refresh Token, the dialog's settings and the
 * new refresh token serve the pickers and Test connection (a "draft" client, kept briefly so
 * repeated picker calls share one access token) until the connection is next deployed; otherwise
 * the deployed node's shared client. Hosts never come from the request: a read-only user must not
 * be able to send the stored secrets to a server of their choosing.
 */
const draftSettings = new Map<string, ConnectionSettings>();
const draftClients = new Map<string, { key: string; client: ZohoClient; expires: number }>();
const DRAFT_CLIENT_TTL_MS = 10 * 60_000;

function setDraft(id: string, settings: ConnectionSettings): void {
  draftSettings.set(id, settings);
}

/** A (re)deployed connection runs with what was deployed: drafts of its dialog are done with. */
export function forgetDraft(id: string): void {
  draftSettings.delete(id);
  draftClients.get(id)?.client.close();
  draftClients.delete(id);
}

export function adminClient(RED: NodeAPI, id: string): { client: ZohoClient; settings: ConnectionSettings } {
  const now = Date.now();
  for (const [k, v] of draftClients) {
    if (v.expires < now) {
      v.client.close(); // expired drafts close their sockets
      draftClients.delete(k);
    }
  }
  const node = RED.nodes.getNode(id);
  const deployed = node && node.type === "zoho-config" ? (node as ZohoConfigNode) : null;
  const settings = draftSettings.get(id);
  const saved = RED.nodes.getCredentials(id) as ConnectionCredentials | undefined;
  if (!settings || !saved) {
    if (deployed) return { client: deployed.getClient(), settings: deployed.settings };
    throw new ZohoError({
      code: "NOT_DEPLOYED",
      key: "notDeployed",
    });
  }
  // Fingerprint only: secrets are hashed, never kept as a readable key.
  const key = createHash("sha256").update(JSON.stringify([settings, saved.clientId, saved.clientSecret, saved.refreshToken])).digest("hex");
  const cached = draftClients.get(id);
  if (cached && cached.key === key) return { client: cached.client, settings };
  cached?.client.close();
  const client = createClient(settings, saved, clientTuning(RED));
  draftClients.set(id, { key, client, expires: now + DRAFT_CLIENT_TTL_MS });
  return { client, settings };
}

function errorBody(err: unknown): { error: string; message: string } {
  if (err instanceof ZohoError) return { error: err.code, message: err.message };
  return { error: "internal_error", message: "Unexpected error" };
}

/** Shared wrapper: validate id, get a client, run, answer JSON; Zoho errors become 4xx with advice. */
export function withClient(
  RED: NodeAPI,
  req: Request,
  res: Response,
  fn: (client: ZohoClient, settings: ConnectionSettings) => Promise<unknown>,
): void {
  const id = String(req.params.id ?? "");
  if (!validNodeId(id)) {
    res.status(400).json({ error: "invalid_id", message: "Invalid node id" });
    return;
  }
  Promise.resolve()
    .then(() => {
      const { client, settings } = adminClient(RED, id);
      return fn(client, settings);
    })
    .then((result) => res.json(result))
    .catch((err) => {
      const body = errorBody(err);
      const status = err instanceof ZohoError ? httpStatusFor(err) : 500;
      if (status === 500) RED.log.warn(`zoho-config: admin route failed: ${body.message}`);
      res.status(status).json(body);
    });
}

function httpStatusFor(err: ZohoError): number {
  if (err.code === "TOKEN_RATE_LIMITED" || err.code === "TOO_MANY_REQUESTS") return 429;
  if (err.code === "NETWORK_ERROR" || err.code === "TIMEOUT" || err.code === "INTERNAL_ERROR") return 502;
  return 400;
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === "string" ? v.trim() : undefined;
}

/** A field from the dialog, or the stored credential when the dialog sent nothing or the placeholder. */
function pick(body: Record<string, unknown>, saved: ConnectionCredentials, key: "clientId" | "clientSecret"): string {
  const sent = stringField(body, key);
  if (sent && sent !== PASSWORD_PLACEHOLDER) return resolveCredential(sent);
  return resolveCredential(saved[key]);
}

async function handleRefreshToken(RED: NodeAPI, req: Request, res: Response): Promise<void> {
  if (!req.is("application/json")) {
    res.status(415).json({ error: "unsupported_media_type", message: "Send the fields as JSON (Content-Type: application/json)" });
    return;
  }
  // Never exchange a grant for (or store credentials on) a node of another type.
  const id = connectionIdOf(RED, req, res);
  if (id === undefined) return;
  const deployed = RED.nodes.getNode(id) as ZohoConfigNode | null;
  const body = (req.body && typeof req.body === "object" ? req.body : {}) as Record<string, unknown>;
  const saved = ((RED.nodes.getCredentials(id) as ConnectionCredentials | undefined) ?? {}) as ConnectionCredentials;

  const clientId = pick(body, saved, "clientId");
  const clientSecret = pick(body, saved, "clientSecret");
  const grantToken = stringField(body, "grantToken") ?? "";
  const settings: ConnectionSettings = normaliseSettings({
    dataCenter: body.dataCenter ?? deployed?.settings.dataCenter,
    environment: body.environment ?? deployed?.settings.environment,
    accountsUrl: typeof body.accountsUrl === "string" ? body.accountsUrl : deployed?.settings.accountsUrl,
    concurrency: body.concurrency ?? deployed?.settings.concurrency,
  });

  const missing = [!clientId && "Client ID", !clientSecret && "Client Secret", !grantToken && "Grant Token"].filter(Boolean);
  if (missing.length) {
    res.status(400).json({ error: "missing_fields", fields: missing, message: `Fill in: ${missing.join(", ")}` });
    return;
  }
  if (grantToken === PASSWORD_PLACEHOLDER || grantToken.length > 1024) {
    res.status(400).json({ error: "invalid_grant_token", message: "Paste the grant token generated in the Zoho API console" });
    return;
  }
  if (!validAccountsUrl(settings.accountsUrl)) {
    res.status(400).json({ error: "invalid_accounts_url", message: "The accounts URL must be an absolute http(s) URL such as https://accounts.zoho.eu" });
    return;
  }

  try {
    const accountsUrl = accountsBaseUrl(settings.dataCenter, settings.accountsUrl);
    const grant = await exchangeGrantToken({
      accountsUrl,
      clientId,
      clientSecret,
      grantToken,
    });
    // Check where the API calls would go before keeping anything.
    const apiBase = resolveApiBase(grant.apiDomain, settings.environment, settings.accountsUrl !== "");
    const merged: ConnectionCredentials = {
      ...saved,
      // Keep what the user typed (an ${ENV} reference stays a reference).
      clientId: rawOrSaved(body, saved, "clientId"),
      clientSecret: rawOrSaved(body, saved, "clientSecret"),
      refreshToken: grant.refreshToken,
      apiDomain: grant.apiDomain,
    };
    await RED.nodes.addCredentials(id, merged);
    // The access token that came with the exchange serves the first calls after Deploy.
    seedAccessToken(accountsUrl, clientId, grant);
    // The dialog's settings serve the pickers until Deploy; the running connection is left as it is
    // (the user may still press Cancel).
    setDraft(id, settings);
    RED.log.info(`zoho-config ${id}: refresh token stored (API domain ${apiBase})`);
    res.json({ apiDomain: apiBase, scope: grant.scope ?? "", issuedAt: new Date().toISOString() });
  } catch (err) {
    const e = err instanceof ZohoError ? err : new ZohoError({ code: "NETWORK_ERROR", key: "unexpectedFailure" });
    const status = e.code === "TOKEN_RATE_LIMITED" ? 429 : e.code === "NETWORK_ERROR" || e.code === "TIMEOUT" ? 502 : 400;
    res.status(status).json({ error: e.code, message: e.message });
  }
}

function rawOrSaved(body: Record<string, unknown>, saved: ConnectionCredentials, key: "clientId" | "clientSecret"): string {
  const sent = stringField(body, key);
  return sent && sent !== PASSWORD_PLACEHOLDER ? sent : saved[key] ?? "";
}
