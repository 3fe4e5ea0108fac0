/**
 * Reading records: list (Get Records), search, COQL and get-one. The paged reads are async
 * iterators over Zoho's pages (octokit style): `for await (const page of listPages(client, {...}))`.
 *
 * Paging rules (zoho-crm-api.md §4–6):
 * - list: `page` 1..10 with per_page 200 (2,000 records), then `page_token` from page 10's
 *   `info.next_page_token` (never both), until `more_records` is false; at most 100,000 records.
 * - search: `page` only, at most 2,000 records; past that the read stops and reports the cap.
 * - COQL: LIMIT/OFFSET, at most 2,000 rows per call and 100,000 in total.
 * - 204 (and 304 for If-Modified-Since) means no records.
 *
 * Speed without waste: every call costs the user an API credit, so a page is requested only once we
 * know it exists (paging.ts: the planner's invariants). A read that fits in one page, or finds
 * nothing, is one call; the count is asked only after page 1 says there are more, and then pages
 * up to 10 known to exist run concurrently and come out in order.
 */
import type { QueryValue, ZohoClient, ZohoResponse } from "./client";
import { ZohoError, invalidInput } from "./errors";
import { abortError } from "./concurrency";
import { listFields, listableFieldNames } from "./metadata";
import { FORBIDDEN_NAMES, isFieldName, isModuleName, isRecordId } from "./names";
import { CRM_PAGING, MAX_PER_PAGE, PageInfo, RecordsPage, ReadCap, ZohoRecord, capOf, mergeChunks, pagedRead, recordsOf } from "./paging";

export { MAX_PER_PAGE, PAGE_NUMBER_REACH, PagePlanner } from "./paging";
export type { CapReason, PageInfo, ReadCap, RecordsPage, ZohoRecord, PlanSettings, PageOutcome, PageRequest } from "./paging";

export const LIST_REACH = 100_000;
export const SEARCH_REACH = 2000;
export const MAX_FIELDS_PER_CALL = 50;
export const COQL_MAX_LIMIT = 2000;
export const COQL_REACH = 100_000;
/** First COQL call of an unbounded query: LIMIT ≤ 200 costs 1 credit, up to 2,000 costs 3. */
export const COQL_FIRST_LIMIT = 200;

export interface PagingOptions {
  /** Stop after this many records (0 or undefined = all). No call is made for records not needed. */
  maxRecords?: number;
  /** Records per call, 1..200 (default 200). */
  perPage?: number;
  signal?: AbortSignal;
}

export interface ListOptions extends PagingOptions {
  module: string;
  /** Field API names; empty = every field the user can read (metadata call, then ≤ 50 fields per call). */
  fields?: string[];
  sortBy?: string;
  sortOrder?: string;
  cvid?: string;
  /** Only records modified since then (If-Modified-Since): ISO 8601 string, Date or epoch milliseconds. */
  modifiedSince?: string | Date | number;
  /** Only these records (at most 100 ids, one call). */
  ids?: string[];
}

export interface SearchOptions extends PagingOptions {
  module: string;
  /** Criteria string (values are escaped where needed) or conditions to combine with "and". */
  criteria?: string | CriteriaInput;
  email?: string;
  phone?: string;
  word?: string;
  /** Field API names; empty = Zoho's default (all fields). */
  fields?: string[];
}

export interface CoqlOptions {
  query: string;
  maxRecords?: number;
  signal?: AbortSignal;
}

export interface GetOptions {
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------
// Input checks and helpers
// ---------------------------------------------------------------------------------------------


function assertModule(module: unknown): string {
  if (typeof module !== "string" || !module.trim()) {
    throw new ZohoError({ code: "INVALID_INPUT", key: "noModule", advice: "setModule" });
  }
  const name = module.trim();
  if (!isModuleName(name)) {
    throw new ZohoError({ code: "INVALID_MODULE", key: "notModuleName", params: { name: shorten(name) } });
  }
  return name;
}

function shorten(s: string, max = 60): string {
  return s.length > max ? s.slice(0, max) + "…" : s;
}

/** Field API names from "a, b,c" or an array; duplicates dropped. */
export function parseFieldList(value: unknown): string[] {
  if (value === undefined || value === null || value === "") return [];
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : null;
  if (!items) throw invalidInput("fieldsType");
  const out = new Set<string>();
  for (const item of items) {
    if (typeof item !== "string") throw invalidInput("fieldsNotStrings");
    const name = item.trim();
    if (!name) continue;
    if (!isFieldName(name)) throw invalidInput("notFieldName", { name: shorten(name) });
    out.add(name);
  }
  return [...out];
}

/** A record id as a string. Numbers are accepted only while exact (ids have 18-19 digits: keep them strings). */
export function recordIdOf(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value > 0) return String(value);
    throw invalidInput("idNotExact");
  }
  const id = typeof value === "string" ? value.trim() : "";
  if (!id) throw invalidInput("noRecordId");
  if (!isRecordId(id)) throw invalidInput("notRecordId", { id: shorten(id) });
  return id;
}

