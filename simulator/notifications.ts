/**
 * Notification API (watch channels) and the callbacks it sends.
 *
 *   POST   /crm/v8/actions/watch   enable  {"watch":[{channel_id, events, notify_url, token?, channel_expiry?,
 *                                  return_affected_field_values?, notify_on_related_action?, notification_condition?}]}
 *   GET    /crm/v8/actions/watch   list    page, per_page (<= 200), channel_id, module; 204 when none
 *   PUT    /crm/v8/actions/watch   replace {"watch":[…]} with the full channel (channel_id, events, notify_url mandatory)
 *   PATCH  /crm/v8/actions/watch   update  {"watch":[{channel_id, …the fields to change}]}
 *   DELETE /crm/v8/actions/watch?channel_ids=1,2   disable
 *
 * Scopes (401 OAUTH_SCOPE_MISMATCH otherwise): enable ZohoCRM.notifications.ALL|CREATE|WRITE, replace/update
 * ALL|WRITE|UPDATE, list ALL|READ, disable ALL|DELETE.
 *
 * Per item (all checked before anything is stored):
 *   channel_id      mandatory; a JSON integer or a digit string (kept as a digit string); else INVALID_DATA
 *   events          mandatory (not on PATCH); non-empty ["Module.op"], op create|edit|delete|all, Module an API-supported
 *                   module (any case; stored under its API name); "all" is stored as edit, create, delete
 *   notify_url      mandatory (not on PATCH); absolute http(s) URL; its query parameters come back as query_params
 *   token           <= 50 characters, or null
 *   channel_expiry  ISO datetime in the future; omitted or more than a week ahead -> one hour from now (sim.clock)
 *   return_affected_field_values, notify_on_related_action (booleans, default false / true), notification_condition
 *                   (array or null): stored and listed; notification_condition is not evaluated, and
 *                   notify_on_related_action changes nothing (the simulator has no related-record actions).
 * A missing mandatory key -> MANDATORY_NOT_FOUND {api_name, json_path}; a bad value -> INVALID_DATA {api_name, json_path};
 * PUT / PATCH / DELETE of a channel that does not exist or has expired -> NOT_SUBSCRIBED {channel_id}.
 * Status: 201 (POST) or 200 when every item succeeds; HTTP 202 when any item fails: `watch[i]` then holds each item's
 * result in input order, errors with status "error" (the items that succeeded are applied). A request-level problem
 * (body not JSON, no "watch" array, channel_ids missing) is a 400 error object.
 * POST with an existing channel_id replaces that channel. PATCH keeps what it does not name, except token: a PATCH
 * without "token" sets it to null (the quirk peers report); its events are added to the channel's, or removed with
 * "_delete_events": true (a channel left without events is disabled). Responses list one entry per channel and module.
 * Channels expire at channel_expiry (sim.clock): an expired channel is dropped, sends nothing and is not subscribed.
 *
 * Callbacks: a change that matches a live channel's events (insert -> Module.create, update -> Module.edit, delete ->
 * Module.delete) is POSTed as JSON to notify_url:
 *   {"server_time":<sim.clock ms>,"query_params":{…},"module":"Leads","resource_uri":"<api domain>/crm/v8/Leads",
 *    "ids":["…"],"affected_fields":[],"operation":"insert"|"update"|"delete","channel_id":"…","token":<token|null>}
 *   - API writes: one callback per request, channel, module and operation with all the ids (an upsert that inserts and
 *     updates sends one of each); sim.ui.* changes: one callback per change.
 *   - With return_affected_field_values, an update callback also carries "affected_fields":[{"<id>":["Phone",…]}] and
 *     "affected_values":[{"record_id":"<id>","values":{"Phone":…}}] (the fields whose value changed, system fields
 *     excepted); insert and delete callbacks keep "affected_fields":[] and carry no affected_values.
 *   - Sent after the API response has been written, one at a time in order, 10 s timeout, no retries (as Zoho).
 *   - A change made with visibleAfterMs is announced at once, before the API can see it (Zoho's callback can precede
 *     API visibility; a trigger must cope).
 *   - Only to loopback hosts (127.0.0.1, ::1, localhost, which is dialled as 127.0.0.1): any other host is logged with
 *     error "not delivered: …" and nothing is sent. The simulator never sends traffic anywhere else.
 *   - sim.callbacks logs every attempt: {channelId, url, body, status?, error?, at (sim.clock), fault?}.
 *   - sim.injectCallbackFault({kind, times = 1, delayMs}): each fault applies to the next `times` callbacks:
 *       drop       not sent, logged with error "dropped by injected fault"
 *       delay      sent delayMs (default 1000) real ms later, after the ones that follow it
 *       duplicate  sent twice
 *       reorder    held, and sent right after the next callback (or after delayMs, default 1000, if none comes)
 *     sim.clearCallbackFaults(); await sim.callbacksSettled() resolves once nothing is queued, held or in flight.
 */
