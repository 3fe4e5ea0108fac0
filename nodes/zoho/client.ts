/**
 * The Zoho CRM client: authenticated requests with the retry, rate-limit and concurrency policy.
 * Knows nothing of Node-RED. One instance per connection, shared by every node using it.
 *
 * Retry policy (README "Limits and reliability"):
 * - 429 TOO_MANY_REQUESTS: Zoho did not process the call, so it is retried (reads and writes) with
 *   exponential backoff and jitter, honouring Retry-After when present.
 * - 5xx, timeouts, dropped connections: retried only for idempotent calls (reads, COQL, metadata).
 *   A write whose outcome is unknown is never re-sent; the caller reports it.
 * - A refused connection (nothing was sent) is retried for every call.
 * - INVALID_TOKEN: refresh once, retry once.
 */
import { ZohoError } from "./errors";
import { HttpSend, httpSend } from "./transport";
import { Semaphore, abortError, sleep } from "./concurrency";
import { AccessToken, TokenManager, TokenManagerOptions } from "./accounts";

export const API_PATH = "/crm/v8";

export type QueryValue = string | number | boolean | undefined | null;

export interface ZohoRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below /crm/v8, e.g. "/Leads" or "/settings/modules". */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  /** Safe to repeat after an unknown outcome. Default: GET only. */
  idempotent?: boolean;
  /** Counts against Zoho's sub-concurrency of 10 (COQL, search, bulk writes). */
  heavy?: boolean;
  /** Return 400 answers that carry per-record results (`data` array) instead of throwing. */
  recordResults?: boolean;
  /** Statuses other than 2xx to hand back instead of throwing (e.g. 304). */
  passStatuses?: number[];
  /** Called each time the request is handed to the network (after the limiter and the token): from then on Zoho may have it. */
  onSend?: () => void;
}

export interface ZohoResponse<T = unknown> {
  status: number;
  data: T | undefined;
  headers: Record<string, string>;
}

export interface RetryPolicy {
  /** Retries after 429 (and the token throttle when waiting is short). */
  rateLimitRetries: number;
  /** Retries after 5xx/timeouts/dropped connections for idempotent calls. */
  transientRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { rateLimitRetries: 5, transientRetries: 3, baseDelayMs: 2000, maxDelayMs: 60_000 };

export interface ZohoClientOptions extends Omit<TokenManagerOptions, "send"> {
  send?: HttpSend;
  /** Calls in flight at once for this connection (Zoho counts concurrency per org and app). */
  concurrency?: number;
  /** Zoho's sub-concurrency for complex APIs. */
  heavyConcurrency?: number;
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called whenever Zoho reports the API credits left (X-API-CREDITS-REMAINING). */
  onCredits?: (remaining: number) => void;
  random?: () => number;
}

export const DEFAULT_CONCURRENCY = 5;
export const HEAVY_CONCURRENCY = 10;

export class ZohoClient {
  readonly tokens: TokenManager;
  private readonly send: HttpSend;
  private readonly limiter: Semaphore;
  private readonly heavyLimiter: Semaphore;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  creditsRemaining?: number;
  requestCount = 0;