/** Record ids for `ids=` (at most 100 per call, Zoho's limit for this parameter). */
function idList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) throw invalidInput("idList");
  return value.map(recordIdOf);
}

/** 0 = no limit. Accepts numbers and numeric strings. */
export function parseMaxRecords(value: unknown): number {
  if (value === undefined || value === null || value === "") return 0;
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) throw invalidInput("maxRecords");
  return n;
}

function perPageOf(value: unknown): number {
  if (value === undefined || value === null) return MAX_PER_PAGE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PER_PAGE) throw invalidInput("perPage");
  return n;
}

/** An ISO 8601 date-time: date, `T`, hours and minutes, optional seconds and fraction, optional zone. */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** Epoch milliseconds from 2000-01-01 on: a smaller number is almost surely not a time at all. */
const MIN_EPOCH_MS = Date.UTC(2000, 0, 1);
const MAX_EPOCH_MS = Date.UTC(9999, 11, 31);

/**
 * If-Modified-Since value in Zoho's format (yyyy-MM-ddTHH:mm:ss±HH:mm). Accepts an ISO 8601
 * date-time (without a zone it is UTC), a Date, or epoch milliseconds as a number or a digit
 * string; anything else (such as "12", which JavaScript would read as the year 2001) is refused.
 */
export function formatModifiedSince(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  let ms: number | undefined;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number") ms = value;
  else if (typeof value === "string") {
    const text = value.trim();
    if (/^\d+$/.test(text)) ms = Number(text);
    else {
      const m = ISO_DATE_TIME.exec(text);
      if (!m) throw invalidInput("modifiedSince");
      const [, year, month, day, hour, minute] = m.map(Number);
      const second = m[6] === undefined ? 0 : Number(m[6]);
      // Out-of-range parts (month 13, 25:00) would roll over silently in Date: refuse them.
      if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) throw invalidInput("modifiedSince");
      const zohoFormat = m[6] !== undefined && !text.includes(".") && /^[+-]\d{2}:\d{2}$/.test(m[7] ?? "");
      const zone = m[7] === undefined ? "Z" : m[7].length === 5 ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : m[7];
      const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${String(second).padStart(2, "0")}${zone}`;
      ms = Date.parse(iso);
      const check = new Date(Date.UTC(year, month - 1, day));
      if (check.getUTCDate() !== day) throw invalidInput("modifiedSince"); // 2024-02-30
      if (zohoFormat && Number.isFinite(ms) && ms >= MIN_EPOCH_MS) return text; // keep the offset as written
    }
  }
  if (ms === undefined || !Number.isFinite(ms) || !Number.isInteger(ms) || ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) {
    throw invalidInput("modifiedSince");
  }
  return new Date(ms).toISOString().slice(0, 19) + "+00:00";
}

const SORT_BY: Record<string, string> = { id: "id", created_time: "Created_Time", modified_time: "Modified_Time" };

function sortByOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const key = String(value).trim().toLowerCase();
  if (!SORT_BY[key]) throw invalidInput("sortBy");
  return SORT_BY[key];
}

function sortOrderOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const v = String(value).trim().toLowerCase();
  if (v !== "asc" && v !== "desc") throw invalidInput("sortOrder");
  return v;
}

/** Split a field list into groups of at most 50 (Zoho's limit per call), each with `id` so pages can be merged. */
export function fieldChunks(fields: string[]): string[][] {
  if (fields.length <= MAX_FIELDS_PER_CALL) return [fields];
  const others = fields.filter((f) => f !== "id");
  const size = MAX_FIELDS_PER_CALL - 1;
  const chunks: string[][] = [];
  for (let i = 0; i < others.length; i += size) chunks.push([...others.slice(i, i + size), "id"]);
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Criteria and COQL literals
// ---------------------------------------------------------------------------------------------

/** Operators whose value is a comma-separated list. */
const LIST_OPERATORS = new Set(["in", "not_in", "between", "not_between"]);
const ESCAPABLE = new Set(["\\", "(", ")", ","]);

/** Escape one search-criteria value: `\`, `(`, `)` and `,` get a backslash (zoho-crm-api.md §5). */
export function escapeCriteriaValue(value: unknown): string {
  const s = value === undefined || value === null ? "" : value instanceof Date ? value.toISOString() : String(value);
  return s.replace(/[\\(),]/g, (c) => "\\" + c);
}

/** One condition, e.g. criterion("Last_Name", "equals", "Burns,B") → "(Last_Name:equals:Burns\,B)". Arrays are for in/between. */
export function criterion(field: string, operator: string, value: unknown): string {
  if (!isFieldName(field)) throw invalidInput("notFieldName", { name: shorten(String(field)) });
  if (!/^[a-z_]+$/i.test(operator)) throw invalidInput("notOperator", { operator: shorten(String(operator)) });
  if (Array.isArray(value)) {
    if (value.length === 0 || value.length > 100) throw invalidInput("criteriaList", { field });
    value.forEach((v) => assertCriteriaValue(field, v));
    return `(${field}:${operator}:${value.map(escapeCriteriaValue).join(",")})`;
  }
  assertCriteriaValue(field, value);
  return `(${field}:${operator}:${escapeCriteriaValue(value)})`;
}

/** A criteria value is text, a number, a boolean or a Date; anything else would be sent as "[object Object]". */
function assertCriteriaValue(field: string, value: unknown): void {
  const ok =
    typeof value === "string" ||
    (typeof value === "number" && Number.isFinite(value)) ||
    typeof value === "boolean" ||
    (value instanceof Date && !Number.isNaN(value.getTime()));
  if (!ok) throw invalidInput("criteriaValue", { field: shorten(field) });
}

export type CriteriaCondition = [string, string, unknown] | { field: string; operator?: string; op?: string; value: unknown };
/** `{Field: value}` (equals; an array value means "in") or a list of conditions, all combined with "and". */
export type CriteriaInput = Record<string, unknown> | CriteriaCondition[];

/** Build a criteria string from conditions, nesting them in pairs: (((A)and(B))and(C)). */
export function buildCriteria(input: string | CriteriaInput, join: "and" | "or" = "and"): string {
  if (typeof input === "string") return escapeCriteria(input);
  const parts: string[] = [];
  if (Array.isArray(input)) {
    if (input.length > 10) throw invalidInput("tooManyCriteria");
    for (const c of input) {
      if (Array.isArray(c) && c.length === 3 && typeof c[0] === "string" && typeof c[1] === "string") parts.push(criterion(c[0], c[1], c[2]));
      else if (c && typeof c === "object" && !Array.isArray(c) && typeof c.field === "string") {
        const operator = c.operator ?? c.op ?? "equals";
        if (typeof operator !== "string") throw invalidInput("criteriaOperator");
        parts.push(criterion(c.field, operator, c.value));
      } else throw invalidInput("criteriaCondition");
    }
  } else if (input && typeof input === "object") {
    if (Object.keys(input).length > 10) throw invalidInput("tooManyCriteria");
    for (const key of Object.keys(input)) {
      const value = input[key];
      parts.push(criterion(key, Array.isArray(value) ? "in" : "equals", value));
    }
  } else throw invalidInput("criteriaType");
  if (parts.length === 0) throw invalidInput("noCriteria");
  return parts.reduce((acc, p) => `(${acc}${join}${p})`);
}

/**
 * Escape the values inside a criteria string written by hand, e.g.
 * `(Company:equals:Smith (UK), Ltd)` → `(Company:equals:Smith \(UK\)\, Ltd)`. Values already escaped
 * stay as they are, so applying it twice changes nothing; commas of in/between lists are kept.
 * A string that does not parse is returned unchanged (Zoho then explains what is wrong).
 */
export function escapeCriteria(criteria: string): string {
  const s = criteria.trim();
  if (!s || s.length > 10_000) return s;
  try {
    return new CriteriaEscaper(s).run() ?? s;
  } catch (err) {
    if (err === BUDGET_EXCEEDED) return s;
    throw err;
  }
}

const BUDGET_EXCEEDED = Symbol("budget");
type Continue = (pos: number, out: string) => string | null;

/** Backtracking reader of ((field:op:value)and(...)): a value ends at the `)` that lets the rest parse. */
class CriteriaEscaper {
  private steps = 0;
  constructor(private readonly s: string) {}

  run(): string | null {
    const start = this.ws(0);
    if (this.s[start] !== "(") {
      const m = CONDITION_HEAD.exec(this.s.slice(start));
      if (!m) return null;
      const valueStart = start + m[0].length;
      return this.s.slice(0, valueStart) + escapeRawValue(this.s.slice(valueStart), m[2]);
    }
    return this.list(0, "", (pos, out) => (this.ws(pos) === this.s.length ? out + this.s.slice(pos) : null));
  }

  private tick(): void {
    if (++this.steps > 20_000) throw BUDGET_EXCEEDED;
  }

  private ws(pos: number): number {
    while (pos < this.s.length && /\s/.test(this.s[pos])) pos++;
    return pos;
  }

  private list(pos: number, out: string, k: Continue): string | null {
    return this.term(pos, out, (after, out2) => {
      const q = this.ws(after);
      const word = /^(and|or)/i.exec(this.s.slice(q, q + 3));
      if (word) {
        const end = q + word[0].length;
        const more = this.list(end, out2 + this.s.slice(after, end), k);
        if (more !== null) return more;
      }
      return k(after, out2);
    });
  }

  private term(pos: number, out: string, k: Continue): string | null {
    this.tick();
    const open = this.ws(pos);
    if (this.s[open] !== "(") return null;
    const inner = this.ws(open + 1);
    const prefix = out + this.s.slice(pos, inner);
    if (this.s[inner] === "(") {
      const nested = this.list(inner, prefix, (after, out2) => {
        const close = this.ws(after);
        return this.s[close] === ")" ? k(close + 1, out2 + this.s.slice(after, close + 1)) : null;
      });
      if (nested !== null) return nested;
    }
    return this.condition(inner, prefix, k);
  }

  private condition(pos: number, out: string, k: Continue): string | null {
    const m = CONDITION_HEAD.exec(this.s.slice(pos));
    if (!m) return null;
    const valueStart = pos + m[0].length;
    const head = out + this.s.slice(pos, valueStart);
    // Shortest value first, but values with balanced parentheses ("Smith (UK)") before the others,
    // and a `)` that is already escaped only as a last resort (a value ending in a lone backslash).
    const balanced: number[] = [];
    const others: number[] = [];
    const escaped: number[] = [];
    for (let close = this.s.indexOf(")", valueStart); close >= 0; close = this.s.indexOf(")", close + 1)) {
      const value = this.s.slice(valueStart, close);
      if (/(^|[^\\])(\\\\)*\\$/.test(value)) escaped.push(close);
      else (hasBalancedParens(value) ? balanced : others).push(close);
    }
    for (const close of [...balanced, ...others, ...escaped]) {
      this.tick();
      const result = k(close + 1, head + escapeRawValue(this.s.slice(valueStart, close), m[2]) + ")");
      if (result !== null) return result;
    }
    return null;
  }
}

function hasBalancedParens(value: string): boolean {
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\" && ESCAPABLE.has(value[i + 1] ?? "")) i++;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

const CONDITION_HEAD = /^([^:()\s][^:()]*?)\s*:\s*([A-Za-z_]+)\s*:/;

function escapeRawValue(value: string, operator: string): string {
  const keepCommas = LIST_OPERATORS.has(operator.toLowerCase());
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\") {
      const next = value[i + 1];
      if (next !== undefined && ESCAPABLE.has(next)) {
        out += ch + next; // already escaped
        i++;
      } else out += "\\\\";
    } else if (ch === "(" || ch === ")" || (ch === "," && !keepCommas)) out += "\\" + ch;
    else out += ch;
  }
  return out;
}

/** A COQL string literal: single quotes, embedded `'` doubled (zoho-crm-api.md §6). */
export function quoteCoqlString(value: unknown): string {
  const s = value === undefined || value === null ? "" : value instanceof Date ? value.toISOString() : String(value);
  return `'${s.replace(/'/g, "''")}'`;
}

