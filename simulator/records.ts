/**
 * CRM reads: list with page / page_token, get one, search, count, deleted records.
 *
 *   GET    /crm/v8/{module}                 list (fields required, page / page_token, sort_by, sort_order, cvid, ids, converted, If-Modified-Since);
 *                                           the same walk lists a record's related records (related.ts, a ListScope)
 *   GET    /crm/v8/{module}/{id}            single record, all fields. Unknown id -> 400 INVALID_DATA
 *                                           {"details":{"id":…},"message":"the id given seems to be invalid"} (the doc is unsure
 *                                           between this and 204; the simulator picks the explicit error).
 *   GET    /crm/v8/{module}/actions/count   {"count":N}, 200 even when 0. Optional criteria > email > phone > word, read exactly as
 *                                           search reads them (criteria.ts: escaped "(", ")", ",", "\"; INVALID_QUERY when bad);
 *                                           cvid: any digit string, counting the whole module (no custom views), else INVALID_DATA.
 *   GET    /crm/v8/{module}/search          criteria > email > phone > word
 *   GET    /crm/v8/{module}/deleted         deleted records: type=all (default) | recycle | permanent (else 400 PATTERN_NOT_MATCHED),
 *                                           page, per_page (<= 200), If-Modified-Since on deleted_time; 204 when none.
 *                                           Items {deleted_by{name,id}, id, display_name, type, created_by{name,id}, deleted_time};
 *                                           permanent items have null deleted_by, display_name and created_by. The API's delete
 *                                           and sim.ui.delete() file recycle items; sim.ui.delete(…, {permanent:true}) and
 *                                           sim.emptyRecycleBin(module) permanent ones.
 *
 * If-Modified-Since (list and deleted, one rule): EXCLUSIVE. Only records whose Modified_Time (deleted items whose
 * deleted_time) is strictly after the header's instant are returned; a change stamped in the very second the header
 * names is not. Compared as instants (any offset, RFC 1123 dates too); an unparsable header -> 400 INVALID_DATA.
 * Nothing left: list answers 304 (as the TS-SDK expects), deleted answers 204 (the only status its doc names).
 *
 * Choices where the doc is silent or unsure:
 *   - page_token is bound to module, fields (as a set), sort_by, sort_order, cvid, converted, ids and If-Modified-Since
 *     (not per_page); it resumes after the last record of the previous page (keyset), valid 24 h.
 *   - Page-based listing is refused once page*per_page > 2000 (DISCRETE_PAGINATION_LIMIT_EXCEEDED); per_page > 200 -> INVALID_DATA.
 *   - sort_by Created_Time / Modified_Time: records sharing one second are ordered by id ascending in asc order (and by id
 *     descending in desc order, the exact reverse), for page and page_token alike.
 *   - Deleted items come in a fixed scrambled order (a hash of the id), neither by deleted_time nor by id: Zoho documents no
 *     sort, so a client must read every page. Recycle items older than 60 days show as permanent; items older than 120
 *     days are gone (both measured on sim.clock).
 *   - Reads (list, get one, search, count, COQL) see the records as the API sees them: a sim.ui change made with
 *     visibleAfterMs stays hidden from them until it is visible (ui.ts).
 *   - Search and COQL return ascending id order by default; search more_records stays true past 2,000 (the next page fails).
 *   - COQL "!=" / "not in" / "not like" do not match null values (SQL semantics); search "not_equal" does.
 */
import { DeletedEntry, ModuleStore, SortKey } from "./store";
import { parseCriteria, Pred, lower } from "./criteria";
import { ApiError, Rec, cloneJson, compareIds, hmacHex } from "./util";
import { stamp } from "./clock";
import { Ctx, Result, SimState, header } from "./state";

const PAGE_TOKEN_TTL_MS = 24 * 3600 * 1000;
const MAX_PAGE_REACH = 2000;
const MAX_TOKEN_REACH = 100000;

