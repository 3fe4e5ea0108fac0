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
 *
 * Concurrency: one limiter per connection for every call, and Zoho's sub-concurrency of 10 for the
 * heavy ones (COQL, search, bulk writes), taken first so a heavy call waiting for its turn does not
 * hold one of the connection's slots. Waiting calls are served round-robin between owners (one read,
 * one write message), and repeated 429s lower the in-flight limit for a while (AIMD). A call that
 * was sent keeps its slot until it is done on the wire, even when its caller has given up on it.
 * `close()` (the connection is redeployed or stopped) ends every call and wait at once and
 * destroys the connection's sockets.
 */
import { ZohoError } from "./errors";
import { HttpSend, Transport, createTransport } from "./transport";
import { Semaphore, abortError, linkSignals, sharedSignal, sleep, untilAborted } from "./concurrency";
import { AccessToken, TokenManager, TokenManagerOptions } from "./accounts";

export const API_PATH = "/crm/v8";

/**
 * Which Zoho API a request goes to: the CRM REST API, the bulk API (`/crm/bulk/v8`, same host) or
 * the file host for Bulk Write uploads (`content.zohoapis.<tld>`; with an accounts-URL override —
 * a proxy, the simulator — the API domain that accounts server returned).
 */
export type ZohoApi = "crm" | "bulk" | "files" | "root" | "desk";
/** Below the base: "root" is the API domain itself (the zoho-api node's CRM paths start with /crm/…). */
const API_PATHS: Record<ZohoApi, string> = { crm: API_PATH, bulk: "/crm/bulk/v8", files: API_PATH, root: "", desk: "/api/v1" };

/** Zoho Desk's host for each CRM API domain's top-level domain (zoho-crm-api.md §12). */
const DESK_HOSTS: Record<string, string> = {
  "zohoapis.com": "desk.zoho.com",
  "zohoapis.eu": "desk.zoho.eu",
  "zohoapis.in": "desk.zoho.in",
  "zohoapis.com.au": "desk.zoho.com.au",
  "zohoapis.com.cn": "desk.zoho.com.cn",
  "zohoapis.jp": "desk.zoho.jp",
  "zohoapis.ca": "desk.zohocloud.ca",
  "zohoapis.sa": "desk.zoho.sa",
};

/** The base URL of an API for a connection's API domain. */
export function apiBaseFor(api: ZohoApi, apiBase: string): string {
  if (api === "desk") {
    // Desk lives on desk.zoho.<tld>; with an accounts-URL override (a proxy, the simulator) every
    // service is reached on the API domain that accounts server returned.
    try {
      const url = new URL(apiBase);
      const m = /^(?:www|sandbox|developer)\.(zohoapis\..+)$/.exec(url.hostname);
      const host = m ? DESK_HOSTS[m[1]] : undefined;
      return host ? `https://${host}` : apiBase;
    } catch {
      return apiBase;
    }
  }
  if (api !== "files") return apiBase;
  try {
    const url = new URL(apiBase);
    // www., sandbox. or developer.zohoapis.<tld> → content.zohoapis.<tld>
    const m = /^(?:www|sandbox|developer)\.(zohoapis\..+)$/.exec(url.hostname);
    if (!m) return apiBase;
    url.hostname = `content.${m[1]}`;
    return url.toString().replace(/\/$/, "");
  } catch {
    return apiBase;
  }
}

export type QueryValue = string | number | boolean | undefined | null;

export interface ZohoRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** Default "crm" (paths below /crm/v8). */
  api?: ZohoApi;
  /** Hand the body back as a Readable (a download), not parsed. Errors (non-2xx) are still read and thrown. */
  stream?: boolean;
  /** JSON answers parsed, any other answer (a file) as a Buffer. */
  binary?: boolean;
  /**
   * An absolute URL Zoho named (a bulk job's download URL) instead of `path`: used only when it is
   * on the connection's own API host, or on a Zoho host for a connection with Zoho's own hosts.
   */
  url?: string;
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
  /** Called when an attempt ended in a way that proves Zoho did not process it (429, refused connection). */
  onNotProcessed?: () => void;
  /**
   * Who the call is for (one read, one write message): waiting calls are served round-robin
   * between owners, so one big job cannot hold a small one behind all of its calls.
   */
  owner?: object;
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

