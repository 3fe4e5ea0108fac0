// Small helpers shared by the simulator modules. Node built-ins only.
import * as crypto from "crypto";

export type Rec = Record<string, unknown> & { id: string };

/**
 * The simulated org lives in Asia/Kolkata (+05:30) by default, so every datetime carries an offset.
 * The simulator can change the offset (sim.setUtcOffset, see clock.ts); callers that have the simulator pass it.
 */
export const ORG_TIME_ZONE = "Asia/Kolkata";
export const DEFAULT_UTC_OFFSET_MIN = 330;

/** "+05:30", "-04:00", "+00:00" */
export function offsetSuffix(offsetMin: number): string {
  const a = Math.abs(offsetMin);
  return `${offsetMin < 0 ? "-" : "+"}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

/** ISO 8601 with offset and second precision, e.g. "2024-05-10T14:10:47+05:30" (Zoho's format). */
export function isoTime(ms: number, offsetMin: number = DEFAULT_UTC_OFFSET_MIN): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + offsetMin * 60000);
  return d.toISOString().slice(0, 19) + offsetSuffix(offsetMin);
}

export function isoDate(ms: number, offsetMin: number = DEFAULT_UTC_OFFSET_MIN): string {
  return new Date(ms + offsetMin * 60000).toISOString().slice(0, 10);
}

export function randomHex(bytes: number): string {
  return crypto.randomBytes(bytes).toString("hex");
}

/** Zoho-looking opaque token: 1000.<hex>.<hex> */
export function zohoToken(): string {
  return `1000.${randomHex(16)}.${randomHex(16)}`;
}

/** Compare two numeric id strings without converting them to JS numbers. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isNumericId(v: unknown): v is string {
  return typeof v === "string" && /^[0-9]{1,25}$/.test(v);
}

/** Deep copy of JSON-like data (records only hold JSON values). */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => cloneJson(x)) as unknown as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as Record<string, unknown>)) out[k] = cloneJson((v as Record<string, unknown>)[k]);
  return out as T;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A request-level Zoho error: {code, details, message, status:"error"} with an HTTP status. */
export class ApiError extends Error {
  constructor(
    public readonly httpStatus: number,
    public readonly code: string,
    public readonly details: Record<string, unknown> = {},
    message?: string,
  ) {
    super(message ?? code);
  }
  body(): Record<string, unknown> {
    return { code: this.code, details: this.details, message: this.message, status: "error" };
  }
}

export function errorBody(code: string, details: Record<string, unknown>, message: string): Record<string, unknown> {
  return { code, details, message, status: "error" };
}

/** 404 INVALID_URL_PATTERN: a path the CRM API does not have. */
export function urlPatternError(): ApiError {
  return new ApiError(404, "INVALID_URL_PATTERN", {}, "Please check if the URL trying to access is a correct one");
}

/** 400 INVALID_REQUEST_METHOD: a path the CRM API has, with a verb it does not take there. */
export function requestMethodError(): ApiError {
  return new ApiError(400, "INVALID_REQUEST_METHOD", {}, "The http request method type is not a valid one");
}

/** Default code/message for a bare HTTP status (used by injected faults). */
export function defaultErrorFor(status: number): { code: string; message: string } {
  switch (status) {
    case 401:
      return { code: "INVALID_TOKEN", message: "invalid oauth token" };
    case 403:
      return { code: "NO_PERMISSION", message: "permission denied" };
    case 404:
      return { code: "INVALID_URL_PATTERN", message: "Please check if the URL trying to access is a correct one" };
    case 412:
      return { code: "ALREADY_MODIFIED", message: "the record has been modified" };
    case 429:
      return { code: "TOO_MANY_REQUESTS", message: "too many requests" };
    case 400:
      return { code: "INVALID_DATA", message: "invalid data" };
    default:
      return status >= 500
        ? { code: "INTERNAL_ERROR", message: "Internal Server Error" }
        : { code: "INVALID_REQUEST", message: "invalid request" };
  }
}

/** HTTP status implied by a Zoho error code (used when a fault names a code but no status). */
export function statusForCode(code: string): number {
  switch (code) {
    case "INVALID_TOKEN":
    case "AUTHENTICATION_FAILURE":
    case "OAUTH_SCOPE_MISMATCH":
      return 401;
    case "NO_PERMISSION":
      return 403;
    case "INVALID_URL_PATTERN":
      return 404;
    case "ALREADY_MODIFIED":
      return 412;
    case "TOO_MANY_REQUESTS":
      return 429;
    case "INTERNAL_ERROR":
      return 500;
    default:
      return 400;
  }
}

/** Deterministic PRNG (mulberry32) so generated demo data is reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rnd: () => number, arr: readonly T[]): T {
  return arr[Math.floor(rnd() * arr.length)];
}

export function hmacHex(secret: string, data: string, len = 16): string {
  return crypto.createHmac("sha256", secret).update(data).digest("hex").slice(0, len);
}