function parseFields(store: ModuleStore, raw: string | undefined, required: boolean): string[] | undefined {
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

function project(store: ModuleStore, r: Rec, fields: string[] | undefined): Record<string, unknown> {
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

export function intParam(q: Record<string, string>, name: string, def: number, max?: number): number {
  const raw = q[name];
  if (raw === undefined || raw === "") return def;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ApiError(400, "INVALID_DATA", { param_name: name }, `invalid value for ${name}`);
  const n = Number(raw);
  if (max !== undefined && n > max) throw new ApiError(400, "INVALID_DATA", { param_name: name, maximum_value: max }, `${name} must not exceed ${max}`);
  return n;
}

function convertedFilter(store: ModuleStore, q: Record<string, string>): { key: string; fn?: (r: Rec) => boolean } {
  const raw = q.converted ?? "false";
  if (!["true", "false", "both"].includes(raw)) throw new ApiError(400, "INVALID_DATA", { param_name: "converted", supported_values: ["true", "false", "both"] }, "invalid value for converted");
  if (!store.fieldMap.has("Converted__s") || raw === "both") return { key: "" };
  const want = raw === "true";
  return { key: `conv=${raw}`, fn: (r) => !!r.Converted__s === want };
}

/** The If-Modified-Since header as ms (list and deleted); undefined when absent, 400 INVALID_DATA when not a datetime. */
function ifModifiedSince(ctx: Ctx): number | undefined {
  const ims = header(ctx.headers, "if-modified-since");
  if (ims === undefined) return undefined;
  const ms = Date.parse(ims);
  if (Number.isNaN(ms)) throw new ApiError(400, "INVALID_DATA", { header_name: "If-Modified-Since" }, "invalid If-Modified-Since header");
  return ms;
}

/** The one If-Modified-Since rule (list and deleted): exclusive, only what changed strictly after the given instant. */
function changedSince(time: unknown, imsMs: number | undefined): boolean {
  return imsMs === undefined || Date.parse(String(time)) > imsMs;
}

function pageToken(sim: SimState, offset: number, last: Rec, sortBy: SortKey, bind: string, expiry: number): string {
  const key = sortBy === "id" ? 0 : Date.parse(String(last[sortBy] ?? "")) || 0;
  const payload = `${offset}|${key}|${last.id}|${expiry}|${bind}`;
  return Buffer.from(payload).toString("hex") + hmacHex(sim.secret, payload, 12);
}

function readPageToken(sim: SimState, token: string): { offset: number; key: number; id: string; expiry: number; bind: string } {
  const invalid = new ApiError(400, "INVALID_DATA", { param_name: "page_token" }, "the page token given seems to be invalid");
  if (!/^[0-9a-f]+$/.test(token) || token.length <= 12) throw invalid;
  const payload = Buffer.from(token.slice(0, -12), "hex").toString("utf8");
  if (hmacHex(sim.secret, payload, 12) !== token.slice(-12)) throw invalid;
  const [offset, key, id, expiry, bind] = payload.split("|");
  return { offset: Number(offset), key: Number(key), id, expiry: Number(expiry), bind };
}

/** A part of a module listed on its own (related records, related.ts): the records `filter` keeps; `key` names the part,
 *  and the page_token is bound to it (a token from one record's related list is refused on another's). */
export interface ListScope {
  key: string;
  filter: (r: Rec) => boolean;
}

/** Get Records (and, within a scope, related records): the page and page_token walk of the whole file's header. */
export function list(sim: SimState, store: ModuleStore, ctx: Ctx, scope?: ListScope): Result {
  const q = ctx.query;
  const fields = parseFields(store, q.fields, true)!;
  const perPage = intParam(q, "per_page", 200, 200);
  if (q.page !== undefined && q.page_token !== undefined) {
    throw new ApiError(400, "AMBIGUITY_DURING_PROCESSING", { ambiguity_due_to: ["page", "page_token"] }, "page and page_token cannot be given together");
  }
  const page = intParam(q, "page", 1);
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
  const conv = convertedFilter(store, q);
  const ims = header(ctx.headers, "if-modified-since");
  const imsMs = ifModifiedSince(ctx);
  const idsFilter = q.ids ? new Set(q.ids.split(",").map((s) => s.trim()).filter(Boolean)) : undefined;
  const bind = hmacHex(sim.secret, JSON.stringify([store.apiName, [...fields].sort(), sortBy, sortOrder, q.cvid ?? "", q.converted ?? "false", q.ids ?? "", ims ?? "", scope?.key ?? ""]), 16);

  let arr = store.ordered(sortBy, conv.key, conv.fn);
  if (idsFilter || imsMs !== undefined || scope) {
    arr = arr.filter((r) => (!scope || scope.filter(r)) && (!idsFilter || idsFilter.has(r.id)) && changedSince(r.Modified_Time, imsMs));
  }
  const total = arr.length;
  const asc = sortOrder === "asc";
  const at = (j: number) => (asc ? arr[j] : arr[total - 1 - j]); // j-th record in requested order
  let start: number; // position in requested order
  let reached: number; // records already delivered before this page (for the 100,000 cap)
  if (q.page_token !== undefined) {
    const t = readPageToken(sim, q.page_token);
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
  for (let j = start; j < end; j++) data.push(project(store, at(j), fields));
  if (data.length === 0) return { status: imsMs !== undefined ? 304 : 204 };
  const more = end < total;
  const expiry = Date.now() + PAGE_TOKEN_TTL_MS;
  const next = more ? pageToken(sim, reached + data.length, at(end - 1), sortBy, bind, expiry) : null;
  let previous: string | null = null;
  if (q.page_token !== undefined && start > 0) {
    const pStart = Math.max(0, start - perPage);
    previous = pStart === 0 ? null : pageToken(sim, Math.max(0, reached - perPage), at(pStart - 1), sortBy, bind, expiry);
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
        page_token_expiry: next ? stamp(sim, expiry) : null,
        sort_order: sortOrder,
        email: false,
        more_records: more,
      },
    },
  };
}

export function getOne(store: ModuleStore, id: string, q: Record<string, string>): Result {
  const fields = parseFields(store, q.fields, false);
  const rec = store.byId.get(id);
  if (!rec) throw new ApiError(400, "INVALID_DATA", { id }, "the id given seems to be invalid");
  return { status: 200, body: { data: [project(store, rec, fields)] } };
}

/** criteria > email > phone > word; undefined when none given */
function searchPredicate(store: ModuleStore, q: Record<string, string>): Pred | undefined {
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

export function search(store: ModuleStore, q: Record<string, string>): Result {
  const pred = searchPredicate(store, q);
  if (!pred) {
    throw new ApiError(400, "EXPECTED_PARAM_MISSING", { expected_params: ["criteria", "email", "phone", "word"] }, "One of the expected parameter is missing");
  }
  const fields = parseFields(store, q.fields, false);
  const perPage = intParam(q, "per_page", 200, 200);
  const page = intParam(q, "page", 1);
  if (page * perPage > MAX_PAGE_REACH) throw new ApiError(400, "LIMIT_REACHED", { limit: MAX_PAGE_REACH }, "Maximum response iteration limit reached");
  const sortBy = (q.sort_by ?? "id") as SortKey;
  if (!["id", "Created_Time", "Modified_Time"].includes(sortBy)) throw new ApiError(400, "INVALID_DATA", { param_name: "sort_by" }, "invalid value for sort_by");
  const sortOrder = q.sort_order ?? "asc";
  if (sortOrder !== "asc" && sortOrder !== "desc") throw new ApiError(400, "INVALID_DATA", { param_name: "sort_order" }, "invalid value for sort_order");
  const conv = convertedFilter(store, q);
  let arr = store.ordered(sortBy, conv.key, conv.fn).filter(pred);
  if (sortOrder === "desc") arr = arr.slice().reverse();
  const start = (page - 1) * perPage;
  const slice = arr.slice(start, start + perPage);
  if (!slice.length) return { status: 204 };
  return {
    status: 200,
    body: {
      data: slice.map((r) => project(store, r, fields)),
      info: { per_page: perPage, count: slice.length, page, more_records: arr.length > start + perPage },
    },
  };
}

export function countRecords(store: ModuleStore, q: Record<string, string>): Result {
  const pred = searchPredicate(store, q);
  if (q.cvid !== undefined && !/^\d+$/.test(q.cvid)) throw new ApiError(400, "INVALID_DATA", { param_name: "cvid" }, "the cvid given seems to be invalid");
  const conv = convertedFilter(store, q);
  const arr = store.ordered("id", conv.key, conv.fn);
  return { status: 200, body: { count: pred ? arr.filter(pred).length : arr.length } };
}

const DAY_MS = 86400000;
const RECYCLE_DAYS = 60;
const PERMANENT_DAYS = 120;

/** A fixed scramble of an id (FNV-1a then murmur3's finalizer): the order deleted items come in. */
function scramble(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function deletedList(sim: SimState, store: ModuleStore, ctx: Ctx): Result {
  const q = ctx.query;
  const type = q.type ?? "all";
  if (!["all", "recycle", "permanent"].includes(type)) throw new ApiError(400, "PATTERN_NOT_MATCHED", { param_name: "type" }, "Please check whether the input values are correct");
  const perPage = intParam(q, "per_page", 200, 200);
  const page = intParam(q, "page", 1);
  const imsMs = ifModifiedSince(ctx);
  const now = sim.clock.now();
  const items: DeletedEntry[] = [];
  for (const e of store.deleted) {
    const age = now - Date.parse(e.deleted_time);
    if (age > PERMANENT_DAYS * DAY_MS) continue;
    const entry: DeletedEntry = e.type === "recycle" && age > RECYCLE_DAYS * DAY_MS ? { ...e, deleted_by: null, display_name: null, type: "permanent", created_by: null } : e;
    if ((type === "all" || entry.type === type) && changedSince(entry.deleted_time, imsMs)) items.push(entry);
  }
  const keyed = items.map((e) => ({ k: scramble(e.id), e }));
  keyed.sort((a, b) => a.k - b.k || compareIds(a.e.id, b.e.id) || Date.parse(a.e.deleted_time) - Date.parse(b.e.deleted_time));
  const slice = keyed.slice((page - 1) * perPage, page * perPage).map((x) => x.e);
  if (!slice.length) return { status: 204 };
  return { status: 200, body: { data: cloneJson(slice), info: { per_page: perPage, count: slice.length, page, more_records: items.length > page * perPage } } };
}