export interface ZohoClientOptions extends Omit<TokenManagerOptions, "send" | "log" | "signal"> {
  send?: HttpSend;
  /** Calls in flight at once for this connection (Zoho counts concurrency per org and app). */
  concurrency?: number;
  /** Zoho's sub-concurrency for complex APIs. */
  heavyConcurrency?: number;
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** First wait before asking a bulk job's state (doubles up to 30 s); settings.js zohoCrm.bulkPollMs. */
  bulkPollMs?: number;
  /** Called whenever Zoho reports the API credits left (X-API-CREDITS-REMAINING). */
  onCredits?: (remaining: number) => void;
  /** Troubleshooting output (never holds a token or secret): retries at debug, every call at trace. */
  log?: ClientLog;
  random?: () => number;
}

export type ClientLog = (level: "debug" | "trace", message: string) => void;

export const DEFAULT_CONCURRENCY = 5;
export const HEAVY_CONCURRENCY = 10;

/**
 * Backing off as a group (AIMD): after repeated 429s the connection halves its own in-flight limit,
 * then raises it by one for each limit's worth of calls that succeed, up to the configured value.
 * So a Concurrency set above the edition's limit converges instead of hammering Zoho.
 */
const AIMD_REPEATS = 2;

export class ZohoClient {
  readonly tokens: TokenManager;
  private readonly send: HttpSend;
  private readonly transport?: Transport;
  private readonly limiter: Semaphore;
  private readonly heavyLimiter: Semaphore;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly closer = new AbortController();
  private readonly closed: AbortSignal;
  creditsRemaining?: number;
  requestCount = 0;
  /** Bumped at each decrease: a 429 for a call sent before it says nothing about the new limit. */
  private limitEpoch = 0;
  private rateLimitedInEpoch = 0;
  private successesSinceChange = 0;

  constructor(private readonly opts: ZohoClientOptions) {
    if (!opts.send) this.transport = createTransport();
    this.send = opts.send ?? this.transport!.send;
    this.closed = sharedSignal(this.closer);
    this.tokens = new TokenManager({
      ...opts,
      send: this.send,
      timeoutMs: opts.timeoutMs ?? opts.requestTimeoutMs,
      signal: this.closed,
      log: opts.log ? (message) => opts.log!("debug", message) : undefined,
    });
    const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
    this.limiter = new Semaphore(concurrency);
    this.heavyLimiter = new Semaphore(Math.min(concurrency, opts.heavyConcurrency ?? HEAVY_CONCURRENCY));
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  /** First wait before asking a bulk job's state. */
  get bulkPollMs(): number {
    return this.opts.bulkPollMs ?? 2000;
  }

  /** The configured Concurrency of the connection. */
  get concurrency(): number {
    return Math.max(1, Math.floor(this.opts.concurrency ?? DEFAULT_CONCURRENCY));
  }

  /** Calls allowed in flight right now: the configured Concurrency, lowered after repeated 429s. */
  get concurrencyLimit(): number {
    return this.limiter.currentLimit;
  }

  /** Calls in flight and waiting for a slot (troubleshooting and tests). */
  get load(): { inFlight: number; waiting: number } {
    return { inFlight: this.limiter.inFlight, waiting: this.limiter.waiting };
  }

  /** A 429 answered a call sent at `epoch`: the second one under the current limit halves it. */
  private noteRateLimited(epoch: number): void {
    this.successesSinceChange = 0;
    if (epoch !== this.limitEpoch || ++this.rateLimitedInEpoch < AIMD_REPEATS) return;
    const current = this.limiter.currentLimit;
    const lowered = Math.max(1, Math.floor(current / 2));
    this.limitEpoch++;
    this.rateLimitedInEpoch = 0;
    if (lowered < current) {
      this.limiter.setLimit(lowered);
      this.heavyLimiter.setLimit(Math.min(lowered, this.opts.heavyConcurrency ?? HEAVY_CONCURRENCY));
      this.log("debug", `repeated 429 TOO_MANY_REQUESTS: calls in flight lowered from ${current} to ${lowered}`);
    }
  }

  private noteSuccess(): void {
    const current = this.limiter.currentLimit;
    if (current >= this.concurrency) return;
    if (++this.successesSinceChange < current) return;
    this.successesSinceChange = 0;
    this.limitEpoch++;
    this.rateLimitedInEpoch = 0;
    this.limiter.setLimit(current + 1);
    this.heavyLimiter.setLimit(Math.min(current + 1, this.opts.heavyConcurrency ?? HEAVY_CONCURRENCY));
  }

  /** Stop everything now: calls in flight and waiting end as ABORTED, sockets are destroyed. */
  close(): void {
    if (this.closed.aborted) return;
    this.closer.abort();
    this.transport?.close();
  }

  async request<T = unknown>(req: ZohoRequest): Promise<ZohoResponse<T>> {
    checkTarget(req);
    // Serialised once, up front: a body JSON cannot carry fails here, before anything is sent.
    let body = req.body;
    let headers = req.headers;
    // Strings and Buffers (a multipart upload) go as they are, with the caller's Content-Type.
    if (body !== undefined && typeof body !== "string" && !Buffer.isBuffer(body)) {
      try {
        body = JSON.stringify(body);
      } catch {
        throw new ZohoError({ code: "INVALID_INPUT", key: "notJson", advice: "notJson", notProcessed: true });
      }
      headers = { "Content-Type": "application/json", ...req.headers };
    }
    const linked = linkSignals(req.signal, this.closed);
    try {
      return await this.run<T>({ ...req, body, headers, signal: linked.signal });
    } finally {
      linked.dispose();
    }
  }

  private async run<T>(req: ZohoRequest): Promise<ZohoResponse<T>> {
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
        if (e.notProcessed && !e.outcomeUnknown) req.onNotProcessed?.();
        if (e.code === "INVALID_TOKEN" && !tokenRetried) {
          tokenRetried = true; // refresh once, retry once
          this.log("debug", `${describe(req)}: access token rejected (INVALID_TOKEN); refreshing it and trying once more`);
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
        const wait = Math.min(delay, this.retry.maxDelayMs);
        this.log("debug", `${describe(req)}: ${e.code}${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ""}; retrying in ${wait} ms`);
        await sleep(wait, req.signal);
      }
    }
  }

