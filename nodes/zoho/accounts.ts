/**
 * Zoho Accounts (OAuth): grant-token exchange and the access-token cache.
 * The token endpoint answers most errors with HTTP 200 and an "error" key (zoho-crm-api.md §2.2),
 * so success means: 2xx AND an access_token in the body.
 */
import { createHash } from "crypto";
import { ZohoError } from "./errors";
import type { Text } from "./texts";
import { HttpSend, httpSend } from "./transport";
import { sleep } from "./concurrency";
import { Environment, apiDomainForEnvironment, isZohoApiDomain, tokenEndpoint, stripTrailingSlash } from "./datacenters";

export interface TokenGrant {
  accessToken: string;
  refreshToken?: string;
  /** Production API domain as Zoho returned it. */
  apiDomain: string;
  scope?: string;
  expiresInMs: number;
}

export interface AccountsOptions {
  accountsUrl: string;
  clientId: string;
  clientSecret: string;
  send?: HttpSend;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Exchange a single-use grant token (Self Client "Generate Code") for a refresh token. */
export async function exchangeGrantToken(opts: AccountsOptions & { grantToken: string }): Promise<TokenGrant> {
  const grant = await postToken(opts, { grant_type: "authorization_code", code: opts.grantToken });
  if (!grant.refreshToken) {
    throw new ZohoError({
      code: "NO_REFRESH_TOKEN",
      key: "noRefreshTokenReturned",
      advice: "newGrantToken",
    });
  }
  return grant;
}

export async function refreshAccessToken(opts: AccountsOptions & { refreshToken: string }): Promise<TokenGrant> {
  return postToken(opts, { grant_type: "refresh_token", refresh_token: opts.refreshToken });
}

async function postToken(opts: AccountsOptions, params: Record<string, string>): Promise<TokenGrant> {
  if (!opts.clientId || !opts.clientSecret) {
    throw new ZohoError({ code: "MISSING_CREDENTIALS", key: "missingCredentials" });
  }
  const form = new URLSearchParams({ ...params, client_id: opts.clientId, client_secret: opts.clientSecret }).toString();
  const res = await (opts.send ?? httpSend)({
    method: "POST",
    url: tokenEndpoint(opts.accountsUrl),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form,
    timeoutMs: opts.timeoutMs ?? 30000,
    signal: opts.signal,
  });
  const body = (res.data && typeof res.data === "object" ? res.data : {}) as Record<string, unknown>;
  if (res.status >= 200 && res.status < 300 && typeof body.access_token === "string" && body.access_token) {
    return {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
      apiDomain: typeof body.api_domain === "string" ? stripTrailingSlash(body.api_domain) : "",
      scope: typeof body.scope === "string" ? body.scope : undefined,
      expiresInMs: expiryMs(body),
    };
  }
  throw tokenError(res.status, body, params.grant_type);
}

/** Older Zoho answers carried expires_in in ms next to expires_in_sec; current ones give seconds. */
function expiryMs(body: Record<string, unknown>): number {
  const seconds = Number(body.expires_in_sec);
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  const value = Number(body.expires_in);
  return Number.isFinite(value) && value > 0 ? value * 1000 : 3600 * 1000;
}

function tokenError(status: number, body: Record<string, unknown>, grantType?: string): ZohoError {
  const error = typeof body.error === "string" ? body.error : "";
  if (error === "Access Denied" || /too many requests/i.test(String(body.error_description ?? ""))) {
    return new ZohoError({
      code: "TOKEN_RATE_LIMITED",
      message: String(body.error_description || "Access Denied"),
      httpStatus: status,
      retryable: true,
      notProcessed: true,
    });
  }
  if (error === "invalid_code" && grantType === "refresh_token") {
    return new ZohoError({
      code: "invalid_code",
      key: "refreshTokenRejected",
      httpStatus: status,
      advice: "refreshTokenRevoked",
    });
  }
  if (error) return new ZohoError({ code: error, message: String(body.error_description || error), httpStatus: status });
  if (status >= 500 || status === 429) {
    return new ZohoError({ code: status === 429 ? "TOKEN_RATE_LIMITED" : "INTERNAL_ERROR", key: "accountsHttp", params: { status }, httpStatus: status, retryable: true, notProcessed: status === 429 });
  }
  return new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "accountsNoToken", params: { status }, httpStatus: status, advice: "checkAccountsUrl" });
}