import * as http from "http";
import * as https from "https";
import { URL } from "url";
import { ModuleStore } from "./store";
import { ApiError, Rec, compareIds, errorBody, isPlainObject } from "./util";
import { apiDomain } from "./accounts";
import { resolveModule } from "./data";
import { intParam } from "./records";
import { stamp } from "./clock";
import { Ctx, Result, SimState, jsonBody } from "./state";

export type Operation = "insert" | "update" | "delete";
type Op = "create" | "edit" | "delete";
const OPS: readonly Op[] = ["edit", "create", "delete"]; // the order Zoho lists them in
const OP_OF: Record<Operation, Op> = { insert: "create", update: "edit", delete: "delete" };
const HOUR_MS = 3600000;
const WEEK_MS = 7 * 24 * HOUR_MS;
const CALLBACK_TIMEOUT_MS = 10000;
const SYSTEM_FIELDS = new Set(["Modified_Time", "Modified_By", "Created_Time", "Created_By"]);

export interface Channel {
  channelId: string;
  /** module API name -> operations */
  modules: Map<string, Set<Op>>;
  notifyUrl: string;
  token: string | null;
  expiry: number;
  returnAffectedFieldValues: boolean;
  notifyOnRelatedAction: boolean;
  notificationCondition: unknown[] | null;
}

/** One record changed (by the API or sim.ui); `prev` / `next` for updates. */
export interface Change {
  module: string;
  operation: Operation;
  id: string;
  prev?: Rec;
  next?: Rec;
}

export type CallbackFaultKind = "drop" | "delay" | "duplicate" | "reorder";
export interface CallbackFault {
  kind: CallbackFaultKind;
  times?: number;
  delayMs?: number;
}

export interface CallbackLogEntry {
  channelId: string;
  url: string;
  body: Record<string, unknown>;
  status?: number;
  error?: string;
  /** sim.clock when sent (or dropped) */
  at: number;
  fault?: CallbackFaultKind;
}

export interface Outgoing {
  channelId: string;
  url: string;
  body: Record<string, unknown>;
  gen: number;
}

// =====================================================================================
// test-control API
// =====================================================================================
export function injectCallbackFault(sim: SimState, fault: CallbackFault): void {
  if (!["drop", "delay", "duplicate", "reorder"].includes(fault.kind)) throw new Error(`unknown callback fault kind ${String(fault.kind)}`);
  sim.delivery.faults.push({ fault, left: fault.times ?? 1 });
}

export function callbacksSettled(sim: SimState): Promise<void> {
  if (sim.delivery.pending === 0) return Promise.resolve();
  return new Promise((resolve) => sim.delivery.waiters.push(resolve));
}

/**
 * Cancel every callback not yet sent (queued, delayed, held) and the callback faults; reset() also forgets the
 * channels and the log, stop() (keepChannels) keeps them. Callbacks already in flight finish.
 */
export function resetNotifications(sim: SimState, keepChannels = false): void {
  const d = sim.delivery;
  d.gen++;
  for (const t of d.timers) {
    clearTimeout(t);
    done(sim);
  }
  d.timers.clear();
  d.held = [];
  d.faults = [];
  sim.changes = [];
  if (!keepChannels) {
    sim.channels.clear();
    sim.callbacks = [];
  }
}

// =====================================================================================
// changes -> callbacks
// =====================================================================================
/** Note a change made by the current API request; announced once its response is written (takeChanges). */
export function noteChange(sim: SimState, change: Change): void {
  if (sim.channels.size) sim.changes.push(change);
}