  /** Exponential backoff with full jitter. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    const rnd = (this.opts.random ?? Math.random)();
    return Math.round(cap / 2 + (rnd * cap) / 2);
  }

  private log(level: "debug" | "trace", message: string): void {
    try {
      this.opts.log?.(level, message);
    } catch {
      /* logging must never break a call */
    }
  }

  private async attempt<T>(req: ZohoRequest): Promise<ZohoResponse<T>> {
    const releaseHeavy = req.heavy ? await this.heavyLimiter.acquire(req.signal, req.owner) : undefined;
    let release: (() => void) | undefined;
    let handedOff = false;
    try {
      release = await this.limiter.acquire(req.signal, req.owner);
      // The refresh is shared by every caller; this caller only stops waiting for it when stopped.
      const access = await untilAborted(this.tokens.getAccessToken(), req.signal);
      if (req.signal?.aborted) throw abortError();
      req.onSend?.();
      this.requestCount++;
      const epoch = this.limitEpoch;
      const started = Date.now();
      // Once sent, the call runs to its end even when its caller gives up on it (a read that has
      // what it needs, a stopped node): Zoho is working on it and counts it against the org's
      // concurrency, so its slot is given back only when its socket is done with it (answered,
      // timed out, or the connection closed). Only closing the connection cuts it short.
      const api = req.api ?? "crm";
      const call = this.send({
        method: req.method,
        url: req.url !== undefined ? trustedUrl(req.url, access.apiBase) : apiBaseFor(api, access.apiBase) + API_PATHS[api] + req.path + encodeQuery(req.query),
        headers: { ...req.headers, Authorization: `Zoho-oauthtoken ${access.token}` },
        body: req.body,
        timeoutMs: this.timeoutMs,
        signal: this.closed,
        responseType: req.stream ? "stream" : req.binary ? "buffer" : undefined,
      });
      const releaseSlots = () => {
        release?.();
        releaseHeavy?.();
      };
      // A download keeps its slot until its body has been read (or dropped).
      call.then((res) => (isStream(res.data) ? res.data.once("close", releaseSlots) : releaseSlots()), releaseSlots);
      handedOff = true;
      const res = await untilAborted(call, req.signal).catch((err: unknown) => {
        if (err instanceof ZohoError && err.code !== "ABORTED") this.log("trace", `${describe(req)} → ${err.code} after ${Date.now() - started} ms`);
        throw err;
      });
      this.log("trace", `${describe(req)} → ${res.status} in ${Date.now() - started} ms`);
      if (isStream(res.data) && (res.status < 200 || res.status >= 300)) res.data = await readError(res.data);
      this.noteCredits(res.headers);
      if (res.status === 429) this.noteRateLimited(epoch);
      else if (res.status < 500) this.noteSuccess();
      return this.interpret<T>(res, req, access);
    } finally {
      if (!handedOff) {
        release?.();
        releaseHeavy?.();
      }
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
    // CRM answers {code, message}; Zoho Desk {errorCode, message}.
    const code = typeof body?.code === "string" ? body.code : typeof body?.errorCode === "string" ? body.errorCode : statusCode(status);
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

/** Zoho's own hosts (API, file and download hosts) in any data center. */
const ZOHO_HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:zohoapis|zoho|zohocloud)\.(?:com|eu|in|com\.au|com\.cn|jp|ca|sa|uk|ae)$/;

/** A URL Zoho handed out, checked before a token goes with it. */
function trustedUrl(url: string, apiBase: string): string {
  let target: URL;
  let base: URL;
  try {
    target = new URL(url);
    base = new URL(apiBase);
  } catch {
    throw new ZohoError({ code: "UNTRUSTED_API_DOMAIN", key: "untrustedApiDomain", params: { host: "an invalid URL" } });
  }
  const sameHost = target.protocol === base.protocol && target.host === base.host;
  const zohoHost = target.protocol === "https:" && ZOHO_HOST.test(target.hostname) && ZOHO_HOST.test(base.hostname);
  if ((!sameHost && !zohoHost) || target.username || target.password) {
    throw new ZohoError({ code: "UNTRUSTED_API_DOMAIN", key: "untrustedApiDomain", params: { host: target.host } });
  }
  return target.toString();
}

function isStream(value: unknown): value is import("stream").Readable {
  return !!value && typeof (value as { pipe?: unknown }).pipe === "function" && typeof (value as { on?: unknown }).on === "function";
}

/** The (small) error body of a streamed answer, parsed like any other. */
async function readError(body: import("stream").Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) break; // an error body is never this large
    chunks.push(chunk as Buffer);
  }
  body.destroy();
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
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