  constructor(private readonly opts: ZohoClientOptions) {
    this.send = opts.send ?? httpSend;
    this.tokens = new TokenManager({ ...opts, send: this.send });
    const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
    this.limiter = new Semaphore(concurrency);
    this.heavyLimiter = new Semaphore(Math.min(concurrency, opts.heavyConcurrency ?? HEAVY_CONCURRENCY));
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  get concurrency(): number {
    return Math.max(1, Math.floor(this.opts.concurrency ?? DEFAULT_CONCURRENCY));
  }

  async request<T = unknown>(req: ZohoRequest): Promise<ZohoResponse<T>> {
    const idempotent = req.idempotent ?? req.method === "GET";
    let rateLimited = 0;
    let transient = 0;
    let tokenRetried = false;
    for (;;) {
      try {
        return await this.attempt<T>(req);
      } catch (err) {
        const e = err as ZohoError;
        if (!(e instanceof ZohoError) || e.code === "ABORTED") throw err;
        if (e.code === "INVALID_TOKEN" && !tokenRetried) {
          tokenRetried = true; // refresh once, retry once
          continue;
        }
        let delay: number | undefined;
        const rateLimit = e.code === "TOO_MANY_REQUESTS" || e.code === "TOKEN_RATE_LIMITED";
        if (rateLimit) {
          if (rateLimited >= this.retry.rateLimitRetries) throw e;
          delay = e.retryAfterMs ?? this.backoff(rateLimited);
          rateLimited++;
          // A token throttle lasting longer than our whole budget is reported, not waited out.
          if (e.code === "TOKEN_RATE_LIMITED" && delay > this.retry.maxDelayMs) throw e;
        } else if (e.retryable && (idempotent || e.notProcessed) && transient < this.retry.transientRetries) {
          delay = this.backoff(transient);
          transient++;
        }
        if (delay === undefined) throw e;
        await sleep(Math.min(delay, this.retry.maxDelayMs), req.signal);
      }
    }
  }

  /** Exponential backoff with full jitter. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    const rnd = (this.opts.random ?? Math.random)();
    return Math.round(cap / 2 + (rnd * cap) / 2);
  }

  private async attempt<T>(req: ZohoRequest): Promise<ZohoResponse<T>> {
    const release = await this.limiter.acquire(req.signal);
    let releaseHeavy: (() => void) | undefined;
    try {
      if (req.heavy) releaseHeavy = await this.heavyLimiter.acquire(req.signal);
      const access = await this.tokens.getAccessToken();
      if (req.signal?.aborted) throw abortError();
      req.onSend?.();
      this.requestCount++;
      const res = await this.send({
        method: req.method,
        url: access.apiBase + API_PATH + req.path + encodeQuery(req.query),
        headers: { ...req.headers, Authorization: `Zoho-oauthtoken ${access.token}` },
        body: req.body,
        timeoutMs: this.timeoutMs,
        signal: req.signal,
      });
      this.noteCredits(res.headers);
      return this.interpret<T>(res, req, access);
    } finally {
      releaseHeavy?.();
      release();
    }
  }

  private interpret<T>(res: { status: number; headers: Record<string, string>; data: unknown }, req: ZohoRequest, access: AccessToken): ZohoResponse<T> {
    const { status, data, headers } = res;
    const body = data && typeof data === "object" ? (data as Record<string, unknown>) : undefined;
    if ((status >= 200 && status < 300) || req.passStatuses?.includes(status)) {
      return { status, data: data as T, headers };
    }
    if (req.recordResults && status === 400 && Array.isArray(body?.data)) {
      return { status, data: data as T, headers };
    }
    const code = typeof body?.code === "string" ? body.code : statusCode(status);
    const message = typeof body?.message === "string" ? body.message : `HTTP ${status}`;
    if (code === "INVALID_TOKEN") {
      this.tokens.invalidate(access.token);
    }
    return throwError(status, code, message, body?.details, headers);
  }

  private noteCredits(headers: Record<string, string>): void {
    const raw = headers["x-api-credits-remaining"];
    if (raw === undefined) return;
    const n = Number(raw);
    if (Number.isFinite(n)) {
      this.creditsRemaining = n;
      this.opts.onCredits?.(n);
    }
  }
}

function throwError(status: number, code: string, message: string, details: unknown, headers: Record<string, string>): never {
  const retryAfterMs = parseRetryAfter(headers);
  if (status === 429 || code === "TOO_MANY_REQUESTS") {
    throw new ZohoError({ code: "TOO_MANY_REQUESTS", message, httpStatus: status, details, retryable: true, notProcessed: true, retryAfterMs });
  }
  if (status >= 500) {
    throw new ZohoError({ code, message, httpStatus: status, details, retryable: true, outcomeUnknown: true });
  }
  // 4xx: Zoho rejected the request before processing it.
  throw new ZohoError({ code, message, httpStatus: status, details, notProcessed: true });
}

function statusCode(status: number): string {
  if (status === 429) return "TOO_MANY_REQUESTS";
  if (status === 401) return "AUTHENTICATION_FAILURE";
  if (status === 403) return "NO_PERMISSION";
  if (status === 404) return "INVALID_URL_PATTERN";
  if (status >= 500) return "INTERNAL_ERROR";
  return `HTTP_${status}`;
}

/** Retry-After (seconds or HTTP date), or the legacy X-RATELIMIT-RESET epoch-ms header. */
export function parseRetryAfter(headers: Record<string, string>, now = Date.now()): number | undefined {
  const ra = headers["retry-after"];
  if (ra !== undefined) {
    const secs = Number(ra);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const reset = Number(headers["x-ratelimit-reset"]);
  if (Number.isFinite(reset) && reset > now) return reset - now;
  return undefined;
}

/** Every value is percent-encoded (criteria need `(`, `)`, `,` and `:` encoded). */
export function encodeQuery(query?: Record<string, QueryValue>): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}
