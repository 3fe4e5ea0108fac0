/**
 * Zoho CRM + Zoho Accounts simulator (test double), written to /work/shared/zoho-crm-api.md.
 * Node built-ins only; listens on 127.0.0.1 by default.
 *
 * This file wires the HTTP server and the dispatch, and holds the public API; each Zoho area documents its endpoints
 * and the choices it makes in its own file:
 *   accounts.ts      Accounts server: POST /oauth/v2/token, POST /oauth/v2/token/revoke; access tokens and scopes
 *   crm.ts           CRM API routing (base /crm/v8, header "Authorization: Zoho-oauthtoken <token>")
 *   records.ts       GET /crm/v8/{module}[/{id}], /{module}/actions/count, /{module}/search, /{module}/deleted;
 *                    the If-Modified-Since rule (exclusive), sort ties
 *   coql-api.ts      POST /crm/v8/coql (the parser and engine: coql.ts; COUNT(…) aggregates)
 *   writes.ts        POST/PUT/DELETE /crm/v8/{module}[/{id}], POST /crm/v8/{module}/upsert
 *   bulk-api.ts      routing of the Bulk APIs (every one a CRM call: auth, latency, faults, log, in-flight, credits):
 *     bulk-read.ts     POST /crm/bulk/v8/read, GET /crm/bulk/v8/read/{id}[/result] (ZIP of a CSV, 10 downloads/min);
 *                      field paths, criteria and CSV values: bulk-criteria.ts
 *     bulk-write.ts    POST /crm/v8/upload (Zoho's file host content.zohoapis.{dc}, here the simulator's own URL),
 *                      POST /crm/bulk/v8/write, GET /crm/bulk/v8/write/{id}, the result ZIP at its download_url
 *     bulk-jobs.ts     sim.bulk: job states over time (stepMs, pause/resume/advance/complete), pageSize,
 *                      downloadWindowMs, failNext, jobs, files
 *     zip-csv.ts       streamed ZIP-of-CSV downloads and upload reading (fflate, csv-stringify, csv-parse);
 *                      multipart.ts: binary-safe multipart/form-data
 *   metadata-api.ts  GET /crm/v8/settings/modules, /settings/fields, /org, /users
 *   related.ts       GET /crm/v8/{module}/{id}/{related_list} (paged by records.ts), GET /crm/v8/settings/related_lists,
 *                    POST /crm/v8/{module}/{id}/Notes (Notes is a module: POST /crm/v8/Notes is a plain insert)
 *   files.ts         POST /crm/v8/{module}/{id}/Attachments (multipart), GET|DELETE …/Attachments/{id} (binary
 *                    download), GET|POST|DELETE /crm/v8/{module}/{id}/photo
 *   notifications.ts GET/POST/PUT/PATCH/DELETE /crm/v8/actions/watch; callbacks to notify_url (loopback only),
 *                    sim.callbacks, sim.injectCallbackFault, sim.callbacksSettled
 *   ui.ts            sim.ui.create/update/delete (changes "from the Zoho UI"), sim.emptyRecycleBin, late visibility
 *   desk.ts          Zoho Desk under /api/v1 (organizations, departments, tickets; orgId header, Desk scopes and error
 *                    shape); the same server, as a client with an accounts-URL override reaches every service on the
 *                    api_domain it was given. Its data and sim.desk (seedTickets, orgs, tickets, reset): desk-data.ts
 *   control.ts       GET /__sim/grant-token, /__sim/stats, /__sim/clock; fault injection, request log, in-flight
 *                    counting, credits, reset
 *   clock.ts         sim.clock (now/set/advance/real) and sim.setUtcOffset: the source of every org timestamp
 *   data.ts          the module stores: modules added, records seeded and built
 *   state.ts         the shared state (ZohoSimulator extends SimState) and the shared types
 *
 * Choices where the doc is silent or unsure (kept deliberately strict so client bugs show up):
 *   - Paths: /crm/… (and bulk write results) are CRM calls, /api/… Desk calls, /oauth/… the accounts server; both kinds
 *     of API call go through the request log, latency, faults and in-flight counting (state.ts serviceOf). Anything
 *     else is 404 INVALID_URL_PATTERN.
 *   - Datetimes are ISO 8601 with the org offset (default +05:30, time zone Asia/Kolkata), second precision, from
 *     sim.clock; the Date response header comes from sim.clock too.
 *   - The others are listed in the file of the area they concern.
 */