export interface TokenManagerOptions {
  accountsUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  environment: Environment;
  /** api_domain remembered with the refresh token, used until the first refresh answers. */
  apiDomain?: string;
  /** Only when the accounts server was set explicitly may it hand out a non-Zoho API domain. */
  trustAnyApiDomain?: boolean;
  send?: HttpSend;
  timeoutMs?: number;
  /** Refresh this long before the token expires (Zoho tokens live an hour). */
  refreshMarginMs?: number;
  /** First cool-down after Zoho's "Access Denied" throttle; doubles on each repeat, capped. */
  throttleCooldownMs?: number;
  maxThrottleCooldownMs?: number;
  /** Bounded retries of transient token-endpoint faults (5xx, network). */
  transientRetries?: number;
  retryBaseDelayMs?: number;
  /** Aborted when the connection closes: an in-flight refresh and its retry waits stop. */
  signal?: AbortSignal;
  /** Troubleshooting output; never receives a token or secret. */
  log?: (message: string) => void;
  now?: () => number;
}

export interface AccessToken {
  token: string;
  /** Base URL for CRM calls (environment host applied). */
  apiBase: string;
  expiresAt: number;
}

/**
 * What one refresh token has bought: its current access token and any "Access Denied" cool-down.
 * Kept at process level, not on a connection, because the editor deploys *full* by default: a
 * cache on the node object dies at every Deploy, and Zoho allows only 10 new access tokens per
 * refresh token per 10 minutes before it locks the user out.
 */
interface TokenState {
  token?: string;
  /** The API domain Zoho returned with the token (production host; environments apply per client). */
  apiDomain?: string;
  expiresAt: number;
  scope?: string;
  /** The refresh shared by every connection holding this refresh token. */
  inflight?: Promise<void>;
  throttledUntil: number;
  throttleCooldown?: number;
}

const tokenStates = new Map<string, TokenState>();

/** Accounts server + client ID + a hash of the refresh token: the token itself is never a key. */
export function tokenCacheKey(accountsUrl: string, clientId: string, refreshToken: string): string {
  const tokenHash = createHash("sha256").update(refreshToken).digest("hex");
  return createHash("sha256").update(JSON.stringify([stripTrailingSlash(accountsUrl), clientId, tokenHash])).digest("hex");
}

function tokenState(key: string): TokenState {
  let state = tokenStates.get(key);
  if (!state) {
    // Forget states whose token has expired and that hold no cool-down, so the map stays small.
    const now = Date.now();
    for (const [k, s] of tokenStates) if (!s.inflight && s.expiresAt < now && s.throttledUntil < now) tokenStates.delete(k);
    state = { expiresAt: 0, throttledUntil: 0 };
    tokenStates.set(key, state);
  }
  return state;
}

/** The grant-token exchange hands back an access token too: keep it rather than mint another. */
export function seedAccessToken(accountsUrl: string, clientId: string, grant: TokenGrant, now = Date.now()): void {
  if (!grant.refreshToken) return;
  const state = tokenState(tokenCacheKey(accountsUrl, clientId, grant.refreshToken));
  state.token = grant.accessToken;
  state.apiDomain = grant.apiDomain;
  state.scope = grant.scope;
  state.expiresAt = now + grant.expiresInMs;
}

/** Forget every cached access token and cool-down (tests; a process that wants a clean start). */
export function clearTokenCache(): void {
  tokenStates.clear();
}

/**
 * One per connection, over the process-level state of its refresh token: hands out the cached
 * access token, refreshes shortly before expiry, and makes concurrent callers (of every
 * connection with the same refresh token) share a single in-flight refresh.
 */
export class TokenManager {
  private readonly key: string;
  /** Refreshes this manager made itself (troubleshooting and tests). */
  refreshCount = 0;

  constructor(private readonly opts: TokenManagerOptions) {
    this.key = tokenCacheKey(opts.accountsUrl, opts.clientId, opts.refreshToken);
  }

  private get state(): TokenState {
    return tokenState(this.key);
  }

  get scope(): string | undefined {
    return this.state.scope;
  }

