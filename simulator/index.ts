/**
 * Zoho CRM + Zoho Accounts simulator (test double), written to /work/shared/zoho-crm-api.md.
 * Node built-ins only; listens on 127.0.0.1 by default.
 *
 * Accounts server
 *   POST /oauth/v2/token            grant_type=authorization_code | refresh_token (form body, query string or multipart)
 *                                   errors: HTTP 200 {"error":"invalid_code"|"invalid_client"|"invalid_client_secret"|"unsupported_grant_type"}
 *                                   throttle (>10 access tokens per refresh token per 10 min): HTTP 400 "Access Denied" body
 *   POST /oauth/v2/token/revoke?token=…   {"status":"success"}; unknown token -> HTTP 400 {"error":"invalid_token","status":"failure"}
 *
 * CRM API (base /crm/v8, header "Authorization: Zoho-oauthtoken <token>")
 *   GET    /crm/v8/{module}                 list (fields required, page / page_token, sort_by, sort_order, cvid, ids, converted, If-Modified-Since)
 *   GET    /crm/v8/{module}/{id}            single record, all fields. Unknown id -> 400 INVALID_DATA
 *                                           {"details":{"id":…},"message":"the id given seems to be invalid"} (the doc is unsure
 *                                           between this and 204; the simulator picks the explicit error).
 *   GET    /crm/v8/{module}/actions/count   {"count":N} (criteria/email/phone/word optional)
 *   GET    /crm/v8/{module}/search          criteria > email > phone > word
 *   GET    /crm/v8/{module}/deleted         recycle bin entries of records deleted through the API
 *   POST   /crm/v8/coql                     {"select_query":"…"}
 *   POST   /crm/v8/{module}                 insert      PUT /crm/v8/{module}[/{id}]   update
 *   POST   /crm/v8/{module}/upsert          upsert      DELETE /crm/v8/{module}?ids=…  or /{module}/{id}  delete
 *   GET    /crm/v8/settings/modules[/{api_name}], /crm/v8/settings/fields?module=X, /crm/v8/org, /crm/v8/users?type=CurrentUser
 *
 * Simulator helpers (loopback only, not recorded in sim.requests, not subject to faults/latency):
 *   GET /__sim/grant-token?client_id=…&scope=…[&ttl_ms=…]  -> {"grant_token":"1000.…","expires_in_ms":180000}
 *                                                           (client_id may be omitted when exactly one client exists)
 *   GET /__sim/stats                                        -> request counts, in-flight, token refreshes, credits, record counts
 *
 * Choices where the doc is silent or unsure (kept deliberately strict so client bugs show up):
 *   - Datetimes are ISO 8601 with the org offset +05:30 (time zone Asia/Kolkata), second precision.
 *   - page_token is bound to module, fields (as a set), sort_by, sort_order, cvid, converted, ids and If-Modified-Since
 *     (not per_page); it resumes after the last record of the previous page (keyset), valid 24 h.
 *   - Page-based listing is refused once page*per_page > 2000 (DISCRETE_PAGINATION_LIMIT_EXCEEDED); per_page > 200 -> INVALID_DATA.
 *   - Search and COQL return ascending id order by default; search more_records stays true past 2,000 (the next page fails).
 *   - COQL "!=" / "not in" / "not like" do not match null values (SQL semantics); search "not_equal" does.
 *   - Credits: every authenticated CRM call costs 1 credit, counted since start/reset (no rolling window).
 *   - Fault.afterRequests counts every matching request that arrives while the fault is queued.
 */
import * as http from "http";
import * as net from "net";
import { URL } from "url";
import { ModuleStore, ModuleInput, FieldInput, FieldMeta, normKey, jsonTypeOf, SortKey } from "./store";
import { DEMO_MODULES } from "./metadata";
import { generateRecord, GenContext } from "./generate";
import { parseCriteria, Pred, lower } from "./criteria";
import { parseCoql, runCoql } from "./coql";
import {
  ApiError, Rec, cloneJson, compareIds, defaultErrorFor, errorBody, hmacHex, isNumericId, isPlainObject, isoTime,
  prng, randomHex, statusForCode, zohoToken, ORG_TIME_ZONE,
} from "./util";

export type { ModuleInput, FieldInput } from "./store";
export type ModuleDef = ModuleInput;
export type FieldDef = FieldInput;

export interface SimulatorOptions {
  accessTokenTtlSeconds?: number;
  grantTokenTtlMs?: number;
  apiDomain?: string;
  tokenRateLimit?: boolean;
  concurrencyLimit?: number;
  latencyMs?: number;
  creditsPerDay?: number;
  seedDemo?: boolean;
}

export interface Fault {
  match?: { method?: string; path?: string | RegExp };
  times?: number;
  afterRequests?: number;
  status?: number;
  code?: string;
  body?: unknown;
  headers?: Record<string, string>;
  drop?: "before" | "after";
  delayMs?: number;
  tokenThrottle?: boolean;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  status?: number;
  at: number;
}

export const DEFAULT_SCOPE =
  "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.users.READ ZohoCRM.org.READ ZohoCRM.coql.READ ZohoSearch.securesearch.READ";

const THROTTLE_BODY = {
  error_description: "You have made too many requests continuously. Please try again after some time.",
  error: "Access Denied",
  status: "failure",
};
const JSON_TYPE = "application/json;charset=UTF-8";
const TOKEN_PATH = "/oauth/v2/token";
const REVOKE_PATH = "/oauth/v2/token/revoke";
const PAGE_TOKEN_TTL_MS = 24 * 3600 * 1000;
const MAX_PAGE_REACH = 2000;
const MAX_TOKEN_REACH = 100000;

interface Result {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface GrantRec { clientId: string; scope: string; expiresAt: number; used: boolean }
interface RefreshRec { clientId: string; scope: string; revoked: boolean; minted: number[]; active: string[] }
interface AccessRec { clientId: string; refresh?: string; scope: string; scopes: Set<string>; expiresAt: number; revoked: boolean }
interface FaultState { fault: Fault; timesLeft: number; skipLeft: number }
interface Ctx {
  method: string;
  path: string;
  url: URL;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
}

function normScope(scope: string | undefined): string {
  const s = (scope ?? "").split(/[\s,]+/).filter(Boolean);
  return s.length ? s.join(" ") : DEFAULT_SCOPE;
}

function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function parseMultipart(raw: Buffer, contentType: string): Record<string, string> {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const out: Record<string, string> = {};
  if (!m) return out;
  const boundary = `--${m[1] ?? m[2]}`;
  for (const part of raw.toString("utf8").split(boundary)) {
    const idx = part.indexOf("\r\n\r\n");
    if (idx < 0) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, idx));
    if (!name) continue;
    out[name[1]] = part.slice(idx + 4).replace(/\r\n$/, "");
  }
  return out;
}

export class ZohoSimulator {
  url = "";
  requests: RequestLogEntry[] = [];
  maxInFlight = 0;
  tokenRefreshCount = 0;
  /** CRM requests currently in flight */
  inFlight = 0;
  /** credits consumed since start/reset (only counted when creditsPerDay > 0) */
  creditsUsed = 0;

  private readonly opts: Required<Omit<SimulatorOptions, "apiDomain">> & { apiDomain?: string };
  private latency: number;
  private server?: http.Server;
  private sockets = new Set<net.Socket>();
  private timers = new Set<NodeJS.Timeout>();
  private clients = new Map<string, string>();
  private grants = new Map<string, GrantRec>();
  private refreshTokens = new Map<string, RefreshRec>();
  private accessTokens = new Map<string, AccessRec>();
  private modules = new Map<string, ModuleStore>();
  private faults: FaultState[] = [];
  private nextIdValue = 5725767000001000000n;
  private nextModuleId = 5725767000000002175n;
  private seq = 0;
  private readonly secret = randomHex(16);

  readonly user = {
    id: "5725767000000411001",
    full_name: "Patricia Boyle",
    first_name: "Patricia",
    last_name: "Boyle",
    email: "patricia.boyle@zylker.example.com",
  };
  readonly org = {
    id: "5725767000000336001",
    zgid: "60012345678",
    domain_name: "org60012345678",
  };