import * as http from "http";
import * as net from "net";
import { pipeline } from "stream";
import { URL } from "url";
import { ModuleInput, FieldInput } from "./store";
import { DEMO_MODULES } from "./metadata";
import { ApiError, Rec, defaultErrorFor, errorBody, statusForCode, urlPatternError, zohoToken } from "./util";
import { Ctx, Fault, JSON_TYPE, RequestLogEntry, Result, Service, SimState, SimulatorOptions, header, serviceOf } from "./state";
import * as accounts from "./accounts";
import * as control from "./control";
import * as data from "./data";
import { processCrm } from "./crm";
import { deskFaultBody, deskStatusForCode, processDesk } from "./desk";
import { checkUtcOffset } from "./clock";
import * as notifications from "./notifications";
import * as changesInUi from "./ui";
import { DeletedEntry } from "./store";

export type { ModuleInput, FieldInput } from "./store";
export type ModuleDef = ModuleInput;
export type FieldDef = FieldInput;
export type { SimulatorOptions, Fault, RequestLogEntry } from "./state";
export type { CallbackFault, CallbackLogEntry } from "./notifications";
export type { UiOptions } from "./ui";
export type { DeletedEntry } from "./store";
export type { DeskOrg, DeskTicket, DeskDepartment, DeskContact } from "./desk-data";
export type { BulkJob, BulkFailure, UploadedFile } from "./bulk-jobs";
export { DEFAULT_SCOPE } from "./accounts";

export class ZohoSimulator extends SimState {
  private server?: http.Server;
  private sockets = new Set<net.Socket>();
  private timers = new Set<NodeJS.Timeout>();

  constructor(options: SimulatorOptions = {}) {
    super(options);
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
    notifications.resetNotifications(this, true);
    this.bulk.stopTimers();
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
    return accounts.issueGrantToken(this, clientId, opts);
  }

  /** `token` fixes the value (the demo keeps one refresh token valid across restarts). */
  issueRefreshToken(clientId: string, scope?: string, token: string = zohoToken()): string {
    return accounts.issueRefreshToken(this, clientId, scope, token);
  }

  revokeRefreshToken(token: string): void {
    accounts.revokeRefreshToken(this, token);
  }

  expireAccessTokens(): void {
    for (const at of this.accessTokens.values()) at.expiresAt = 0;
  }

  addModule(def: ModuleInput): void {
    data.addModule(this, def);
  }

  seedRecords(module: string, records: object[] | number): object[] {
    return data.seedRecords(this, module, records);
  }

  records(module: string): object[] {
    return data.records(this, module);
  }

  clearRecords(module?: string): void {
    data.clearRecords(this, module);
  }

  inject(fault: Fault): void {
    control.inject(this, fault);
  }

  clearFaults(): void {
    this.faults = [];
  }

  count(filter: { method?: string; path?: string | RegExp } = {}): number {
    return control.count(this, filter);
  }

  reset(): void {
    control.reset(this);
  }

  /** Changes made "in the Zoho UI" (ui.ts): not API calls, no credits, notifications sent. */
  readonly ui = {
    create: (module: string, values: object, opts?: changesInUi.UiOptions): Rec => changesInUi.uiCreate(this, module, values, opts),
    update: (module: string, id: string, values: object, opts?: changesInUi.UiOptions): Rec => changesInUi.uiUpdate(this, module, id, values, opts),
    delete: (module: string, id: string, opts?: { permanent?: boolean }): DeletedEntry => changesInUi.uiDelete(this, module, id, opts),
  };

  /** Turn the module's recycle-bin entries into permanent ones (deleted_time kept); returns how many. */
  emptyRecycleBin(module: string): number {
    return changesInUi.emptyRecycleBin(this, module);
  }

  /** Apply `fault` to the next `times` (default 1) notification callbacks (notifications.ts). */
  injectCallbackFault(fault: notifications.CallbackFault): void {
    notifications.injectCallbackFault(this, fault);
  }

  clearCallbackFaults(): void {
    this.delivery.faults = [];
  }

  /** Resolves once no notification callback is queued, held, delayed or in flight. */
  callbacksSettled(): Promise<void> {
    return notifications.callbacksSettled(this);
  }

  setLatency(ms: number): void {
    this.latency = Math.max(0, ms);
  }

  /** The offset (minutes east of UTC) the org writes datetimes with from now on; `timeZone` names it in /org and /users. */
  setUtcOffset(minutes: number, timeZone?: string): void {
    this.utcOffsetMinutes = checkUtcOffset(minutes);
    if (timeZone !== undefined) this.timeZone = timeZone;
  }