export function takeChanges(sim: SimState): Change[] {
  const out = sim.changes;
  sim.changes = [];
  return out;
}

/** Send the callbacks for these changes (one per channel, module and operation). */
export function announce(sim: SimState, changes: Change[]): void {
  if (!changes.length) return;
  dropExpired(sim);
  if (!sim.channels.size) return;
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const k = `${c.module}|${c.operation}`;
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  const serverTime = sim.clock.now();
  for (const g of groups.values()) {
    const { module, operation } = g[0];
    for (const ch of sim.channels.values()) {
      if (!ch.modules.get(module)?.has(OP_OF[operation])) continue;
      const ids = g.map((c) => c.id);
      const body: Record<string, unknown> = { server_time: serverTime };
      let affectedFields: unknown[] = [];
      if (ch.returnAffectedFieldValues && operation === "update") {
        const diffs = g.map((c) => ({ id: c.id, values: changedValues(sim, c) }));
        body.affected_values = diffs.map((d) => ({ record_id: d.id, values: d.values }));
        affectedFields = diffs.map((d) => ({ [d.id]: Object.keys(d.values) }));
      }
      Object.assign(body, {
        query_params: Object.fromEntries(new URL(ch.notifyUrl).searchParams),
        module,
        resource_uri: resourceUri(sim, module),
        ids,
        affected_fields: affectedFields,
        operation,
        channel_id: ch.channelId,
        token: ch.token,
      });
      enqueue(sim, { channelId: ch.channelId, url: ch.notifyUrl, body, gen: sim.delivery.gen });
    }
  }
}

function changedValues(sim: SimState, c: Change): Record<string, unknown> {
  const store = sim.modules.get(c.module.toLowerCase());
  const out: Record<string, unknown> = {};
  if (!store || !c.prev || !c.next) return out;
  for (const f of store.fields) {
    const k = f.api_name;
    if (SYSTEM_FIELDS.has(k)) continue;
    const a = c.prev[k] ?? null;
    const b = c.next[k] ?? null;
    if (a !== b && JSON.stringify(a) !== JSON.stringify(b)) out[k] = b;
  }
  return out;
}

function resourceUri(sim: SimState, module: string): string {
  return `${apiDomain(sim)}/crm/v8/${module}`;
}

// ---- delivery ----------------------------------------------------------------------------
function done(sim: SimState): void {
  const d = sim.delivery;
  if (d.pending > 0) d.pending--;
  if (d.pending === 0) for (const w of d.waiters.splice(0)) w();
}

function later(sim: SimState, ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(() => {
    sim.delivery.timers.delete(t);
    fn();
  }, ms);
  sim.delivery.timers.add(t);
  return t;
}

function takeFault(sim: SimState): CallbackFault | undefined {
  const f = sim.delivery.faults.find((x) => x.left > 0);
  if (!f) return undefined;
  f.left--;
  sim.delivery.faults = sim.delivery.faults.filter((x) => x.left > 0);
  return f.fault;
}

function enqueue(sim: SimState, cb: Outgoing): void {
  const d = sim.delivery;
  const fault = takeFault(sim);
  d.pending++;
  switch (fault?.kind) {
    case "drop":
      sim.callbacks.push({ channelId: cb.channelId, url: cb.url, body: cb.body, error: "dropped by injected fault", at: sim.clock.now(), fault: "drop" });
      done(sim);
      break;
    case "delay":
      later(sim, fault.delayMs ?? 1000, () => send(sim, cb, "delay"));
      break;
    case "reorder": {
      const timer = later(sim, fault.delayMs ?? 1000, () => {
        d.held = d.held.filter((h) => h.cb !== cb);
        send(sim, cb, "reorder");
      });
      d.held.push({ cb, timer });
      return; // does not release the ones held before it
    }
    case "duplicate":
      d.pending++;
      send(sim, cb, "duplicate");
      send(sim, cb, "duplicate");
      break;
    default:
      send(sim, cb);
  }
  for (const h of d.held.splice(0)) {
    clearTimeout(h.timer);
    d.timers.delete(h.timer);
    send(sim, h.cb, "reorder");
  }
}