/** Longest path + query sent: servers refuse longer request lines (Node's own limit is 16 KB). */
export const MAX_URL_LENGTH = 15_000;
const SAFE_PATH = /^(?:\/[A-Za-z0-9_$.-]+)+$/;

/** Defence in depth: whatever a caller builds, no request leaves the API path or grows unbounded. */
/**
 * A path given by a user (the zoho-api node): RFC 3986 path characters and %-escapes only, no
 * empty, "." or ".." segments (also when percent-decoded), no scheme, query or fragment — so it can
 * only name a resource below the service's base, never another host.
 */
const USER_PATH = /^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+)+$/;

export function isSafeUserPath(path: unknown): boolean {
  if (typeof path !== "string" || !USER_PATH.test(path)) return false;
  return path.split("/").slice(1).every((seg) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      return false;
    }
    return decoded !== "." && decoded !== ".." && !decoded.includes("/") && !decoded.includes("\\");
  });
}

function checkTarget(req: ZohoRequest): void {
  const userPath = req.api === "root" || req.api === "desk";
  const safe = userPath ? isSafeUserPath(req.path) : typeof req.path === "string" && SAFE_PATH.test(req.path) && !req.path.split("/").some((seg) => seg === "." || seg === "..");
  if (!safe) {
    throw new ZohoError({ code: "INVALID_INPUT", key: "apiPath", advice: "" });
  }
  const length = API_PATHS[req.api ?? "crm"].length + req.path.length + encodeQuery(req.query).length;
  if (length > MAX_URL_LENGTH) {
    throw new ZohoError({
      code: "INVALID_INPUT",
      key: "urlTooLong",
      params: { length },
      advice: "urlTooLong",
    });
  }
}

/** Method and path with the query, page tokens left out, for the log. */
function describe(req: ZohoRequest): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(req.query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    parts.push(`${k}=${/token/i.test(k) ? "…" : String(v)}`);
  }
  const text = `${req.method} ${API_PATHS[req.api ?? "crm"]}${req.path}${parts.length ? `?${parts.join("&")}` : ""}`;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
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