  // =====================================================================================
  // HTTP plumbing
  // =====================================================================================
  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const at = Date.now();
    const url = new URL(req.url || "/", "http://127.0.0.1");
    const path = url.pathname;
    const method = (req.method || "GET").toUpperCase();
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    if (path.startsWith("/__sim/")) {
      req.resume();
      req.on("end", () => control.handleSim(this, req, res, path, query));
      return;
    }
    const service = serviceOf(path);
    const isApi = service === "crm" || service === "desk";
    const finished = isApi ? control.trackInFlight(this, req, res, service === "desk") : () => undefined;
    const entry: RequestLogEntry = { method, path, query, headers: { ...req.headers }, at };
    this.requests.push(entry);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => undefined);
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      entry.body = control.logBody(raw, header(req.headers, "content-type"));
      this.dispatch({ method, path, url, query, headers: req.headers, raw }, entry, req, res, service, finished);
    });
  }

  private dispatch(
    ctx: Ctx,
    entry: RequestLogEntry,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    service: Service,
    finished: () => void,
  ): void {
    const isApi = service === "crm" || service === "desk";
    const fault = control.pickFault(this, ctx.method, ctx.path, isApi, service === "oauth");
    const delay = (isApi ? this.latency : 0) + (fault?.delayMs ?? 0);
    const drop = () => {
      entry.status = undefined;
      req.socket.destroy();
      finished();
    };
    const respond = (r: Result, then?: () => void) => this.respond(res, entry, r, delay, finished, then);
    if (fault) {
      if (fault.tokenThrottle) return respond({ status: fault.status ?? 400, body: fault.body ?? accounts.THROTTLE_BODY, headers: fault.headers });
      if (fault.drop === "before") return delay > 0 ? this.after(delay, drop) : drop();
      if (fault.status !== undefined || fault.body !== undefined || fault.code !== undefined) {
        const status = fault.status ?? (fault.code ? (service === "desk" ? deskStatusForCode : statusForCode)(fault.code) : 200);
        let body = fault.body;
        if (body === undefined) {
          const d = defaultErrorFor(status);
          if (service === "crm") body = errorBody(fault.code ?? d.code, {}, d.message);
          else if (service === "desk") body = deskFaultBody(status, fault.code);
          else body = { error: fault.code ?? (status === 400 ? "Access Denied" : "server_error") };
        }
        const r: Result = { status, body, headers: fault.headers };
        if (fault.drop === "after") return this.after(Math.max(delay, 0), drop);
        return respond(r);
      }
    }
    let result: Result;
    try {
      if (service === "crm") result = processCrm(this, ctx);
      else if (service === "desk") result = processDesk(this, ctx);
      else if (service === "oauth") result = accounts.processOAuth(this, ctx);
      else throw urlPatternError();
    } catch (e) {
      if (e instanceof ApiError) result = { status: e.httpStatus, body: e.body() };
      else result = { status: 500, body: errorBody("INTERNAL_ERROR", { reason: String((e as Error)?.message ?? e) }, "Internal Server Error") };
    }
    if (fault?.headers) result.headers = { ...(result.headers ?? {}), ...fault.headers };
    // notification callbacks for the records this request changed go out once its answer is written (or dropped)
    const changes = notifications.takeChanges(this);
    const announce = () => notifications.announce(this, changes);
    if (fault?.drop === "after") {
      const dropThenAnnounce = () => {
        drop();
        announce();
      };
      return delay > 0 ? this.after(delay, dropThenAnnounce) : dropThenAnnounce();
    }
    respond(result, announce);
  }

  private respond(res: http.ServerResponse, entry: RequestLogEntry, r: Result, delayMs: number, finished: () => void, then?: () => void): void {
    const go = () => {
      try {
        write();
      } finally {
        then?.();
      }
    };
    const write = () => {
      entry.status = r.status;
      const headers: Record<string, string> = { Date: new Date(this.clock.now()).toUTCString(), ...(r.headers ?? {}) };
      if (r.stream && res.socket && !res.socket.destroyed && !res.writableEnded) {
        // a streamed answer (bulk downloads) is in flight until its last byte is written or the client goes away
        res.writeHead(r.status, headers);
        return void pipeline(r.stream(), res, () => finished());
      }
      finished();
      if (!res.socket || res.socket.destroyed || res.writableEnded) return;
      if (r.body === undefined) {
        res.writeHead(r.status, headers);
        res.end();
        return;
      }
      // a Buffer is sent as is (file downloads, which set their own Content-Type), anything else as JSON text
      const payload = Buffer.isBuffer(r.body) ? r.body : Buffer.from(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["Content-Type"] = JSON_TYPE;
      headers["Content-Length"] = String(payload.length);
      res.writeHead(r.status, headers);
      res.end(payload);
    };
    if (delayMs > 0) this.after(delayMs, go);
    else go();
  }
}

export default ZohoSimulator;
