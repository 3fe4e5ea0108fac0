/**
 * Any Zoho API call with a connection (the zoho-api node): Zoho CRM on the connection's API
 * domain, or Zoho Desk on the data center's Desk host (zoho-crm-api.md §12). Knows nothing of
 * Node-RED.
 *
 * The request can only reach the connection's own hosts: the path is checked to name a resource
 * below the service's base (no scheme, no `//`, no `..`, also percent-encoded), headers cannot set
 * Authorization or Host, and the token is added by the client. GET follows the read retry policy,
 * other methods the write policy (never re-sent when the outcome is unknown). Paging reuses the
 * client's paging engine: Zoho CRM's `info.more_records` with page/page_token, Desk's from/limit.
 */
import { QueryValue, ZohoClient, isSafeUserPath } from "./client";
import { ZohoError, invalidInput } from "./errors";
import { isRecordId } from "./names";
import { CRM_PAGING, PageInfo, PagingStyle, ZohoRecord, pagedRead } from "./paging";
import { isRecordObject } from "./writes";

export type ZohoService = "crm" | "desk";
export type ApiMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export const API_METHODS: readonly ApiMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export interface ApiCallOptions {
  service: ZohoService;
  method: ApiMethod;
  /** Below the service's base: CRM `/crm/v8/Leads/…`, Desk `/tickets` (its base is /api/v1). */
  path: string;
  query?: unknown;
  /** JSON body, or with a multipart content type an object of parts (Buffer, text, or {value, options: {filename, contentType}}). */
  body?: unknown;
  headers?: unknown;
  /** Zoho Desk's organisation id (every Desk call but /organizations needs it). */
  orgId?: string;
  /** GET only: every item across Zoho's pages, as one array. */
  paginate?: boolean;
  signal?: AbortSignal;
}

export interface ApiCallResult {
  statusCode: number;
  headers: Record<string, string>;
  /** Parsed JSON, a Buffer for any other answer (a file), or undefined when empty. */
  payload: unknown;
}

const FORBIDDEN_HEADERS = new Set(["authorization", "host", "content-length", "transfer-encoding", "connection"]);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** Extra headers from a message: names and values checked; Authorization and Host refused. */
export function apiHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecordObject(value)) throw invalidInput("apiHeaders");
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) throw invalidInput("apiHeaderRefused", { name });
    if (!HEADER_NAME.test(name)) throw invalidInput("apiHeaders");
    if (v === undefined || v === null) continue;
    const text = String(v);
    if (/[\r\n\0]/.test(text)) throw invalidInput("apiHeaders");
    out[name] = text;
  }
  return out;
}

/** msg.query as query parameters: text, numbers and booleans (arrays joined by commas, as Zoho takes lists). */
export function apiQuery(value: unknown): Record<string, QueryValue> {
  if (value === undefined || value === null) return {};
  if (!isRecordObject(value)) throw invalidInput("apiQuery");
  const out: Record<string, QueryValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "__proto__") continue;
    if (Array.isArray(v)) out[k] = v.map((x) => String(x)).join(",");
    else if (v === null || v === undefined || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v as QueryValue;
    else throw invalidInput("apiQuery");
  }
  return out;
}