  /** Which credentials are set (never their values). */
  credentialsPresent(): { clientId: boolean; clientSecret: boolean; refreshToken: boolean } {
    return { clientId: !!this.opts.clientId, clientSecret: !!this.opts.clientSecret, refreshToken: !!this.opts.refreshToken };
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private log(message: string): void {
    try {
      this.opts.log?.(message);
    } catch {
      /* logging must never break a refresh */
    }
  }

  async getAccessToken(): Promise<AccessToken> {
    const margin = this.opts.refreshMarginMs ?? 5 * 60_000;
    const state = this.state;
    if (state.token && state.expiresAt - margin > this.now()) return this.accessOf(state);
    return this.refresh();
  }

  private accessOf(state: TokenState): AccessToken {
    const apiBase = resolveApiBase(state.apiDomain || this.opts.apiDomain || "", this.opts.environment, !!this.opts.trustAnyApiDomain);
    return { token: state.token!, apiBase, expiresAt: state.expiresAt };
  }

  /** Called after Zoho rejected `token` with INVALID_TOKEN: the next caller gets a fresh one. */
  invalidate(token: string): void {
    const state = this.state;
    if (state.token === token) {
      state.token = undefined;
      state.expiresAt = 0;
    }
  }

  async refresh(): Promise<AccessToken> {
    const state = this.state;
    if (!state.inflight) {
      state.inflight = this.doRefresh(state).finally(() => {
        state.inflight = undefined;
      });
    }
    try {
      await state.inflight;
    } catch (err) {
      // A refresh started by a connection that has since closed ends as ABORTED; this one is still open.
      if (!(err instanceof ZohoError && err.code === "ABORTED") || this.opts.signal?.aborted) throw err;
      return this.refresh();
    }
    if (!state.token) throw new ZohoError({ code: "INVALID_TOKEN", key: "tokenWithdrawn", retryable: true, notProcessed: true });
    return this.accessOf(state);
  }

  private async doRefresh(state: TokenState): Promise<void> {
    if (!this.opts.refreshToken) throw new ZohoError({ code: "NO_REFRESH_TOKEN", key: "noRefreshToken" });
    const baseCooldown = this.opts.throttleCooldownMs ?? 60_000;
    const wait = state.throttledUntil - this.now();
    if (wait > 0) {
      throw new ZohoError({
        code: "TOKEN_RATE_LIMITED",
        key: "tokenThrottled",
        params: { seconds: Math.ceil(wait / 1000) },
        retryable: true,
        notProcessed: true,
        retryAfterMs: wait,
      });
    }
    const retries = this.opts.transientRetries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        const grant = await refreshAccessToken({
          accountsUrl: this.opts.accountsUrl,
          clientId: this.opts.clientId,
          clientSecret: this.opts.clientSecret,
          refreshToken: this.opts.refreshToken,
          send: this.opts.send,
          timeoutMs: this.opts.timeoutMs,
          signal: this.opts.signal,
        });
        // Where calls would go is checked before the token is kept.
        const apiBase = resolveApiBase(grant.apiDomain || state.apiDomain || this.opts.apiDomain || "", this.opts.environment, !!this.opts.trustAnyApiDomain);
        state.throttleCooldown = baseCooldown;
        this.refreshCount++;
        state.token = grant.accessToken;
        state.apiDomain = grant.apiDomain || state.apiDomain;
        state.scope = grant.scope ?? state.scope;
        state.expiresAt = this.now() + grant.expiresInMs;
        this.log(`new access token (valid ${Math.round(grant.expiresInMs / 1000)} s, API domain ${apiBase})`);
        return;
      } catch (err) {
        const e = err instanceof ZohoError ? err : new ZohoError({ code: "NETWORK_ERROR", key: "tokenRequestFailed", retryable: true });
        if (e.code === "TOKEN_RATE_LIMITED") {
          // Back off instead of hammering: the throttle only clears after a quiet period.
          const cooldown = state.throttleCooldown ?? baseCooldown;
          state.throttledUntil = this.now() + cooldown;
          this.log(`Zoho throttled token requests (Access Denied); no new attempt for ${Math.round(cooldown / 1000)} s`);
          state.throttleCooldown = Math.min(cooldown * 2, this.opts.maxThrottleCooldownMs ?? 15 * 60_000);
          throw e;
        }
        if (e.code === "invalid_code") {
          // Revoked refresh token: nothing cached for it is any good.
          state.token = undefined;
          state.expiresAt = 0;
        }
        if (!e.retryable || attempt >= retries) throw e;
        const base = this.opts.retryBaseDelayMs ?? 1000;
        this.log(`token request failed (${e.code}); retrying in ${base * 2 ** attempt} ms`);
        await sleep(base * 2 ** attempt, this.opts.signal);
      }
    }
  }
}

/** Where CRM calls go: the returned api_domain, checked, with the environment's host applied. */
export function resolveApiBase(apiDomain: string, environment: Environment, trustAnyApiDomain: boolean): string {
  if (!apiDomain) {
    throw new ZohoError({ code: "UNTRUSTED_API_DOMAIN", key: "noApiDomain" });
  }
  const base = apiDomainForEnvironment(apiDomain, environment);
  if (!trustAnyApiDomain && !isZohoApiDomain(base)) {
    throw new ZohoError({ code: "UNTRUSTED_API_DOMAIN", key: "untrustedApiDomain", params: { host: safeHost(base) } });
  }
  if (!/^https?:\/\//.test(base)) {
    throw new ZohoError({ code: "UNTRUSTED_API_DOMAIN", key: "apiDomainNotHttp" });
  }
  return base;
}

function safeHost(url: string): string | Text {
  try {
    return new URL(url).host;
  } catch {
    return { key: "values.invalidUrl" };
  }
}
