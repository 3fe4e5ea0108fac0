/**
 * The HTTP layer: one function that sends a request and classifies transport failures.
 * A connection's client gets its own keep-alive agents (`createTransport`), destroyed when the
 * connection closes, so a redeploy leaves no sockets behind; one-off calls use no keep-alive.
 */
import * as http from "http";
import * as https from "https";
import axios, { AxiosError, AxiosInstance } from "axios";
import { ZohoError } from "./errors";
import { linkSignals } from "./concurrency";

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  url: string;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as-is (form and multipart bodies); anything else is sent as JSON. */
  body?: unknown;
  /**
   * "stream": `data` is the response body as a Readable (a download read as it arrives); the time
   * limit then covers the wait for the answer's head, and the body may not stay silent longer.
   */
  responseType?: "json" | "stream" | "buffer";
  /** The whole exchange (connect, send, wait, download) must finish within this time. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, the raw text otherwise, undefined when empty; a Readable for "stream". */
  data: unknown;
}

export type HttpSend = (req: HttpRequest) => Promise<HttpResponse>;

const client: AxiosInstance = axios.create({
  // Zoho's statuses are interpreted by the caller, never thrown here.
  validateStatus: () => true,
  // A redirect could carry the Authorization header elsewhere; Zoho APIs do not redirect.
  maxRedirects: 0,
  responseType: "text",
  transformResponse: [(raw: unknown) => raw],
  // Proxies come from the standard environment variables only when the user sets them.
  decompress: true,
});

export interface Transport {
  send: HttpSend;
  /** Destroy the agents' sockets; later sends fail as ABORTED. */
  close(): void;
}

interface Agents {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
}

/** One-off calls (the grant-token exchange) keep no idle sockets around. */
const oneOffAgents: Agents = { httpAgent: new http.Agent({ keepAlive: false }), httpsAgent: new https.Agent({ keepAlive: false }) };

export const httpSend: HttpSend = (req) => sendWith(req, oneOffAgents);

/** A transport with its own keep-alive agents, for one connection. */
export function createTransport(): Transport {
  const agents: Agents = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
  let closed = false;
  return {
    send: (req) => (closed ? Promise.reject(aborted()) : sendWith(req, agents)),
    close: () => {
      closed = true;
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    },
  };
}

/** Longest wait for a given-up request's socket to close (it is destroyed, so this is a safety net). */
const SOCKET_CLOSE_WAIT_MS = 10_000;

async function sendWith(req: HttpRequest, agents: Agents): Promise<HttpResponse> {
  if (req.signal?.aborted) throw aborted();
  // axios' own timeout only notices a silent socket; this deadline also ends a trickling answer.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), req.timeoutMs);
  const linked = linkSignals(req.signal, deadline.signal);
  // The outgoing request, so that a call given up on (cancelled, timed out, dropped) is reported only
  // once its socket has closed: until then Zoho may still be working on it, and its concurrency
  // slot must not be handed to the next call.
  let outgoing: { request?: http.ClientRequest; closed: boolean } = { closed: false };
  const transport = {
    request(options: http.RequestOptions, callback: (res: http.IncomingMessage) => void): http.ClientRequest {
      const request = (options.protocol === "https:" ? https : http).request(options, callback);
      outgoing = { request, closed: false };
      const state = outgoing;
      request.once("close", () => {
        state.closed = true;
      });
      return request;
    },
  };
  try {
    const isString = typeof req.body === "string" || Buffer.isBuffer(req.body);
    const stream = req.responseType === "stream";
    const buffer = req.responseType === "buffer";
    const res = await client.request({
      method: req.method,
      url: req.url,
      headers: {
        Accept: "application/json",
        ...(req.body !== undefined && !isString ? { "Content-Type": "application/json" } : {}),
        ...req.headers,
      },
      data: req.body === undefined ? undefined : isString ? req.body : JSON.stringify(req.body),
      timeout: req.timeoutMs,
      signal: linked.signal,
      httpAgent: agents.httpAgent,
      httpsAgent: agents.httpsAgent,
      transport,
      ...(stream ? { responseType: "stream", transformResponse: undefined, maxContentLength: Infinity, maxBodyLength: Infinity } : {}),
      ...(buffer ? { responseType: "arraybuffer", transformResponse: undefined, maxBodyLength: Infinity } : {}),
    } as Parameters<AxiosInstance["request"]>[0]);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      if (v !== undefined && v !== null) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
    }
    if (stream) {
      const body = res.data as import("stream").Readable;
      // The head has come: from here the body may take as long as it needs, but not stall.
      clearTimeout(timer);
      const stall = setTimeout(() => body.destroy(timedOut()), req.timeoutMs);
      body.on("data", () => stall.refresh());
      body.once("close", () => clearTimeout(stall));
      return { status: res.status, headers, data: body };
    }
    if (buffer) {
      const bytes = Buffer.from(res.data as ArrayBuffer);
      // JSON (and Zoho's error bodies) parsed; a file stays bytes.
      const json = /json/i.test(headers["content-type"] ?? "") || (bytes.length > 0 && !headers["content-type"] && (bytes[0] === 0x7b || bytes[0] === 0x5b));
      return { status: res.status, headers, data: bytes.length === 0 ? undefined : json ? parseBody(bytes.toString("utf8")) : bytes };
    }
    return { status: res.status, headers, data: parseBody(res.data) };
  } catch (err) {
    await socketClosed(outgoing);
    if (deadline.signal.aborted && !req.signal?.aborted) throw timedOut();
    throw classifyTransportError(err, req.signal);
  } finally {
    clearTimeout(timer);
    linked.dispose();
  }
}

async function socketClosed(outgoing: { request?: http.ClientRequest; closed: boolean }): Promise<void> {
  const request = outgoing.request;
  if (!request || outgoing.closed) return;
  if (!request.destroyed) request.destroy();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, SOCKET_CLOSE_WAIT_MS);
    request.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function timedOut(): ZohoError {
  return new ZohoError({ code: "TIMEOUT", key: "timeout", retryable: true, outcomeUnknown: true });
}

function parseBody(raw: unknown): unknown {
  if (typeof raw !== "string") return raw ?? undefined;
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function aborted(): ZohoError {
  return new ZohoError({ code: "ABORTED", key: "cancelled", notProcessed: false });
}

/** Timeouts and dropped connections after sending leave the outcome unknown; a refused connection does not. */
export function classifyTransportError(err: unknown, signal?: AbortSignal): ZohoError {
  if (err instanceof ZohoError) return err;
  if (signal?.aborted || axios.isCancel(err)) return aborted();
  const e = err as AxiosError & { code?: string };
  const code = e?.code ?? "";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return new ZohoError({ code: "NETWORK_ERROR", key: "cannotConnect", params: { code }, retryable: true, notProcessed: true });
  }
  if (code === "ECONNABORTED" || code === "ETIMEDOUT") return timedOut();
  return new ZohoError({
    code: "NETWORK_ERROR",
    ...(code ? { key: "connectionFailedCode", params: { code } } : { key: "connectionFailed" }),
    retryable: true,
    outcomeUnknown: true,
  });
}