/** One value as a COQL literal: text quoted, numbers and booleans bare, dates quoted, lists for in (...). */
export function coqlLiteral(value: unknown, name = "value"): string {
  if (typeof value === "string") return quoteCoqlString(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) return "null";
  if (value instanceof Date && !Number.isNaN(value.getTime())) return quoteCoqlString(formatModifiedSince(value));
  if (Array.isArray(value)) {
    if (value.length === 0 || value.length > 100) throw invalidInput("coqlList", { name });
    const items = value.map((v) => {
      if (Array.isArray(v)) throw invalidInput("coqlFlatList", { name });
      return coqlLiteral(v, name);
    });
    return `(${items.join(", ")})`;
  }
  throw invalidInput("coqlValue", { name });
}

const PARAM_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * Put values into a COQL query safely: each `:name` outside quoted text becomes the literal of
 * `params.name` (coqlLiteral), so a value can never change the query around it, e.g.
 * `select Last_Name from Leads where Email = :email` with {email: "o'brien@x.com"}.
 */
export function bindCoqlParams(query: string, params: unknown): string {
  if (params === null || typeof params !== "object" || Array.isArray(params) || Object.prototype.toString.call(params) !== "[object Object]") {
    throw invalidInput("queryParamsType");
  }
  const values = params as Record<string, unknown>;
  let out = "";
  for (let i = 0; i < query.length; ) {
    const ch = query[i];
    if (ch === "'") {
      // Copy a quoted literal as it is ('' is an escaped quote inside it).
      let j = i + 1;
      while (j < query.length && !(query[j] === "'" && query[j + 1] !== "'")) j += query[j] === "'" ? 2 : 1;
      out += query.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ":") {
      PARAM_NAME.lastIndex = i + 1;
      const m = PARAM_NAME.exec(query);
      if (m) {
        const name = m[0];
        if (!Object.prototype.hasOwnProperty.call(values, name) || FORBIDDEN_NAMES.has(name)) {
          throw invalidInput("queryParamMissing", { name: shorten(name) });
        }
        out += coqlLiteral(values[name], name);
        i += 1 + name.length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Paged reads: list and search
// ---------------------------------------------------------------------------------------------

/** List records of a module (Get Records), page by page. */
export async function* listPages(client: ZohoClient, opts: ListOptions): AsyncGenerator<RecordsPage, void, undefined> {
  const module = assertModule(opts.module);
  const maxRecords = parseMaxRecords(opts.maxRecords);
  const perPage = perPageOf(opts.perPage);
  const sortBy = sortByOf(opts.sortBy);
  const sortOrder = sortOrderOf(opts.sortOrder);
  const cvid = opts.cvid === undefined || opts.cvid === null ? "" : String(opts.cvid).trim();
  if (cvid && !isRecordId(cvid)) throw invalidInput("cvid");
  if (cvid && sortBy) throw invalidInput("cvidWithSortBy");
  const modifiedSince = formatModifiedSince(opts.modifiedSince);
  const ids = opts.ids === undefined ? undefined : idList(opts.ids);
  if (opts.signal?.aborted) throw abortError();

  let fields = opts.fields ?? [];
  if (fields.length === 0) {
    fields = listableFieldNames(await listFields(client, module, { signal: opts.signal }));
    if (fields.length === 0) fields = ["id"];
  }
  const query: Record<string, QueryValue> = { cvid: cvid || undefined, sort_by: sortBy, sort_order: sortOrder, ids: ids?.join(",") };
  yield* pagedRead({
    client,
    path: `/${module}`,
    query,
    headers: modifiedSince ? { "If-Modified-Since": modifiedSince } : undefined,
    chunks: fieldChunks(fields),
    heavy: !!(cvid || sortBy),
    tokens: true,
    reach: LIST_REACH,
    capReason: "list_limit",
    // The count endpoint knows nothing of If-Modified-Since or ids, so it cannot size such a read.
    count: modifiedSince || ids ? undefined : { path: `/${module}/actions/count`, query: { cvid: cvid || undefined } },
    perPage,
    maxRecords,
    signal: opts.signal,
    passStatuses: modifiedSince ? [304] : undefined,
  });
}

/** Search records by criteria, email, phone or word (in Zoho's precedence); stops at Zoho's 2,000-record cap. */
export async function* searchPages(client: ZohoClient, opts: SearchOptions): AsyncGenerator<RecordsPage, void, undefined> {
  const module = assertModule(opts.module);
  const maxRecords = parseMaxRecords(opts.maxRecords);
  const perPage = perPageOf(opts.perPage);
  const by = searchParam(opts);
  if (opts.signal?.aborted) throw abortError();
  const fields = opts.fields ?? [];
  yield* pagedRead({
    client,
    path: `/${module}/search`,
    query: by,
    chunks: fields.length ? fieldChunks(fields) : [undefined],
    heavy: true,
    tokens: false,
    reach: SEARCH_REACH,
    capReason: "search_limit",
    count: { path: `/${module}/actions/count`, query: by },
    perPage,
    maxRecords,
    signal: opts.signal,
  });
}

function searchParam(opts: SearchOptions): Record<string, QueryValue> {
  const given = (v: unknown) => v !== undefined && v !== null && !(typeof v === "string" && !v.trim());
  if (given(opts.criteria)) {
    const criteria = buildCriteria(opts.criteria as string | CriteriaInput);
    if (!criteria) throw invalidInput("noSearchCriteria");
    return { criteria };
  }
  for (const key of ["email", "phone", "word"] as const) {
    const v = opts[key];
    if (given(v)) {
      if (typeof v !== "string" && typeof v !== "number") throw invalidInput("searchNotString", { by: key });
      return { [key]: String(v).trim() };
    }
  }
  throw invalidInput("searchNeeds");
}

// ---------------------------------------------------------------------------------------------
// Related records, deleted records, count
// ---------------------------------------------------------------------------------------------

export interface RelatedOptions extends PagingOptions {
  /** The parent's module and record id. */
  module: string;
  recordId: unknown;
  /** The related list's API name (Contacts, Deals, Notes, Attachments, …). */
  relatedList: string;
  /** Field API names; empty = every field of the related module when it is one, else id. */
  fields?: string[];
}

/** The records of a record's related list (`GET /{module}/{id}/{related list}`), paged like a list. */
export async function* relatedPages(client: ZohoClient, opts: RelatedOptions): AsyncGenerator<RecordsPage, void, undefined> {
  const module = assertModule(opts.module);
  const id = recordIdOf(opts.recordId);
  if (typeof opts.relatedList !== "string" || !isModuleName(opts.relatedList.trim())) throw invalidInput("relatedList");
  const related = opts.relatedList.trim();
  const maxRecords = parseMaxRecords(opts.maxRecords);
  const perPage = perPageOf(opts.perPage);
  if (opts.signal?.aborted) throw abortError();
  let fields = opts.fields ?? [];
  if (fields.length === 0) {
    // Zoho needs the fields; the related list is usually named after its module.
    fields = await listFields(client, related, { signal: opts.signal }).then(listableFieldNames, () => ["id"]);
    if (fields.length === 0) fields = ["id"];
  }
  yield* pagedRead({
    client,
    path: `/${module}/${id}/${related}`,
    query: {},
    chunks: fieldChunks(fields),
    heavy: false,
    tokens: true,
    reach: LIST_REACH,
    capReason: "list_limit",
    perPage,
    maxRecords,
    signal: opts.signal,
  });
}

export type DeletedType = "all" | "recycle" | "permanent";

export interface DeletedOptions extends PagingOptions {
  module: string;
  /** all (default), recycle (recycle bin, 60 days) or permanent (120 days). */
  type?: DeletedType;
  modifiedSince?: string | Date | number;
}

/** Get Deleted Records, page by page (page numbers only: the API has no page tokens). */
export async function* deletedPages(client: ZohoClient, opts: DeletedOptions): AsyncGenerator<RecordsPage, void, undefined> {
  const module = assertModule(opts.module);
  const type = opts.type ?? "all";
  if (!["all", "recycle", "permanent"].includes(type)) throw invalidInput("deletedType");
  const since = formatModifiedSince(opts.modifiedSince);
  const maxRecords = parseMaxRecords(opts.maxRecords);
  const perPage = perPageOf(opts.perPage);
  if (opts.signal?.aborted) throw abortError();
  yield* pagedRead({
    client,
    path: `/${module}/deleted`,
    query: { type },
    headers: since ? { "If-Modified-Since": since } : undefined,
    chunks: [undefined],
    heavy: false,
    tokens: false,
    reach: LIST_REACH,
    capReason: "list_limit",
    perPage,
    maxRecords,
    signal: opts.signal,
    passStatuses: [304],
    style: { ...CRM_PAGING, numberedReach: LIST_REACH },
  });
}

export interface CountOptions {
  module: string;
  criteria?: string | CriteriaInput;
  email?: string;
  phone?: string;
  word?: string;
  cvid?: string;
  signal?: AbortSignal;
}

/** How many records (`GET /{module}/actions/count`): all, or by criteria, email, phone, word or custom view. One call. */
export async function countRecords(client: ZohoClient, opts: CountOptions): Promise<number> {
  const module = assertModule(opts.module);
  const cvid = opts.cvid === undefined || opts.cvid === null ? "" : String(opts.cvid).trim();
  if (cvid && !isRecordId(cvid)) throw invalidInput("cvid");
  const given = [opts.criteria, opts.email, opts.phone, opts.word].some((v) => v !== undefined && v !== null && !(typeof v === "string" && !v.trim()));
  const query: Record<string, QueryValue> = given ? searchParam(opts) : {};
  if (cvid) query.cvid = cvid;
  const res = await client.request<{ count?: unknown }>({ method: "GET", path: `/${module}/actions/count`, query, signal: opts.signal });
  if (res.status === 204) return 0;
  const n = Number(res.data?.count);
  if (!Number.isSafeInteger(n) || n < 0) throw new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "countAnswer", httpStatus: res.status });
  return n;
}

// ---------------------------------------------------------------------------------------------
// COQL
// ---------------------------------------------------------------------------------------------

export interface CoqlLimits {
  /** The query without its trailing LIMIT/OFFSET clause (and trailing semicolon). */
  base: string;
  limit?: number;
  offset: number;
}

/** Split a select_query into its body and its own LIMIT/OFFSET (`limit n`, `limit n offset m`, `limit m, n`, `offset m limit n`). */
export function parseCoqlLimits(query: string): CoqlLimits {
  let q = query.trim();
  while (q.endsWith(";")) q = q.slice(0, -1).trimEnd();
  const forms: Array<[RegExp, (m: RegExpExecArray) => { limit?: number; offset: number }]> = [
    [/\s+limit\s+(\d+)\s*,\s*(\d+)$/i, (m) => ({ offset: Number(m[1]), limit: Number(m[2]) })],
    [/\s+limit\s+(\d+)\s+offset\s+(\d+)$/i, (m) => ({ limit: Number(m[1]), offset: Number(m[2]) })],
    [/\s+offset\s+(\d+)\s+limit\s+(\d+)$/i, (m) => ({ offset: Number(m[1]), limit: Number(m[2]) })],
    [/\s+limit\s+(\d+)$/i, (m) => ({ limit: Number(m[1]), offset: 0 })],
    [/\s+offset\s+(\d+)$/i, (m) => ({ offset: Number(m[1]) })],
  ];
  for (const [re, read] of forms) {
    const m = re.exec(q);
    if (m) return { base: q.slice(0, m.index), ...read(m) };
  }
  return { base: q, offset: 0 };
}

/**
 * Run a COQL select_query, paging with LIMIT/OFFSET. The query's own LIMIT and OFFSET are
 * honoured; without a LIMIT every row is read (up to Zoho's 100,000).
 */
export async function* coqlPages(client: ZohoClient, opts: CoqlOptions): AsyncGenerator<RecordsPage, void, undefined> {
  if (typeof opts.query !== "string" || !opts.query.trim()) throw invalidInput("noCoqlQuery");
  if (opts.query.length > 100_000) throw invalidInput("coqlTooLong");
  if (!/^\s*select\s/i.test(opts.query)) {
    throw invalidInput("coqlSelect", undefined, "coqlExample");
  }
  const parsed = parseCoqlLimits(opts.query);
  const maxRecords = parseMaxRecords(opts.maxRecords);
  const wanted = Math.min(parsed.limit ?? Infinity, maxRecords || Infinity);
  if (parsed.offset >= COQL_REACH) throw invalidInput("coqlOffset", { reach: COQL_REACH, offset: parsed.offset });
  if (opts.signal?.aborted) throw abortError();
  if (wanted <= 0) return;
  const unbounded = wanted === Infinity;
  // Where the rows end: the query's own LIMIT, maxRecords, and Zoho's reach.
  const end = Math.min(parsed.offset + wanted, COQL_REACH);

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const owner = {};

  const post = (selectQuery: string) =>
    client.request<{ data?: unknown; info?: Record<string, unknown> }>({
      method: "POST",
      path: "/coql",
      body: { select_query: selectQuery },
      signal: controller.signal,
      idempotent: true,
      heavy: true,
      owner,
    });
  const call = (offset: number, limit: number) => {
    const promise = post(`${parsed.base} LIMIT ${limit} OFFSET ${offset}`).then(recordsOf);
    promise.catch(() => undefined); // surfaced when awaited
    return { offset, limit, promise };
  };

  // A read that may need more than one page asks for the row count beside its first page (one
  // call), so the pages after it can be fetched several at a time. The count is an upper bound:
  // the first short page ends the read, and if it is too low the read goes on page by page.
  const countQuery = wanted > COQL_MAX_LIMIT ? coqlCountQuery(parsed.base) : undefined;
  const total = countQuery
    ? post(countQuery).then(countOf, () => undefined)
    : Promise.resolve(undefined);

  try {
    let delivered = 0;
    let page = 0;
    const firstLimit = Math.min(COQL_MAX_LIMIT, end - parsed.offset, unbounded ? COQL_FIRST_LIMIT : Infinity);
    const pending = [call(parsed.offset, firstLimit)];
    let scheduled = parsed.offset + firstLimit; // the next offset to ask for
    let knownEnd: number | undefined; // rows the count says exist (capped by `end`)
    let finished = false;
    const window = Math.max(2, client.concurrency);
    const schedule = () => {
      while (!finished && knownEnd !== undefined && scheduled < knownEnd && pending.length < window) {
        const limit = Math.min(COQL_MAX_LIMIT, knownEnd - scheduled);
        pending.push(call(scheduled, limit));
        scheduled += limit;
      }
    };
    while (pending.length > 0) {
      if (controller.signal.aborted) throw abortError();
      const current = pending.shift()!;
      const { records: rows, info } = await current.promise;
      const records = rows.length > wanted - delivered ? rows.slice(0, wanted - delivered) : rows;
      delivered += records.length;
      const nextOffset = current.offset + rows.length;
      let capped: ReadCap | undefined;
      const more = info.more_records && rows.length === current.limit && delivered < wanted;
      if (!more) {
        finished = true;
        pending.length = 0; // pages asked for on the count's word past the end: not needed
      } else if (nextOffset >= COQL_REACH) {
        finished = true;
        capped = capOf("coql_limit", COQL_REACH);
      } else {
        if (page === 0) {
          const count = await total;
          knownEnd = count === undefined ? undefined : Math.min(count, end);
        }
        schedule();
        // Past what the count promised (or without a count): one page at a time, as Zoho says there are more.
        if (pending.length === 0 && scheduled <= nextOffset) {
          const limit = Math.min(COQL_MAX_LIMIT, wanted - delivered, end - nextOffset);
          pending.push(call(nextOffset, limit));
          scheduled = nextOffset + limit;
        }
      }
      if (records.length > 0) {
        const out: RecordsPage = { records, page: ++page, info };
        if (capped) out.capped = capped;
        yield out;
      }
    }
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    controller.abort();
  }
}

/**
 * `select COUNT(id) from <Module> where <the same where>` for a plain select; undefined for queries
 * whose row count that would not give (aggregates, GROUP BY) or that do not parse simply.
 */
export function coqlCountQuery(base: string): string | undefined {
  const m = /^\s*select\s+([\s\S]+?)\s+from\s+([A-Za-z][A-Za-z0-9_]*)\s+where\s+([\s\S]+)$/i.exec(base);
  if (!m) return undefined;
  const [, columns, module, rest] = m;
  if (/\b(count|sum|min|max|avg)\s*\(/i.test(columns) || /'/.test(columns)) return undefined;
  const where = outsideQuotes(rest, /\s(group\s+by|order\s+by)\s/i);
  if (where.found === "group by") return undefined;
  return `select COUNT(id) from ${module} where ${where.before.trim()}`;
}

/** The text before the first match of `keyword` that is not inside a quoted literal. */
function outsideQuotes(text: string, keyword: RegExp): { before: string; found?: string } {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "'") quoted = !quoted; // '' inside a literal toggles twice
    else if (!quoted) {
      const m = keyword.exec(text.slice(i, i + 40));
      if (m && m.index === 0) return { before: text.slice(0, i), found: m[1].toLowerCase().replace(/\s+/, " ") };
    }
  }
  return { before: text };
}

/** The number in a COUNT answer's first row, e.g. {"COUNT(id)": 20000}. */
function countOf(res: ZohoResponse<{ data?: unknown }>): number | undefined {
  const row = Array.isArray(res.data?.data) ? (res.data!.data as Array<Record<string, unknown>>)[0] : undefined;
  if (res.status === 204) return 0;
  const value = row ? Object.values(row).find((v) => typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v))) : undefined;
  const n = Number(value);
  return value !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

// ---------------------------------------------------------------------------------------------
// One record
// ---------------------------------------------------------------------------------------------

/** One record by id (all fields when `fields` is empty), or undefined when Zoho answers 204. */
export async function getRecord(
  client: ZohoClient,
  module: string,
  id: unknown,
  fields?: string[],
  opts: GetOptions = {},
): Promise<ZohoRecord | undefined> {
  const name = assertModule(module);
  const recordId = recordIdOf(id);
  const chunks: Array<string[] | undefined> = fields && fields.length ? fieldChunks(fields) : [undefined];
  const responses = await Promise.all(
    chunks.map((chunk) =>
      client.request<{ data?: unknown; info?: Record<string, unknown> }>({
        method: "GET",
        path: `/${name}/${recordId}`,
        query: { fields: chunk?.join(",") },
        signal: opts.signal,
      }),
    ),
  );
  const merged = mergeChunks(responses);
  return merged.records[0];
}