/** Queue one POST behind the ones before it; it counts as pending until finished. */
function send(sim: SimState, cb: Outgoing, fault?: CallbackFaultKind): void {
  const d = sim.delivery;
  d.chain = d.chain.then(() => (cb.gen === d.gen ? post(sim, cb, fault) : undefined)).then(() => done(sim));
}

/** loopback host names -> the address dialled */
const LOOPBACK = new Map([
  ["127.0.0.1", "127.0.0.1"],
  ["[::1]", "::1"],
  ["localhost", "127.0.0.1"],
]);

function post(sim: SimState, cb: Outgoing, fault?: CallbackFaultKind): Promise<void> {
  const entry: CallbackLogEntry = { channelId: cb.channelId, url: cb.url, body: cb.body, at: sim.clock.now() };
  if (fault) entry.fault = fault;
  sim.callbacks.push(entry);
  const u = new URL(cb.url);
  const host = LOOPBACK.get(u.hostname.toLowerCase());
  if (!host) {
    entry.error = `not delivered: ${u.hostname} is not a loopback address`;
    return Promise.resolve();
  }
  const text = JSON.stringify(cb.body);
  const secure = u.protocol === "https:";
  const options: https.RequestOptions = {
    host,
    port: u.port || (secure ? 443 : 80),
    path: `${u.pathname}${u.search}`,
    method: "POST",
    agent: false,
    timeout: CALLBACK_TIMEOUT_MS,
    headers: { Host: u.host, "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)), "User-Agent": "Zoho CRM notifications (simulator)" },
  };
  if (secure) options.rejectUnauthorized = false;
  return new Promise((resolve) => {
    const req = (secure ? https : http).request(options, (res) => {
      entry.status = res.statusCode;
      res.resume();
      res.on("close", () => resolve());
      res.on("error", () => resolve());
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${CALLBACK_TIMEOUT_MS} ms`)));
    req.on("error", (e) => {
      if (entry.status === undefined) entry.error = e.message;
      resolve();
    });
    req.end(text);
  });
}

// =====================================================================================
// /crm/v8/actions/watch
// =====================================================================================
type Mode = "enable" | "replace" | "update";

export function watch(sim: SimState, ctx: Ctx): Result {
  dropExpired(sim);
  switch (ctx.method) {
    case "GET":
      return listChannels(sim, ctx.query);
    case "DELETE":
      return disable(sim, ctx.query.channel_ids);
    case "POST":
      return change(sim, ctx, "enable");
    case "PUT":
      return change(sim, ctx, "replace");
    default:
      return change(sim, ctx, "update");
  }
}

/** The scopes each method of /actions/watch accepts (§11). */
export function watchScopes(method: string): string[] {
  const ops: Record<string, string[]> = { GET: ["READ"], POST: ["CREATE", "WRITE"], PUT: ["WRITE", "UPDATE"], PATCH: ["WRITE", "UPDATE"], DELETE: ["DELETE"] };
  return ["ALL", ...(ops[method] ?? [])].map((o) => `ZohoCRM.notifications.${o}`);
}

function dropExpired(sim: SimState): void {
  const now = sim.clock.now();
  for (const [id, ch] of sim.channels) if (ch.expiry <= now) sim.channels.delete(id);
}

function itemResults(results: Array<Record<string, unknown>>, allOk: number): Result {
  return { status: results.every((r) => r.status === "success") ? allOk : 202, body: { watch: results } };
}

function moduleEntry(sim: SimState, ch: Channel, module: string): Record<string, unknown> {
  const store = sim.modules.get(module.toLowerCase()) as ModuleStore;
  return { resource_uri: resourceUri(sim, module), resource_id: store.id, resource_name: module, channel_id: ch.channelId };
}

function change(sim: SimState, ctx: Ctx, mode: Mode): Result {
  const body = jsonBody(ctx);
  if (!isPlainObject(body) || body.watch === undefined) throw new ApiError(400, "MANDATORY_NOT_FOUND", { api_name: "watch", json_path: "$.watch" }, "required field not found");
  if (!Array.isArray(body.watch) || body.watch.length === 0) {
    throw new ApiError(400, "INVALID_DATA", { api_name: "watch", json_path: "$.watch", expected_data_type: "jsonarray" }, "invalid data");
  }
  const message = mode === "enable" ? "Successfully subscribed for actions-watch of the given module" : "Successfully updated the subscribe details";
  const results = body.watch.map((raw, i) => {
    const r = parseItem(sim, raw, i, mode);
    if (!("channel" in r)) return r.error;
    const ch = r.channel;
    if (ch.modules.size === 0) sim.channels.delete(ch.channelId);
    else sim.channels.set(ch.channelId, ch);
    const expiry = stamp(sim, ch.expiry);
    const events = [...ch.modules.keys()].map((m) => ({ channel_expiry: expiry, ...moduleEntry(sim, ch, m) }));
    return { code: "SUCCESS", details: { events }, message, status: "success" };
  });
  return itemResults(results, mode === "enable" ? 201 : 200);
}

function notSubscribed(channelId: string): Record<string, unknown> {
  return errorBody("NOT_SUBSCRIBED", { channel_id: channelId }, "Not subscribed for actions-watch of the given channel");
}

function parseChannelId(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isInteger(v) && v > 0) return BigInt(v).toString();
  if (typeof v === "string" && /^[0-9]{1,19}$/.test(v) && BigInt(v) > 0n && BigInt(v) <= 9223372036854775807n) return v;
  return undefined;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;

/** Validate one item of a POST / PUT / PATCH body into the channel it makes, or its error entry. */
function parseItem(sim: SimState, raw: unknown, i: number, mode: Mode): { channel: Channel } | { error: Record<string, unknown> } {
  const path = `$.watch[${i}]`;
  const missing = (k: string) => ({ error: errorBody("MANDATORY_NOT_FOUND", { api_name: k, json_path: `${path}.${k}` }, "required field not found") });
  const invalid = (k: string, details: Record<string, unknown> = {}, jsonPath = `${path}.${k}`) => ({
    error: errorBody("INVALID_DATA", { api_name: k, json_path: jsonPath, ...details }, "invalid data"),
  });
  if (!isPlainObject(raw)) return { error: errorBody("INVALID_DATA", { json_path: path, expected_data_type: "jsonobject" }, "invalid data") };
  const mandatory = mode === "update" ? ["channel_id"] : ["channel_id", "events", "notify_url"];
  for (const k of mandatory) if (raw[k] === undefined || raw[k] === null || raw[k] === "") return missing(k);
  const channelId = parseChannelId(raw.channel_id);
  if (!channelId) return invalid("channel_id", { expected_data_type: "long" });
  const existing = sim.channels.get(channelId);
  if (mode !== "enable" && !existing) return { error: notSubscribed(channelId) };
  const now = sim.clock.now();
  const base: Channel =
    mode === "update" && existing
      ? { ...existing, modules: new Map([...existing.modules].map(([m, ops]) => [m, new Set(ops)])), token: null }
      : { channelId, modules: new Map(), notifyUrl: "", token: null, expiry: now + HOUR_MS, returnAffectedFieldValues: false, notifyOnRelatedAction: true, notificationCondition: null };
  const ch = base;
  if (raw.events !== undefined) {
    const ev = raw.events;
    if (!Array.isArray(ev) || ev.length === 0) return invalid("events", { expected_data_type: "jsonarray" });
    const removing = mode === "update" && raw._delete_events === true;
    for (let j = 0; j < ev.length; j++) {
      const m = typeof ev[j] === "string" ? /^([A-Za-z0-9_]+)\.(create|edit|delete|all)$/.exec(ev[j] as string) : null;
      const store = m ? sim.modules.get(m[1].toLowerCase()) : undefined;
      if (!m || !store || !store.apiSupported) return invalid("events", {}, `${path}.events[${j}]`);
      const ops: Op[] = m[2] === "all" ? [...OPS] : [m[2] as Op];
      let set = ch.modules.get(store.apiName);
      if (!set) ch.modules.set(store.apiName, (set = new Set()));
      for (const op of ops) (removing ? set.delete(op) : set.add(op));
      if (!set.size) ch.modules.delete(store.apiName);
    }
  }
  if (raw.notify_url !== undefined) {
    let u: URL | undefined;
    try {
      u = typeof raw.notify_url === "string" ? new URL(raw.notify_url) : undefined;
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) return invalid("notify_url");
    ch.notifyUrl = raw.notify_url as string;
  }
  if (raw.token !== undefined && raw.token !== null) {
    if (typeof raw.token !== "string" || raw.token.length > 50) return invalid("token", { maximum_length: 50 });
    ch.token = raw.token;
  }
  if (raw.channel_expiry !== undefined && raw.channel_expiry !== null) {
    const v = raw.channel_expiry;
    const at = typeof v === "string" && DATETIME.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(at) || at <= now) return invalid("channel_expiry", { expected_data_type: "datetime" });
    ch.expiry = at - now > WEEK_MS ? now + HOUR_MS : Math.floor(at / 1000) * 1000;
  } else if (mode !== "update") ch.expiry = now + HOUR_MS;
  for (const [k, key] of [["return_affected_field_values", "returnAffectedFieldValues"], ["notify_on_related_action", "notifyOnRelatedAction"]] as const) {
    if (raw[k] === undefined) continue;
    if (typeof raw[k] !== "boolean") return invalid(k, { expected_data_type: "boolean" });
    ch[key] = raw[k] as boolean;
  }
  if (raw.notification_condition !== undefined) {
    const c = raw.notification_condition;
    if (c !== null && !(Array.isArray(c) && c.every(isPlainObject))) return invalid("notification_condition", { expected_data_type: "jsonarray" });
    ch.notificationCondition = c as unknown[] | null;
  }
  return { channel: ch };
}

function listChannels(sim: SimState, q: Record<string, string>): Result {
  const perPage = intParam(q, "per_page", 200, 200);
  const page = intParam(q, "page", 1);
  let channelId: string | undefined;
  if (q.channel_id !== undefined) {
    channelId = parseChannelId(q.channel_id);
    if (!channelId) throw new ApiError(400, "INVALID_DATA", { param_name: "channel_id" }, "invalid value for channel_id");
  }
  const module = q.module !== undefined ? resolveModule(sim, q.module, true).apiName : undefined;
  const entries: Array<Record<string, unknown>> = [];
  const channels = [...sim.channels.values()].sort((a, b) => compareIds(a.channelId, b.channelId));
  for (const ch of channels) {
    if (channelId && ch.channelId !== channelId) continue;
    for (const [m, ops] of ch.modules) {
      if (module && m !== module) continue;
      const where = moduleEntry(sim, ch, m);
      entries.push({
        notify_on_related_action: ch.notifyOnRelatedAction,
        channel_expiry: stamp(sim, ch.expiry),
        return_affected_field_values: ch.returnAffectedFieldValues,
        resource_uri: where.resource_uri,
        resource_id: where.resource_id,
        notify_url: ch.notifyUrl,
        resource_name: m,
        fields: null,
        notification_condition: ch.notificationCondition,
        channel_id: ch.channelId,
        events: OPS.filter((o) => ops.has(o)).map((o) => `${m}.${o}`),
        token: ch.token,
      });
    }
  }
  const slice = entries.slice((page - 1) * perPage, page * perPage);
  if (!slice.length) return { status: 204 };
  return { status: 200, body: { watch: slice, info: { per_page: perPage, count: slice.length, page, more_records: entries.length > page * perPage } } };
}

function disable(sim: SimState, raw: string | undefined): Result {
  if (raw === undefined || raw.trim() === "") throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "channel_ids" }, "One of the expected parameter is missing");
  const results: Array<Record<string, unknown>> = [];
  for (const s of raw.split(",").map((x) => x.trim()).filter(Boolean)) {
    const id = parseChannelId(s);
    if (!id) {
      results.push(errorBody("INVALID_DATA", { param_name: "channel_ids", channel_id: s }, "invalid data"));
      continue;
    }
    const ch = sim.channels.get(id);
    if (!ch) {
      results.push(notSubscribed(id));
      continue;
    }
    sim.channels.delete(id);
    for (const m of ch.modules.keys()) {
      const { resource_uri, resource_id, channel_id } = moduleEntry(sim, ch, m);
      results.push({ code: "SUCCESS", details: { resource_uri, resource_id, channel_id }, message: "Successfully un-subscribed from actions-watch", status: "success" });
    }
  }
  return itemResults(results, 200);
}