/** A multipart/form-data body from parts, the way Node-RED's http request node takes them. */
export function multipartBody(parts: unknown): { body: Buffer; contentType: string } {
  if (!isRecordObject(parts)) throw invalidInput("apiMultipart");
  const boundary = `----zohoApiNodeRed${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, part] of Object.entries(parts)) {
    if (!/^[^"\r\n]{1,200}$/.test(name)) throw invalidInput("apiMultipart");
    let value: unknown = part;
    let filename: string | undefined;
    let type: string | undefined;
    if (isRecordObject(part) && "value" in part) {
      value = part.value;
      const options = isRecordObject(part.options) ? part.options : {};
      filename = typeof options.filename === "string" ? options.filename : undefined;
      type = typeof options.contentType === "string" ? options.contentType : undefined;
    }
    const bytes = Buffer.isBuffer(value) ? value : typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? Buffer.from(String(value)) : undefined;
    if (!bytes) throw invalidInput("apiMultipart");
    if (Buffer.isBuffer(value) && !filename) filename = name;
    const disposition = `form-data; name="${name}"${filename ? `; filename="${filename.replace(/["\r\n]/g, "_")}"` : ""}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${filename ? `Content-Type: ${type ?? "application/octet-stream"}\r\n` : ""}\r\n`;
    chunks.push(Buffer.from(head), bytes, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Desk pages by `from` (1-based) and `limit` (≤ 100), and says "more" only by a full page. */
const DESK_PAGING: PagingStyle = {
  pageQuery: (plan) => ("page" in plan ? { from: (plan.page - 1) * plan.perPage + 1, limit: plan.perPage } : {}),
  readPage: (res, plan) => {
    const data = res.data && typeof res.data === "object" && Array.isArray((res.data as { data?: unknown }).data) ? ((res.data as { data: unknown[] }).data as ZohoRecord[]) : [];
    const info: PageInfo = { more_records: data.length >= plan.perPage, count: data.length };
    return { records: data, info, more: info.more_records };
  },
  numberedReach: 1_000_000,
};

/** A CRM answer's items: its first array other than `info` (data, users, modules, …). */
const CRM_ANY_LIST: PagingStyle = {
  ...CRM_PAGING,
  readPage: (res, plan) => {
    const base = CRM_PAGING.readPage(res, plan);
    if (base.records.length || !res.data || typeof res.data !== "object") return base;
    const key = Object.keys(res.data).find((k) => k !== "info" && Array.isArray((res.data as Record<string, unknown>)[k]));
    return key ? { ...base, records: (res.data as Record<string, ZohoRecord[]>)[key] } : base;
  },
};

/** One call (or, with paginate, every page of a GET) to a Zoho API. */
export async function callApi(client: ZohoClient, opts: ApiCallOptions): Promise<ApiCallResult> {
  if (opts.service !== "crm" && opts.service !== "desk") throw invalidInput("apiService");
  if (!API_METHODS.includes(opts.method)) throw invalidInput("apiMethod", { method: String(opts.method).slice(0, 20) });
  const api = opts.service === "desk" ? "desk" : "root";
  const headers = apiHeaders(opts.headers);
  if (opts.service === "desk") {
    const org = opts.orgId === undefined || opts.orgId === null ? "" : String(opts.orgId).trim();
    if (org) {
      if (!isRecordId(org)) throw invalidInput("apiOrgId");
      headers.orgId = org;
    }
  }
  const query = apiQuery(opts.query);
  let body = opts.body;
  if (opts.method === "GET" || opts.method === "DELETE") body = undefined;
  const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  if (body !== undefined && contentType && /^multipart\/form-data/i.test(contentType)) {
    const mp = multipartBody(body);
    for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-type") delete headers[k];
    headers["Content-Type"] = mp.contentType;
    body = mp.body;
  }

  if (!isSafeUserPath(opts.path)) throw invalidInput("apiPathInvalid");
  // Paging: CRM paths below /crm/v<n>/ through the same engine as list reads, Desk by from/limit.
  if (opts.paginate && opts.method === "GET" && (api === "desk" || /^\/crm\/v\d+\//.test(opts.path))) {
    try {
      return await everyPage(client, api, opts.path, query, headers, opts.signal);
    } catch (err) {
      throw withScopeHint(err, opts.service, opts.path);
    }
  }

  try {
    const res = await client.request<unknown>({
      method: opts.method,
      api,
      path: opts.path,
      query,
      headers,
      body,
      binary: true,
      idempotent: opts.method === "GET",
      signal: opts.signal,
    });
    return { statusCode: res.status, headers: res.headers, payload: res.data };
  } catch (err) {
    throw withScopeHint(err, opts.service, opts.path);
  }
}

/** Every item of a paged GET, as one array. */
async function everyPage(client: ZohoClient, api: "root" | "desk", path: string, query: Record<string, QueryValue>, headers: Record<string, string>, signal?: AbortSignal): Promise<ApiCallResult> {
  const { page: _p, per_page: _pp, page_token: _pt, from: _f, limit: _l, ...rest } = query;
  const desk = api === "desk";
  const items: unknown[] = [];
  for await (const page of pagedRead({
    client,
    api,
    path,
    query: rest,
    headers,
    chunks: [undefined],
    heavy: false,
    tokens: true,
    reach: desk ? 1_000_000 : 100_000,
    capReason: "list_limit",
    perPage: desk ? 100 : 200,
    maxRecords: 0,
    signal,
    style: desk ? DESK_PAGING : CRM_ANY_LIST,
  })) {
    items.push(...page.records);
  }
  return { statusCode: items.length ? 200 : 204, headers: {}, payload: items };
}

/** A scope refusal names the scope the grant needs for this path. */
function withScopeHint(err: unknown, service: ZohoService, path: string): unknown {
  if (!(err instanceof ZohoError)) return err;
  const scopeError = err.code === "OAUTH_SCOPE_MISMATCH" || err.code === "SCOPE_MISMATCH" || (service === "desk" && (err.httpStatus === 401 || err.httpStatus === 403));
  if (!scopeError) return err;
  return new ZohoError({ code: err.code, key: "apiScopeMissing", params: { zoho: err.zohoMessage || err.code, scope: scopeHint(service, path) }, httpStatus: err.httpStatus, details: err.details, advice: "", notProcessed: true });
}

/** `{{name}}` placeholders of a path filled from msg properties, each URL-encoded. */
export function fillPath(template: string, lookup: (name: string) => unknown): string {
  return template.replace(/\{\{\s*([A-Za-z_$][\w$.]*)\s*\}\}/g, (_m, name: string) => {
    const v = lookup(name);
    if (v === undefined || v === null || (typeof v === "object" && !(v instanceof Date))) throw invalidInput("apiPlaceholder", { name });
    return encodeURIComponent(String(v));
  });
}

export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === "string" && (API_METHODS as readonly string[]).includes(value.toUpperCase());
}

/** The advice for a scope error on a path: which scope the grant needs. */
export function scopeHint(service: ZohoService, path: string): string {
  if (service === "desk") return path.startsWith("/organizations") ? "Desk.basic.READ" : "Desk.tickets.READ / Desk.tickets.ALL";
  if (/^\/crm\/v\d+\/settings\//.test(path)) return "ZohoCRM.settings.ALL";
  if (/^\/crm\/v\d+\/users/.test(path)) return "ZohoCRM.users.READ";
  if (/^\/crm\/v\d+\/org/.test(path)) return "ZohoCRM.org.READ";
  if (/^\/crm\/v\d+\/coql/.test(path)) return "ZohoCRM.coql.READ";
  if (/^\/crm\/v\d+\/actions\/watch/.test(path)) return "ZohoCRM.notifications.ALL";
  return "ZohoCRM.modules.ALL";
}