  constructor(options: SimulatorOptions = {}) {
    this.opts = {
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      grantTokenTtlMs: options.grantTokenTtlMs ?? 180000,
      apiDomain: options.apiDomain,
      tokenRateLimit: options.tokenRateLimit ?? true,
      concurrencyLimit: options.concurrencyLimit ?? 0,
      latencyMs: options.latencyMs ?? 0,
      creditsPerDay: options.creditsPerDay ?? 0,
      seedDemo: options.seedDemo ?? true,
    };
    this.latency = this.opts.latencyMs;
    if (this.opts.seedDemo) for (const def of DEMO_MODULES) this.addModule(def);
  }

  // =====================================================================================
  // lifecycle
  // =====================================================================================
  start(port = 0, host = "127.0.0.1"): Promise<string> {
    if (this.server) return Promise.resolve(this.url);
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on("connection", (s: net.Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      s.on("error", () => undefined);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const addr = server.address() as net.AddressInfo;
        const h = addr.address.includes(":") ? `[${addr.address}]` : addr.address;
        this.url = `http://${h}:${addr.port}`;
        resolve(this.url);
      });
    });
  }

  stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  // =====================================================================================
  // test-control API
  // =====================================================================================
  addClient(clientId: string, clientSecret: string): void {
    this.clients.set(clientId, clientSecret);
  }

  issueGrantToken(clientId: string, opts: { scope?: string; ttlMs?: number } = {}): string {
    if (!this.clients.has(clientId)) throw new Error(`unknown client ${clientId}`);
    const code = zohoToken();
    this.grants.set(code, { clientId, scope: normScope(opts.scope), expiresAt: Date.now() + (opts.ttlMs ?? this.opts.grantTokenTtlMs), used: false });
    return code;
  }

  /** `token` fixes the value (the demo keeps one refresh token valid across restarts). */
  issueRefreshToken(clientId: string, scope?: string, token: string = zohoToken()): string {
    if (!this.clients.has(clientId)) throw new Error(`unknown client ${clientId}`);
    this.refreshTokens.set(token, { clientId, scope: normScope(scope), revoked: false, minted: [], active: [] });
    return token;
  }

  revokeRefreshToken(token: string): void {
    const rt = this.refreshTokens.get(token);
    if (!rt) return;
    rt.revoked = true;
    for (const a of rt.active) {
      const at = this.accessTokens.get(a);
      if (at) at.revoked = true;
    }
  }

  expireAccessTokens(): void {
    for (const at of this.accessTokens.values()) at.expiresAt = 0;
  }

  addModule(def: ModuleInput): void {
    const key = def.api_name.toLowerCase();
    const existing = this.modules.get(key);
    const id = existing?.id ?? String(this.nextModuleId++);
    const store = new ModuleStore(def, id, BigInt(id) * 1000n);
    if (existing) for (const r of existing.idOrder()) store.insert(r);
    this.modules.set(key, store);
  }

  seedRecords(module: string, records: object[] | number): object[] {
    const store = this.mustModule(module);
    const now = Date.now();
    const out: Rec[] = [];
    if (typeof records === "number") {
      const n = Math.max(0, Math.floor(records));
      let h = 0;
      for (const ch of store.apiName) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      const rnd = prng(h + this.seq * 7919 + 1);
      const stepMs = n > 0 ? Math.min(60000, Math.floor((90 * 86400000) / n)) : 0;
      const pools = new Map<string, Rec[]>();
      const ctx: GenContext = {
        seq: 0,
        now,
        lookupId: (m) => {
          let pool = pools.get(m);
          if (!pool) {
            pool = this.modules.get(m.toLowerCase())?.idOrder() ?? [];
            pools.set(m, pool);
          }
          return pool.length ? pool[Math.floor(rnd() * pool.length)].id : undefined;
        },
      };
      for (let i = 0; i < n; i++) {
        ctx.seq = ++this.seq;
        const values = generateRecord(store, rnd, ctx);
        const created = now - (n - i) * stepMs - 1000;
        const modified = created + Math.floor(rnd() * (now - created));
        const rec = this.buildRecord(store, values, created, modified);
        store.insert(rec);
        out.push(rec);
      }
    } else {
      for (const input of records) {
        const values = cloneJson(input) as Record<string, unknown>;
        const ts = (k: string) => (typeof values[k] === "string" && !Number.isNaN(Date.parse(values[k] as string)) ? Date.parse(values[k] as string) : now);
        const id = isNumericId(values.id) && !store.byId.has(values.id) ? values.id : undefined;
        if (id !== undefined && id.length === 19 && BigInt(id) >= this.nextIdValue) this.nextIdValue = BigInt(id) + 1n;
        const rec = this.buildRecord(store, values, ts("Created_Time"), ts("Modified_Time"), id);
        // keep caller-provided timestamps verbatim
        if (typeof values.Created_Time === "string") rec.Created_Time = values.Created_Time;
        if (typeof values.Modified_Time === "string") rec.Modified_Time = values.Modified_Time;
        store.insert(rec);
        out.push(rec);
      }
    }
    return out.map((r) => store.copy(r));
  }

  records(module: string): object[] {
    const store = this.mustModule(module);
    return store.idOrder().map((r) => store.copy(r));
  }

  clearRecords(module?: string): void {
    if (module) this.mustModule(module).clear();
    else for (const m of this.modules.values()) m.clear();
  }

  inject(fault: Fault): void {
    this.faults.push({ fault, timesLeft: fault.times ?? 1, skipLeft: fault.afterRequests ?? 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  count(filter: { method?: string; path?: string | RegExp } = {}): number {
    return this.requests.filter((r) => this.matchReq(filter, r.method, r.path)).length;
  }

  reset(): void {
    this.clearRecords();
    this.faults = [];
    this.requests = [];
    this.maxInFlight = this.inFlight;
    this.tokenRefreshCount = 0;
    this.creditsUsed = 0;
    this.grants.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  setLatency(ms: number): void {
    this.latency = Math.max(0, ms);
  }

  // =====================================================================================
  // records helpers
  // =====================================================================================
  private mustModule(name: string): ModuleStore {
    const m = this.modules.get(name.toLowerCase());
    if (!m) throw new Error(`unknown module ${name}`);
    return m;
  }

  private newId(): string {
    return String(this.nextIdValue++);
  }

  // shared, frozen: stored records point at these (callers always get deep copies)
  private readonly userRefObj = Object.freeze({ name: this.user.full_name, id: this.user.id, email: this.user.email });
  private readonly userShortObj = Object.freeze({ name: this.user.full_name, id: this.user.id });
  private userRef(): Record<string, unknown> {
    return this.userRefObj;
  }

  private userShort(): Record<string, unknown> {
    return this.userShortObj;
  }

  private displayName(module: string | undefined, id: string): string | null {
    const store = module ? this.modules.get(module.toLowerCase()) : undefined;
    const rec = store?.byId.get(id);
    if (!store || !rec) return null;
    const v = rec[store.displayField];
    return v === undefined || v === null ? null : String(v);
  }

  private fillDerived(store: ModuleStore, rec: Rec): void {
    if (store.fieldMap.has("Full_Name")) {
      const full = [rec.First_Name, rec.Last_Name].filter((x) => typeof x === "string" && x !== "").join(" ");
      rec.Full_Name = full || null;
    }
  }

  /** Build a stored record (system fields filled) from already-validated values. */
  private buildRecord(store: ModuleStore, values: Record<string, unknown>, createdMs: number, modifiedMs: number, id?: string): Rec {
    const v = values;
    v.id = id ?? this.newId();
    const fm = store.fieldMap;
    if (fm.has("Owner")) {
      const o = v.Owner;
      v.Owner = isPlainObject(o) && typeof o.id === "string" && o.id !== this.user.id ? { name: o.name ?? null, id: o.id, email: o.email ?? null } : this.userRef();
    }
    if (fm.has("Created_By")) v.Created_By = this.userRef();
    if (fm.has("Modified_By")) v.Modified_By = this.userRef();
    if (fm.has("Created_Time")) v.Created_Time = isoTime(createdMs);
    if (fm.has("Modified_Time")) v.Modified_Time = isoTime(modifiedMs);
    if (fm.has("Record_Status__s") && v.Record_Status__s == null) v.Record_Status__s = "Available";
    for (const f of store.fields) {
      const x = v[f.api_name];
      if (x === undefined) {
        if (f.kind === "boolean") v[f.api_name] = false;
      } else if (f.kind === "lookup" && x !== null && !(isPlainObject(x) && "name" in x)) {
        const lid = isPlainObject(x) ? x.id : x;
        v[f.api_name] = typeof lid === "string" ? { name: this.displayName(f.lookup_module, lid), id: lid } : null;
      }
    }
    const rec = store.make(v);
    this.fillDerived(store, rec);
    return rec;
  }

  // =====================================================================================
  // HTTP plumbing
  // =====================================================================================
  private matchReq(m: { method?: string; path?: string | RegExp } | undefined, method: string, path: string): boolean {
    if (!m) return true;
    if (m.method && m.method.toUpperCase() !== method.toUpperCase()) return false;
    if (m.path !== undefined) {
      if (typeof m.path === "string") return m.path === path;
      m.path.lastIndex = 0;
      return m.path.test(path);
    }
    return true;
  }

  private pickFault(method: string, path: string, isCrm: boolean, isToken: boolean): Fault | undefined {
    let chosen: FaultState | undefined;
    for (const fs of this.faults) {
      const f = fs.fault;
      if (fs.timesLeft <= 0) continue;
      if (f.match?.path === undefined) {
        if (f.tokenThrottle ? !isToken : !isCrm) continue;
      }
      if (!this.matchReq(f.match, method, path)) continue;
      if (fs.skipLeft > 0) {
        fs.skipLeft--;
        continue;
      }
      if (!chosen) {
        chosen = fs;
        fs.timesLeft--;
      }
    }
    this.faults = this.faults.filter((fs) => fs.timesLeft > 0);
    return chosen?.fault;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const at = Date.now();
    const url = new URL(req.url || "/", "http://127.0.0.1");
    const path = url.pathname;
    const method = (req.method || "GET").toUpperCase();
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    if (path.startsWith("/__sim/")) {
      req.resume();
      req.on("end", () => this.handleSim(req, res, path, query));
      return;
    }
    const isCrm = path.startsWith("/crm/");
    const isToken = path.startsWith("/oauth/");
    if (isCrm) {
      this.inFlight++;
      if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
      let done = false;
      res.on("close", () => {
        if (!done) {
          done = true;
          this.inFlight--;
        }
      });
    }
    const entry: RequestLogEntry = { method, path, query, headers: { ...req.headers }, at };
    this.requests.push(entry);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => undefined);
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      entry.body = this.logBody(raw, header(req.headers, "content-type"));
      this.dispatch({ method, path, url, query, headers: req.headers, raw }, entry, req, res, isCrm, isToken);
    });
  }

  private logBody(raw: Buffer, contentType: string | undefined): unknown {
    if (raw.length === 0) return undefined;
    const text = raw.toString("utf8");
    const ct = (contentType ?? "").toLowerCase();
    if (ct.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
    if (ct.includes("multipart/form-data")) return parseMultipart(raw, contentType ?? "");
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  private dispatch(ctx: Ctx, entry: RequestLogEntry, req: http.IncomingMessage, res: http.ServerResponse, isCrm: boolean, isToken: boolean): void {
    const fault = this.pickFault(ctx.method, ctx.path, isCrm, isToken);
    const delay = (isCrm ? this.latency : 0) + (fault?.delayMs ?? 0);
    const drop = () => {
      entry.status = undefined;
      req.socket.destroy();
    };
    if (fault) {
      if (fault.tokenThrottle) return this.respond(res, entry, { status: fault.status ?? 400, body: fault.body ?? THROTTLE_BODY, headers: fault.headers }, delay);
      if (fault.drop === "before") return delay > 0 ? this.after(delay, drop) : drop();
      if (fault.status !== undefined || fault.body !== undefined || fault.code !== undefined) {
        const status = fault.status ?? (fault.code ? statusForCode(fault.code) : 200);
        let body = fault.body;
        if (body === undefined) {
          const d = defaultErrorFor(status);
          body = isCrm ? errorBody(fault.code ?? d.code, {}, d.message) : { error: fault.code ?? (status === 400 ? "Access Denied" : "server_error") };
        }
        const r: Result = { status, body, headers: fault.headers };
        if (fault.drop === "after") return this.after(Math.max(delay, 0), drop);
        return this.respond(res, entry, r, delay);
      }
    }
    let result: Result;
    try {
      if (isCrm) result = this.processCrm(ctx);
      else if (isToken) result = this.processOAuth(ctx);
      else result = { status: 404, body: errorBody("INVALID_URL_PATTERN", {}, "Please check if the URL trying to access is a correct one") };
    } catch (e) {
      if (e instanceof ApiError) result = { status: e.httpStatus, body: e.body() };
      else result = { status: 500, body: errorBody("INTERNAL_ERROR", { reason: String((e as Error)?.message ?? e) }, "Internal Server Error") };
    }
    if (fault?.headers) result.headers = { ...(result.headers ?? {}), ...fault.headers };
    if (fault?.drop === "after") return delay > 0 ? this.after(delay, drop) : drop();
    this.respond(res, entry, result, delay);
  }

  private respond(res: http.ServerResponse, entry: RequestLogEntry, r: Result, delayMs: number): void {
    const go = () => {
      entry.status = r.status;
      if (!res.socket || res.socket.destroyed || res.writableEnded) return;
      const headers: Record<string, string> = { ...(r.headers ?? {}) };
      if (r.body === undefined) {
        res.writeHead(r.status, headers);
        res.end();
        return;
      }
      const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["Content-Type"] = JSON_TYPE;
      headers["Content-Length"] = String(Buffer.byteLength(text));
      res.writeHead(r.status, headers);
      res.end(text);
    };
    if (delayMs > 0) this.after(delayMs, go);
    else go();
  }

  private handleSim(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: Record<string, string>): void {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "Content-Type": JSON_TYPE, "Content-Length": String(Buffer.byteLength(text)), "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" });
      res.end(text);
    };
    const remote = req.socket.remoteAddress ?? "";
    if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(remote)) return send(403, { error: "loopback only" });
    if (req.method !== "GET" && req.method !== "POST") return send(405, { error: "method not allowed" });
    if (path === "/__sim/grant-token") {
      let clientId = query.client_id;
      if (!clientId && this.clients.size === 1) clientId = [...this.clients.keys()][0];
      if (!clientId || !this.clients.has(clientId)) return send(400, { error: "invalid_client" });
      const ttlMs = query.ttl_ms ? Number(query.ttl_ms) : undefined;
      const code = this.issueGrantToken(clientId, { scope: query.scope, ttlMs: ttlMs && ttlMs > 0 ? ttlMs : undefined });
      return send(200, { grant_token: code, expires_in_ms: ttlMs && ttlMs > 0 ? ttlMs : this.opts.grantTokenTtlMs });
    }
    if (path === "/__sim/stats") {
      const byEndpoint: Record<string, number> = {};
      const byStatus: Record<string, number> = {};
      for (const r of this.requests) {
        const k = `${r.method} ${r.path}`;
        byEndpoint[k] = (byEndpoint[k] ?? 0) + 1;
        const s = r.status === undefined ? "none" : String(r.status);
        byStatus[s] = (byStatus[s] ?? 0) + 1;
      }
      const records: Record<string, number> = {};
      for (const m of this.modules.values()) if (m.apiSupported) records[m.apiName] = m.byId.size;
      return send(200, {
        requests: this.requests.length,
        crm_requests: this.requests.filter((r) => r.path.startsWith("/crm/")).length,
        token_requests: this.requests.filter((r) => r.path.startsWith("/oauth/")).length,
        by_endpoint: byEndpoint,
        by_status: byStatus,
        in_flight: this.inFlight,
        max_in_flight: this.maxInFlight,
        token_refresh_count: this.tokenRefreshCount,
        credits_used: this.creditsUsed,
        credits_per_day: this.opts.creditsPerDay,
        faults_queued: this.faults.length,
        records,
      });
    }
    send(404, { error: "not found" });
  }

  // =====================================================================================
  // Accounts server
  // =====================================================================================
  private processOAuth(ctx: Ctx): Result {
    const params: Record<string, string> = { ...ctx.query };
    const ct = (header(ctx.headers, "content-type") ?? "").toLowerCase();
    if (ctx.raw.length) {
      if (ct.includes("multipart/form-data")) Object.assign(params, parseMultipart(ctx.raw, header(ctx.headers, "content-type") ?? ""));
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
      const rt = this.refreshTokens.get(token);
      if (rt && !rt.revoked) {
        this.revokeRefreshToken(token);
        return ok({ status: "success" });
      }
      const at = this.accessTokens.get(token);
      if (at && !at.revoked) {
        at.revoked = true;
        return ok({ status: "success" });
      }
      return { status: 400, body: { error: "invalid_token", status: "failure" } };
    }
    if (ctx.path !== TOKEN_PATH) return { status: 404, body: { error: "invalid_request" } };
    if (ctx.method !== "POST") return { status: 400, body: { error: "invalid_request" } };
    const clientId = params.client_id ?? "";
    const secret = this.clients.get(clientId);
    if (secret === undefined) return ok({ error: "invalid_client" });
    if (params.client_secret !== secret) return ok({ error: "invalid_client_secret" });
    const grantType = params.grant_type;
    const now = Date.now();
    if (grantType === "authorization_code") {
      const g = this.grants.get(params.code ?? "");
      if (!g || g.used || g.expiresAt <= now || g.clientId !== clientId) {
        if (g) g.used = true;
        return ok({ error: "invalid_code" });
      }
      g.used = true;
      const refresh = zohoToken();
      const rt: RefreshRec = { clientId, scope: g.scope, revoked: false, minted: [], active: [] };
      this.refreshTokens.set(refresh, rt);
      const access = this.mintAccess(refresh, rt);
      return ok({
        access_token: access,
        refresh_token: refresh,
        scope: g.scope,
        api_domain: this.apiDomain(),
        token_type: "Bearer",
        expires_in: this.opts.accessTokenTtlSeconds,
      });
    }
    if (grantType === "refresh_token") {
      const token = params.refresh_token ?? "";
      const rt = this.refreshTokens.get(token);
      if (!rt || rt.revoked || rt.clientId !== clientId) return ok({ error: "invalid_code" });
      if (this.opts.tokenRateLimit) {
        rt.minted = rt.minted.filter((t) => t > now - 600000);
        if (rt.minted.length >= 10) return { status: 400, body: THROTTLE_BODY };
      }
      const access = this.mintAccess(token, rt);
      this.tokenRefreshCount++;
      return ok({
        access_token: access,
        scope: rt.scope,
        api_domain: this.apiDomain(),
        token_type: "Bearer",
        expires_in: this.opts.accessTokenTtlSeconds,
      });
    }
    return ok({ error: "unsupported_grant_type" });
  }

  private apiDomain(): string {
    return this.opts.apiDomain ?? this.url;
  }

  private mintAccess(refresh: string, rt: RefreshRec): string {
    const token = zohoToken();
    const scopes = new Set(rt.scope.split(" ").map((s) => s.toLowerCase()));
    this.accessTokens.set(token, { clientId: rt.clientId, refresh, scope: rt.scope, scopes, expiresAt: Date.now() + this.opts.accessTokenTtlSeconds * 1000, revoked: false });
    rt.minted.push(Date.now());
    rt.active.push(token);
    // at most 15 active access tokens per refresh token: the 16th invalidates the oldest
    while (rt.active.length > 15) {
      const old = rt.active.shift()!;
      const a = this.accessTokens.get(old);
      if (a) a.revoked = true;
    }
    return token;
  }

  // =====================================================================================
  // CRM API
  // =====================================================================================
  private authenticate(ctx: Ctx): AccessRec {
    const auth = header(ctx.headers, "authorization");
    const m = auth ? /^Zoho-oauthtoken\s+(\S+)\s*$/i.exec(auth) : null;
    if (!m) throw new ApiError(401, "AUTHENTICATION_FAILURE", {}, "Authentication failed");
    const at = this.accessTokens.get(m[1]);
    if (!at || at.revoked || at.expiresAt <= Date.now()) throw new ApiError(401, "INVALID_TOKEN", {}, "invalid oauth token");
    return at;
  }

  private requireScope(at: AccessRec, candidates: string[]): void {
    if (!candidates.some((c) => at.scopes.has(c.toLowerCase()))) {
      throw new ApiError(401, "OAUTH_SCOPE_MISMATCH", {}, "invalid oauth scope to access this URL");
    }
  }

  private requireModuleScope(at: AccessRec, store: ModuleStore, ...ops: Array<"READ" | "CREATE" | "UPDATE" | "DELETE">): void {
    const names = [store.apiName.toLowerCase()];
    if (store.custom) names.push("custom");
    for (const op of ops) {
      const c = ["ZohoCRM.modules.ALL", `ZohoCRM.modules.${op}`];
      if (op !== "READ") c.push("ZohoCRM.modules.WRITE");
      for (const n of names) {
        c.push(`ZohoCRM.modules.${n}.ALL`, `ZohoCRM.modules.${n}.${op}`);
        if (op !== "READ") c.push(`ZohoCRM.modules.${n}.WRITE`);
      }
      this.requireScope(at, c);
    }
  }

  private requireSettingsScope(at: AccessRec, what: "modules" | "fields"): void {
    this.requireScope(at, ["ZohoCRM.settings.ALL", "ZohoCRM.settings.READ", `ZohoCRM.settings.${what}.ALL`, `ZohoCRM.settings.${what}.READ`]);
  }

  private charge(): Record<string, string> {
    const limit = this.opts.creditsPerDay;
    if (limit <= 0) return {};
    if (this.creditsUsed >= limit) throw new ApiError(429, "TOO_MANY_REQUESTS", {}, "too many requests: API credit limit exhausted");
    this.creditsUsed++;
    return this.creditsUsed * 2 >= limit ? { "X-API-CREDITS-REMAINING": String(limit - this.creditsUsed) } : {};
  }

  private resolveModule(name: string, forSettings = false): ModuleStore {
    const store = this.modules.get(name.toLowerCase());
    if (!store || !store.apiSupported) {
      throw new ApiError(400, "INVALID_MODULE", forSettings ? { param_name: "module" } : { resource_path_index: 0 }, "the module name given seems to be invalid");
    }
    return store;
  }

  private processCrm(ctx: Ctx): Result {
    const limit = this.opts.concurrencyLimit;
    if (limit > 0 && this.inFlight > limit) {
      return { status: 429, body: errorBody("TOO_MANY_REQUESTS", {}, "too many requests: concurrency limit exceeded") };
    }
    const m = /^\/crm\/v8\/(.+)$/.exec(ctx.path);
    const notFound = new ApiError(404, "INVALID_URL_PATTERN", {}, "Please check if the URL trying to access is a correct one");
    if (!m) throw notFound;
    const segs = m[1].split("/");
    while (segs.length && segs[segs.length - 1] === "") segs.pop();
    if (!segs.length || segs.some((s) => s === "")) throw notFound;
    const at = this.authenticate(ctx);
    let headers: Record<string, string> = {};
    const withCredits = (r: Result): Result => ({ ...r, headers: { ...(r.headers ?? {}), ...headers } });
    const method = ctx.method;
    const badMethod = () => new ApiError(400, "INVALID_REQUEST_METHOD", {}, "The http request method type is not a valid one");
    const [s0, s1, s2] = segs;

    if (s0 === "coql") {
      if (segs.length !== 1) throw notFound;
      if (method !== "POST") throw badMethod();
      this.requireScope(at, ["ZohoCRM.coql.READ", "ZohoCRM.coql.ALL"]);
      headers = this.charge();
      return withCredits(this.coql(ctx, at));
    }
    if (s0 === "settings") {
      if (method !== "GET") throw badMethod();
      if (s1 === "modules" && segs.length <= 3) {
        this.requireSettingsScope(at, "modules");
        headers = this.charge();
        return withCredits(this.settingsModules(s2));
      }
      if (s1 === "fields" && segs.length === 2) {
        this.requireSettingsScope(at, "fields");
        headers = this.charge();
        return withCredits(this.settingsFields(ctx.query));
      }
      throw notFound;
    }
    if (s0 === "org") {
      if (segs.length !== 1) throw notFound;
      if (method !== "GET") throw badMethod();
      this.requireScope(at, ["ZohoCRM.org.ALL", "ZohoCRM.org.READ"]);
      headers = this.charge();
      return withCredits({ status: 200, body: { org: [this.orgBody()] } });
    }
    if (s0 === "users") {
      if (segs.length > 2) throw notFound;
      if (method !== "GET") throw badMethod();
      this.requireScope(at, ["ZohoCRM.users.ALL", "ZohoCRM.users.READ"]);
      headers = this.charge();
      return withCredits(this.usersList(s1, ctx.query));
    }

    const store = this.resolveModule(s0);
    if (segs.length === 1) {
      switch (method) {
        case "GET":
          this.requireModuleScope(at, store, "READ");
          headers = this.charge();
          return withCredits(this.list(store, ctx));
        case "POST":
          this.requireModuleScope(at, store, "CREATE");
          headers = this.charge();
          return withCredits(this.write(store, "insert", ctx));
        case "PUT":
          this.requireModuleScope(at, store, "UPDATE");
          headers = this.charge();
          return withCredits(this.write(store, "update", ctx));
        case "DELETE":
          this.requireModuleScope(at, store, "DELETE");
          headers = this.charge();
          return withCredits(this.deleteRecords(store, ctx.query.ids, ctx.query));
        default:
          throw badMethod();
      }
    }
    if (segs.length === 2) {
      if (s1 === "upsert") {
        if (method !== "POST") throw badMethod();
        this.requireModuleScope(at, store, "CREATE", "UPDATE");
        headers = this.charge();
        return withCredits(this.write(store, "upsert", ctx));
      }
      if (s1 === "search") {
        if (method !== "GET") throw badMethod();
        this.requireModuleScope(at, store, "READ");
        this.requireScope(at, ["ZohoSearch.securesearch.READ", "ZohoSearch.securesearch.ALL"]);
        headers = this.charge();
        return withCredits(this.search(store, ctx.query));
      }
      if (s1 === "deleted") {
        if (method !== "GET") throw badMethod();
        this.requireModuleScope(at, store, "READ");
        headers = this.charge();
        return withCredits(this.deletedList(store, ctx.query));
      }
      if (s1 === "actions") throw notFound;
      switch (method) {
        case "GET":
          this.requireModuleScope(at, store, "READ");
          headers = this.charge();
          return withCredits(this.getOne(store, s1, ctx.query));
        case "PUT":
          this.requireModuleScope(at, store, "UPDATE");
          headers = this.charge();
          return withCredits(this.write(store, "update", ctx, s1));
        case "DELETE":
          this.requireModuleScope(at, store, "DELETE");
          headers = this.charge();
          return withCredits(this.deleteRecords(store, s1, ctx.query));
        default:
          throw badMethod();
      }
    }
    if (segs.length === 3 && s1 === "actions" && s2 === "count") {
      if (method !== "GET") throw badMethod();
      this.requireModuleScope(at, store, "READ");
      headers = this.charge();
      return withCredits(this.countRecords(store, ctx.query));
    }
    throw notFound;
  }

  // ---- metadata ------------------------------------------------------------------------
  private moduleBody(m: ModuleStore): Record<string, unknown> {
    const d = m.def;
    return {
      api_name: m.apiName,
      module_name: d.module_name ?? m.apiName,
      singular_label: d.singular_label ?? m.apiName,
      plural_label: d.plural_label ?? m.apiName,
      id: m.id,
      api_supported: m.apiSupported,
      generated_type: d.generated_type ?? "default",
      creatable: m.apiSupported,
      editable: m.apiSupported,
      deletable: m.apiSupported,
      viewable: true,
      status: "visible",
      show_as_tab: true,
      modified_time: null,
      profiles: [{ name: "Administrator", id: "5725767000000026011" }],
    };
  }

  private settingsModules(name?: string): Result {
    if (name) {
      const m = this.modules.get(name.toLowerCase());
      if (!m) throw new ApiError(400, "INVALID_MODULE", { resource_path_index: 2 }, "the module name given seems to be invalid");
      return { status: 200, body: { modules: [this.moduleBody(m)] } };
    }
    return { status: 200, body: { modules: [...this.modules.values()].map((m) => this.moduleBody(m)) } };
  }

  private fieldBody(store: ModuleStore, f: FieldMeta): Record<string, unknown> {
    const out: Record<string, unknown> = {
      api_name: f.api_name,
      field_label: f.field_label,
      display_label: f.field_label,
      data_type: f.data_type,
      json_type: jsonTypeOf(f.kind, f.data_type),
      id: f.id,
      length: f.length,
      system_mandatory: f.system_mandatory,
      read_only: f.read_only,
      field_read_only: f.read_only,
      visible: true,
      // Zoho returns `unique` as an object: {} when not unique, {"casesensitive":"0"} when unique
      unique: f.unique ? { casesensitive: "0" } : {},
      sortable: f.sortable,
      searchable: true,
      filterable: true,
      custom_field: f.custom_field,
      operation_type: { web_update: !f.read_only, api_create: !f.read_only, web_create: !f.read_only, api_update: !f.read_only },
    };
    if (f.pick_list_values) {
      out.pick_list_values = f.pick_list_values.map((v, i) => ({ display_value: v, actual_value: v, id: `${f.id}${i}`, type: "used", colour_code: null }));
    }
    if (f.kind === "lookup" && f.lookup_module) {
      const target = this.modules.get(f.lookup_module.toLowerCase());
      out.lookup = { module: { api_name: f.lookup_module, id: target?.id ?? null }, display_label: f.field_label, api_name: f.api_name };
    }
    return out;
  }

  private settingsFields(q: Record<string, string>): Result {
    if (!q.module) throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "module" }, "One of the expected parameter is missing");
    const store = this.resolveModule(q.module, true);
    return { status: 200, body: { fields: store.fields.map((f) => this.fieldBody(store, f)) } };
  }

  private userBody(): Record<string, unknown> {
    return {
      id: this.user.id,
      full_name: this.user.full_name,
      first_name: this.user.first_name,
      last_name: this.user.last_name,
      email: this.user.email,
      role: { name: "CEO", id: "5725767000000026005" },
      profile: { name: "Administrator", id: "5725767000000026011" },
      status: "active",
      confirm: true,
      time_zone: ORG_TIME_ZONE,
      locale: "en_US",
      country: "IN",
      zuid: "60012345001",
    };
  }

  private usersList(id: string | undefined, q: Record<string, string>): Result {
    if (id && id !== this.user.id) throw new ApiError(400, "INVALID_DATA", { id }, "the id given seems to be invalid");
    const type = q.type ?? "AllUsers";
    if (["DeactiveUsers", "NotConfirmedUsers", "DeletedUsers"].includes(type)) return { status: 204 };
    return { status: 200, body: { users: [this.userBody()], info: { per_page: 200, count: 1, page: 1, more_records: false } } };
  }

  private orgBody(): Record<string, unknown> {
    return {
      id: this.org.id,
      company_name: "Zylker (simulated)",
      alias: "zylker",
      domain_name: this.org.domain_name,
      primary_email: this.user.email,
      primary_zuid: "60012345001",
      zgid: this.org.zgid,
      time_zone: ORG_TIME_ZONE,
      currency: "US Dollar - USD",
      iso_code: "USD",
      currency_symbol: "$",
      country_code: "US",
      country: "United States",
      type: "production",
      mc_status: false,
      gapps_enabled: false,
      license_details: {
        paid: true,
        paid_type: "enterprise",
        paid_expiry: "2030-12-31T23:59:59+05:30",
        users_license_purchased: 20,
        trial_type: null,
        trial_expiry: null,
        trial_action: null,
      },
    };
  }

  // ---- reads ----------------------------------------------------------------------------
  private parseFields(store: ModuleStore, raw: string | undefined, required: boolean): string[] | undefined {
    if (raw === undefined || raw.trim() === "") {
      if (required) throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "fields" }, "One of the expected parameter is missing");
      return undefined;
    }
    const list = [...new Set(raw.split(",").map((s) => s.trim()).filter(Boolean))];
    if (list.length > 50) throw new ApiError(400, "LIMIT_EXCEEDED", { param_name: "fields", limit: 50 }, "fields limit exceeded: at most 50 fields are allowed");
    for (const f of list) {
      if (f === "id" || f.startsWith("$")) continue;
      if (!store.fieldMap.has(f)) throw new ApiError(400, "INVALID_DATA", { param_name: "fields", api_name: f }, "the field name given seems to be invalid");
    }
    return list;
  }

  private project(store: ModuleStore, r: Rec, fields: string[] | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (!fields) {
      for (const f of store.fields) out[f.api_name] = r[f.api_name] ?? null;
      for (const k of Object.keys(r)) if (k.startsWith("$")) out[k] = r[k];
      out.id = r.id;
      return out;
    }
    for (const f of fields) {
      if (f === "id") continue;
      out[f] = r[f] ?? (f === "$approval_state" ? "approved" : null);
    }
    out.id = r.id;
    return out;
  }

  private intParam(q: Record<string, string>, name: string, def: number, max?: number): number {
    const raw = q[name];
    if (raw === undefined || raw === "") return def;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ApiError(400, "INVALID_DATA", { param_name: name }, `invalid value for ${name}`);
    const n = Number(raw);
    if (max !== undefined && n > max) throw new ApiError(400, "INVALID_DATA", { param_name: name, maximum_value: max }, `${name} must not exceed ${max}`);
    return n;
  }

  private convertedFilter(store: ModuleStore, q: Record<string, string>): { key: string; fn?: (r: Rec) => boolean } {
    const raw = q.converted ?? "false";
    if (!["true", "false", "both"].includes(raw)) throw new ApiError(400, "INVALID_DATA", { param_name: "converted", supported_values: ["true", "false", "both"] }, "invalid value for converted");
    if (!store.fieldMap.has("Converted__s") || raw === "both") return { key: "" };
    const want = raw === "true";
    return { key: `conv=${raw}`, fn: (r) => !!r.Converted__s === want };
  }

  private pageToken(offset: number, last: Rec, sortBy: SortKey, bind: string, expiry: number): string {
    const key = sortBy === "id" ? 0 : Date.parse(String(last[sortBy] ?? "")) || 0;
    const payload = `${offset}|${key}|${last.id}|${expiry}|${bind}`;
    return Buffer.from(payload).toString("hex") + hmacHex(this.secret, payload, 12);
  }

  private readPageToken(token: string): { offset: number; key: number; id: string; expiry: number; bind: string } {
    const invalid = new ApiError(400, "INVALID_DATA", { param_name: "page_token" }, "the page token given seems to be invalid");
    if (!/^[0-9a-f]+$/.test(token) || token.length <= 12) throw invalid;
    const payload = Buffer.from(token.slice(0, -12), "hex").toString("utf8");
    if (hmacHex(this.secret, payload, 12) !== token.slice(-12)) throw invalid;
    const [offset, key, id, expiry, bind] = payload.split("|");
    return { offset: Number(offset), key: Number(key), id, expiry: Number(expiry), bind };
  }

  private list(store: ModuleStore, ctx: Ctx): Result {
    const q = ctx.query;
    const fields = this.parseFields(store, q.fields, true)!;
    const perPage = this.intParam(q, "per_page", 200, 200);
    if (q.page !== undefined && q.page_token !== undefined) {
      throw new ApiError(400, "AMBIGUITY_DURING_PROCESSING", { ambiguity_due_to: ["page", "page_token"] }, "page and page_token cannot be given together");
    }
    const page = this.intParam(q, "page", 1);
    const sortByRaw = q.sort_by;
    if (sortByRaw !== undefined && !["id", "Created_Time", "Modified_Time"].includes(sortByRaw)) {
      throw new ApiError(400, "INVALID_DATA", { param_name: "sort_by", supported_values: ["id", "Created_Time", "Modified_Time"] }, "invalid value for sort_by");
    }
    const sortOrder = q.sort_order ?? "desc";
    if (sortOrder !== "asc" && sortOrder !== "desc") throw new ApiError(400, "INVALID_DATA", { param_name: "sort_order", supported_values: ["asc", "desc"] }, "invalid value for sort_order");
    if (q.cvid !== undefined) {
      if (!/^\d+$/.test(q.cvid)) throw new ApiError(400, "INVALID_DATA", { param_name: "cvid" }, "the cvid given seems to be invalid");
      if (sortByRaw !== undefined) throw new ApiError(400, "AMBIGUITY_DURING_PROCESSING", { ambiguity_due_to: ["cvid", "sort_by"] }, "cvid and sort_by cannot be given together");
    }
    const sortBy = (sortByRaw ?? "id") as SortKey;
    const conv = this.convertedFilter(store, q);
    const ims = header(ctx.headers, "if-modified-since");
    let imsMs: number | undefined;
    if (ims !== undefined) {
      imsMs = Date.parse(ims);
      if (Number.isNaN(imsMs)) throw new ApiError(400, "INVALID_DATA", { header_name: "If-Modified-Since" }, "invalid If-Modified-Since header");
    }
    const idsFilter = q.ids ? new Set(q.ids.split(",").map((s) => s.trim()).filter(Boolean)) : undefined;
    const bind = hmacHex(this.secret, JSON.stringify([store.apiName, [...fields].sort(), sortBy, sortOrder, q.cvid ?? "", q.converted ?? "false", q.ids ?? "", ims ?? ""]), 16);

    let arr = store.ordered(sortBy, conv.key, conv.fn);
    if (idsFilter || imsMs !== undefined) {
      arr = arr.filter((r) => (!idsFilter || idsFilter.has(r.id)) && (imsMs === undefined || Date.parse(String(r.Modified_Time)) > imsMs));
    }
    const total = arr.length;
    const asc = sortOrder === "asc";
    const at = (j: number) => (asc ? arr[j] : arr[total - 1 - j]); // j-th record in requested order
    let start: number; // position in requested order
    let reached: number; // records already delivered before this page (for the 100,000 cap)
    if (q.page_token !== undefined) {
      const t = this.readPageToken(q.page_token);
      if (t.expiry < Date.now()) throw new ApiError(400, "EXPIRED_VALUE", { param_name: "page_token" }, "the page token has expired");
      if (t.bind !== bind) throw new ApiError(400, "TOKEN_BOUND_DATA_MISMATCH", { param_name: "page_token" }, "the parameters do not match the ones the page token was issued for");
      reached = t.offset;
      if (reached >= MAX_TOKEN_REACH) throw new ApiError(400, "PAGINATION_LIMIT_EXCEEDED", { limit: MAX_TOKEN_REACH }, "pagination limit exceeded: at most 100000 records can be fetched");
      // keyset: first record strictly after (key, id) in the requested order
      const cmp = (r: Rec) => {
        const k = sortBy === "id" ? 0 : Date.parse(String(r[sortBy] ?? "")) || 0;
        return k !== t.key ? k - t.key : compareIds(r.id, t.id);
      };
      let lo = 0;
      let hi = total; // ascending array: first index with cmp > 0
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(arr[mid]) > 0) hi = mid;
        else lo = mid + 1;
      }
      if (asc) start = lo;
      else {
        // last index with cmp < 0, converted to position in descending order
        let lo2 = 0;
        let hi2 = total;
        while (lo2 < hi2) {
          const mid = (lo2 + hi2) >> 1;
          if (cmp(arr[mid]) >= 0) hi2 = mid;
          else lo2 = mid + 1;
        }
        start = total - lo2;
      }
    } else {
      if (page * perPage > MAX_PAGE_REACH) {
        throw new ApiError(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", { param_name: "page", limit: MAX_PAGE_REACH }, "records beyond 2000 can only be fetched with page_token");
      }
      start = (page - 1) * perPage;
      reached = start;
    }
    const room = Math.max(0, MAX_TOKEN_REACH - reached);
    const end = Math.min(total, start + Math.min(perPage, room));
    const data: Array<Record<string, unknown>> = [];
    for (let j = start; j < end; j++) data.push(this.project(store, at(j), fields));
    if (data.length === 0) return { status: imsMs !== undefined ? 304 : 204 };
    const more = end < total;
    const expiry = Date.now() + PAGE_TOKEN_TTL_MS;
    const next = more ? this.pageToken(reached + data.length, at(end - 1), sortBy, bind, expiry) : null;
    let previous: string | null = null;
    if (q.page_token !== undefined && start > 0) {
      const pStart = Math.max(0, start - perPage);
      previous = pStart === 0 ? null : this.pageToken(Math.max(0, reached - perPage), at(pStart - 1), sortBy, bind, expiry);
    }
    return {
      status: 200,
      body: {
        data,
        info: {
          call: false,
          per_page: perPage,
          next_page_token: next,
          count: data.length,
          sort_by: sortBy,
          page: Math.floor(reached / perPage) + 1,
          previous_page_token: previous,
          page_token_expiry: next ? isoTime(expiry) : null,
          sort_order: sortOrder,
          email: false,
          more_records: more,
        },
      },
    };
  }

  private getOne(store: ModuleStore, id: string, q: Record<string, string>): Result {
    const fields = this.parseFields(store, q.fields, false);
    const rec = store.byId.get(id);
    if (!rec) throw new ApiError(400, "INVALID_DATA", { id }, "the id given seems to be invalid");
    return { status: 200, body: { data: [this.project(store, rec, fields)] } };
  }

  /** criteria > email > phone > word; undefined when none given */
  private searchPredicate(store: ModuleStore, q: Record<string, string>): Pred | undefined {
    if (q.criteria !== undefined) return parseCriteria(q.criteria, store);
    if (q.email !== undefined) {
      const want = q.email.trim().toLowerCase();
      if (!want) throw new ApiError(400, "INVALID_DATA", { param_name: "email" }, "invalid email");
      const fs = store.fields.filter((f) => f.data_type === "email").map((f) => f.api_name);
      return (r) => fs.some((f) => typeof r[f] === "string" && (r[f] as string).toLowerCase() === want);
    }
    if (q.phone !== undefined) {
      const digits = q.phone.replace(/\D/g, "");
      if (!digits) throw new ApiError(400, "INVALID_DATA", { param_name: "phone" }, "invalid phone");
      const fs = store.fields.filter((f) => f.data_type === "phone").map((f) => f.api_name);
      return (r) => fs.some((f) => typeof r[f] === "string" && (r[f] as string).replace(/\D/g, "").includes(digits));
    }
    if (q.word !== undefined) {
      const w = q.word.trim();
      if (w.length < 2 || /[()\\,;:*?!<>{}[\]|"'`~^$%#&=+]/.test(w)) {
        throw new ApiError(400, "INVALID_DATA", { param_name: "word" }, "the word given seems to be invalid: at least 2 characters and no special characters");
      }
      const want = w.toLowerCase();
      const fs = store.fields.filter((f) => f.kind === "text" || f.kind === "picklist").map((f) => f.api_name);
      return (r) => fs.some((f) => typeof r[f] === "string" && lower(r[f]).includes(want));
    }
    return undefined;
  }

  private search(store: ModuleStore, q: Record<string, string>): Result {
    const pred = this.searchPredicate(store, q);
    if (!pred) {
      throw new ApiError(400, "EXPECTED_PARAM_MISSING", { expected_params: ["criteria", "email", "phone", "word"] }, "One of the expected parameter is missing");
    }
    const fields = this.parseFields(store, q.fields, false);
    const perPage = this.intParam(q, "per_page", 200, 200);
    const page = this.intParam(q, "page", 1);
    if (page * perPage > MAX_PAGE_REACH) throw new ApiError(400, "LIMIT_REACHED", { limit: MAX_PAGE_REACH }, "Maximum response iteration limit reached");
    const sortBy = (q.sort_by ?? "id") as SortKey;
    if (!["id", "Created_Time", "Modified_Time"].includes(sortBy)) throw new ApiError(400, "INVALID_DATA", { param_name: "sort_by" }, "invalid value for sort_by");
    const sortOrder = q.sort_order ?? "asc";
    if (sortOrder !== "asc" && sortOrder !== "desc") throw new ApiError(400, "INVALID_DATA", { param_name: "sort_order" }, "invalid value for sort_order");
    const conv = this.convertedFilter(store, q);
    let arr = store.ordered(sortBy, conv.key, conv.fn).filter(pred);
    if (sortOrder === "desc") arr = arr.slice().reverse();
    const start = (page - 1) * perPage;
    const slice = arr.slice(start, start + perPage);
    if (!slice.length) return { status: 204 };
    return {
      status: 200,
      body: {
        data: slice.map((r) => this.project(store, r, fields)),
        info: { per_page: perPage, count: slice.length, page, more_records: arr.length > start + perPage },
      },
    };
  }

  private countRecords(store: ModuleStore, q: Record<string, string>): Result {
    const pred = this.searchPredicate(store, q);
    if (q.cvid !== undefined && !/^\d+$/.test(q.cvid)) throw new ApiError(400, "INVALID_DATA", { param_name: "cvid" }, "the cvid given seems to be invalid");
    const conv = this.convertedFilter(store, q);
    const arr = store.ordered("id", conv.key, conv.fn);
    return { status: 200, body: { count: pred ? arr.filter(pred).length : arr.length } };
  }

  private deletedList(store: ModuleStore, q: Record<string, string>): Result {
    const type = q.type ?? "all";
    if (!["all", "recycle", "permanent"].includes(type)) throw new ApiError(400, "PATTERN_NOT_MATCHED", { param_name: "type" }, "Please check whether the input values are correct");
    const perPage = this.intParam(q, "per_page", 200, 200);
    const page = this.intParam(q, "page", 1);
    const items = type === "permanent" ? [] : store.deleted.slice().reverse();
    const slice = items.slice((page - 1) * perPage, page * perPage);
    if (!slice.length) return { status: 204 };
    return { status: 200, body: { data: cloneJson(slice), info: { per_page: perPage, count: slice.length, page, more_records: items.length > page * perPage } } };
  }

  private coql(ctx: Ctx, at: AccessRec): Result {
    let body: unknown;
    try {
      body = JSON.parse(ctx.raw.toString("utf8") || "null");
    } catch {
      throw new ApiError(400, "INVALID_DATA", {}, "body is not a valid JSON");
    }
    const query = isPlainObject(body) ? body.select_query : undefined;
    if (typeof query !== "string") throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "select_query" }, "One of the expected parameter is missing");
    const parsed = parseCoql(query, (name) => {
      const s = this.modules.get(name.toLowerCase());
      return s && s.apiSupported ? s : undefined;
    });
    this.requireModuleScope(at, parsed.store, "READ");
    this.requireSettingsScope(at, "fields");
    const { rows, more } = runCoql(parsed);
    if (!rows.length) return { status: 204 };
    return { status: 200, body: { data: rows, info: { count: rows.length, more_records: more } } };
  }

  // ---- writes ---------------------------------------------------------------------------
  private parseWriteBody(ctx: Ctx): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(ctx.raw.toString("utf8"));
    } catch {
      throw new ApiError(400, "INVALID_DATA", {}, "body is not a valid JSON");
    }
    if (!isPlainObject(body) || !Array.isArray(body.data)) {
      throw new ApiError(400, "INVALID_DATA", { api_name: "data", json_path: "$.data", expected_data_type: "jsonarray" }, "invalid data");
    }
    if (body.data.length === 0) throw new ApiError(400, "INVALID_DATA", { api_name: "data", json_path: "$.data" }, "the data array is empty");
    if (body.data.length > 100) throw new ApiError(400, "LIMIT_EXCEEDED", { api_name: "data", limit: 100 }, "the number of records exceeds the limit of 100");
    if (body.trigger !== undefined) {
      const allowed = ["workflow", "approval", "blueprint", "pathfinder", "orchestration"];
      if (!Array.isArray(body.trigger) || body.trigger.some((t) => typeof t !== "string" || !allowed.includes(t))) {
        throw new ApiError(400, "INVALID_DATA", { api_name: "trigger", json_path: "$.trigger", supported_values: allowed }, "invalid data");
      }
    }
    return body;
  }

  /** Validate and convert one field value; returns [value] or an error result. */
  private convertValue(store: ModuleStore, f: FieldMeta, v: unknown, path: string): { value: unknown } | { error: Record<string, unknown> } {
    const err = (details: Record<string, unknown>, message = "invalid data") => ({ error: errorBody("INVALID_DATA", { api_name: f.api_name, json_path: path, ...details }, message) });
    if (v === null) return { value: null };
    switch (f.kind) {
      case "number": {
        const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
        const integer = f.data_type === "integer" || f.data_type === "bigint";
        if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return err({ expected_data_type: integer ? "integer" : "double" });
        return { value: n };
      }
      case "boolean":
        return typeof v === "boolean" ? { value: v } : err({ expected_data_type: "boolean" });
      case "date":
        return typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? { value: v } : err({ expected_data_type: "date" });
      case "datetime":
        return typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(v) && !Number.isNaN(Date.parse(v))
          ? { value: v }
          : err({ expected_data_type: "datetime" });
      case "multi": {
        const arr = Array.isArray(v) ? v : typeof v === "string" ? [v] : null;
        if (!arr || arr.some((x) => typeof x !== "string")) return err({ expected_data_type: "jsonarray" });
        return { value: arr.slice() };
      }
      case "lookup": {
        const id = isPlainObject(v) ? v.id : v;
        if (typeof id !== "string" || !/^\d+$/.test(id)) return err({ expected_data_type: "jsonobject" });
        const target = f.lookup_module ? this.modules.get(f.lookup_module.toLowerCase()) : undefined;
        if (!target || !target.byId.has(id)) return err({ id }, "the related id given seems to be invalid");
        return { value: { name: this.displayName(f.lookup_module, id), id } };
      }
      case "owner": {
        const id = isPlainObject(v) ? v.id : v;
        if (id !== this.user.id) return err({ expected_data_type: "jsonobject" }, "the owner id given seems to be invalid");
        return { value: this.userRef() };
      }
      default: {
        if (typeof v === "object") return err({ expected_data_type: "string" });
        const s = String(v);
        if (f.length && s.length > f.length) return err({ maximum_length: f.length });
        if (f.data_type === "email" && s !== "" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return err({});
        return { value: s };
      }
    }
  }

  private success(rec: Rec, message: string, approval: boolean): Record<string, unknown> {
    const details: Record<string, unknown> = {
      Modified_Time: rec.Modified_Time,
      Modified_By: this.userShort(),
      Created_Time: rec.Created_Time,
      id: rec.id,
      Created_By: this.userShort(),
    };
    if (approval) details.$approval_state = "approved";
    return { code: "SUCCESS", details, message, status: "success" };
  }

  private write(store: ModuleStore, op: "insert" | "update" | "upsert", ctx: Ctx, pathId?: string): Result {
    const body = this.parseWriteBody(ctx);
    const input = body.data as unknown[];
    let dupFields = store.dupCheck;
    if (op === "upsert" && body.duplicate_check_fields !== undefined) {
      const d = body.duplicate_check_fields;
      if (!Array.isArray(d) || d.some((x) => typeof x !== "string" || !store.isDupCheckAllowed(x))) {
        throw new ApiError(400, "INVALID_DATA", { api_name: "duplicate_check_fields", json_path: "$.duplicate_check_fields", supported_values: [...new Set([...store.dupCheck, ...store.unique])] }, "invalid data");
      }
      dupFields = d as string[];
    }
    const results: Array<Record<string, unknown>> = [];
    const nowMs = Date.now();
    input.forEach((raw, i) => {
      const p = `$.data[${i}]`;
      if (!isPlainObject(raw)) {
        results.push(errorBody("INVALID_DATA", { expected_data_type: "jsonobject", json_path: p }, "invalid data"));
        return;
      }
      let existing: Rec | undefined;
      let duplicateField: string | null = null;
      if (op === "update") {
        const id = pathId !== undefined && i === 0 ? pathId : raw.id;
        if (id === undefined || id === null || id === "") {
          results.push(errorBody("MANDATORY_NOT_FOUND", { api_name: "id", json_path: `${p}.id` }, "required field not found"));
          return;
        }
        existing = typeof id === "string" ? store.byId.get(id) : undefined;
        if (!existing) {
          results.push(errorBody("INVALID_DATA", { id: String(id) }, "the id given seems to be invalid"));
          return;
        }
      } else if (op === "upsert") {
        const order = [...dupFields, ...store.unique.filter((u) => !dupFields.includes(u))];
        for (const f of order) {
          const meta = store.fieldMap.get(f);
          let v = raw[f];
          if (meta?.kind === "lookup" && typeof v === "string") v = { id: v };
          const hit = store.findBy(f, v)[0];
          if (hit) {
            existing = store.byId.get(hit);
            duplicateField = f;
            break;
          }
        }
      }
      const isInsert = !existing;
      // mandatory fields
      for (const m of store.mandatory) {
        const has = Object.prototype.hasOwnProperty.call(raw, m);
        const v = raw[m];
        const empty = v === null || v === undefined || (typeof v === "string" && v.trim() === "");
        if ((isInsert && empty) || (!isInsert && has && empty)) {
          results.push(errorBody("MANDATORY_NOT_FOUND", { api_name: m, json_path: `${p}.${m}` }, "required field not found"));
          return;
        }
      }
      // types (unknown and read-only fields are ignored)
      const values: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) {
        const f = store.fieldMap.get(k);
        if (!f || f.read_only || k === "id") continue;
        if (["Created_Time", "Modified_Time", "Created_By", "Modified_By"].includes(k)) continue;
        if (v === undefined) continue;
        const c = this.convertValue(store, f, v, `${p}.${k}`);
        if ("error" in c) {
          results.push(c.error);
          return;
        }
        values[k] = c.value;
      }
      // unique fields
      for (const u of store.unique) {
        if (!(u in values) || normKey(values[u]) === null) continue;
        const other = store.findBy(u, values[u]).find((id) => id !== existing?.id);
        if (other) {
          results.push(
            errorBody(
              "DUPLICATE_DATA",
              { api_name: u, json_path: `${p}.${u}`, duplicate_record: { id: other, module: { api_name: store.apiName } } },
              "duplicate data",
            ),
          );
          return;
        }
      }
      if (isInsert) {
        const rec = this.buildRecord(store, values, nowMs, nowMs);
        store.insert(rec);
        const s = this.success(rec, "record added", op === "insert");
        results.push(op === "upsert" ? { code: s.code, duplicate_field: null, action: "insert", details: s.details, message: s.message, status: s.status } : s);
      } else {
        const prev = existing!;
        const next: Rec = store.make(prev);
        for (const [k, v] of Object.entries(values)) next[k] = v;
        next.Modified_Time = isoTime(nowMs);
        if (store.fieldMap.has("Modified_By")) next.Modified_By = this.userRef();
        this.fillDerived(store, next);
        store.replace(prev, next);
        const s = this.success(next, "record updated", false);
        results.push(op === "upsert" ? { code: s.code, duplicate_field: duplicateField, action: "update", details: s.details, message: s.message, status: s.status } : s);
      }
    });
    return { status: this.writeStatus(results, op === "insert" ? 201 : 200), body: { data: results } };
  }

  private writeStatus(results: Array<Record<string, unknown>>, allOk: number): number {
    const ok = results.filter((r) => r.status === "success").length;
    if (ok === results.length) return allOk;
    if (ok === 0) return 400;
    return 207;
  }

  private deleteRecords(store: ModuleStore, idsRaw: string | undefined, q: Record<string, string>): Result {
    if (idsRaw === undefined || idsRaw.trim() === "") throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "ids" }, "One of the expected parameter is missing");
    if (q.wf_trigger !== undefined && q.wf_trigger !== "true" && q.wf_trigger !== "false") {
      throw new ApiError(400, "INVALID_DATA", { param_name: "wf_trigger" }, "invalid value for wf_trigger");
    }
    const ids = idsRaw.split(",").map((s) => s.trim()).filter(Boolean);
    if (ids.length > 100) throw new ApiError(400, "LIMIT_EXCEEDED", { param_name: "ids", limit: 100 }, "the number of ids exceeds the limit of 100");
    const now = isoTime(Date.now());
    const results = ids.map((id) => {
      const rec = store.remove(id);
      if (!rec) return errorBody("INVALID_DATA", { id }, "record not deleted");
      store.deleted.push({
        deleted_by: this.userShort(),
        id,
        display_name: rec[store.displayField] ?? null,
        type: "recycle",
        created_by: this.userShort(),
        deleted_time: now,
      });
      return { code: "SUCCESS", details: { id }, message: "record deleted", status: "success" };
    });
    return { status: this.writeStatus(results, 200), body: { data: results } };
  }
}

export default ZohoSimulator;
