/**
 * Bulk Read's field paths and criteria (bulk-read.ts), and how a value is written in its CSV.
 *
 * Field paths (query.fields and criteria field.api_name), API names, case-sensitive:
 *   id, any field of the module, and one level through a relation:
 *   Owner.<id|name|full_name|first_name|last_name|email> (also Created_By., Modified_By.), e.g. Owner.last_name;
 *   <Lookup>.<field of the looked-up module | id>, e.g. Account_Name.Account_Name, Account_Name.Phone.
 *   Anything else -> 400 INVALID_DATA. A relation's value is read when the file is written (see bulk-read.ts).
 *
 * Criteria: {"field":{"api_name"},"comparator","value"} or {"group_operator":"and"|"or","group":[…]} (nested groups
 * allowed). Comparators by field type, as the doc's table:
 *   number (integer, bigint, double, currency, percent)  equal not_equal in not_in less_than less_equal greater_than greater_equal
 *   text, email, phone, website, picklist, multi-select   equal not_equal in not_in contains not_contains starts_with ends_with
 *   date, datetime                                        the number ones + between not_between
 *   boolean                                               equal (true / false, JSON or "true" / "false")
 *   lookup, owner                                         equal not_equal in not_in (record / user ids)
 *   id                                                    as date (ids compared as numbers)
 * Values: numbers as JSON numbers or digit strings; dates "yyyy-MM-dd"; datetimes ISO 8601 with an offset, no
 * milliseconds (compared as instants); in / not_in / between / not_between take an array (between: two values).
 * "${EMPTY}" stands for no value (equal, not_equal, in, not_in).
 * Choices where the doc is silent: text comparisons ignore case; equal on text is exact (not "contains"); a multi-select
 * is compared as its options joined with ";" (as COQL does); not_equal, not_in and not_contains match records that
 * have no value (like the search API's not_equal), the ordering comparators never do.
 *
 * CSV values (csvValue): text as is; numbers as JavaScript writes them (digits, "." for decimals); booleans true /
 * false; datetimes ISO 8601 with the offset they were stored with; dates yyyy-MM-dd; lookups and owners as the id;
 * multi-select options joined with ";"; no value as "".
 */
import { ModuleStore, FieldKind } from "./store";
import { ApiError, Rec, compareIds, isPlainObject } from "./util";
import { lookupId, lower, numericOf } from "./criteria";
import { SimState } from "./state";

export interface BulkColumn {
  name: string;
  kind: FieldKind | "id";
  get: (r: Rec) => unknown;
}

const EMPTY = "${EMPTY}";
const USER_KEYS = ["id", "name", "full_name", "first_name", "last_name", "email"];

/** The column a field path names, or undefined when it names none. */
export function bulkColumn(sim: SimState, store: ModuleStore, name: string): BulkColumn | undefined {
  if (name === "id") return { name, kind: "id", get: (r) => r.id };
  const [head, sub, more] = name.split(".");
  const f = store.fieldMap.get(head);
  if (!f || more !== undefined) return undefined;
  if (sub === undefined) return { name, kind: f.kind, get: (r) => r[head] };
  if (f.kind === "owner") {
    if (!USER_KEYS.includes(sub)) return undefined;
    return {
      name,
      kind: sub === "id" ? "id" : "text",
      get: (r) => {
        const o = r[head];
        if (!isPlainObject(o)) return null;
        if (sub === "full_name") return o.name ?? null;
        if (sub === "first_name" || sub === "last_name") return o.id === sim.user.id ? sim.user[sub] : null;
        return o[sub] ?? null;
      },
    };
  }
  const target = f.kind === "lookup" && f.lookup_module ? sim.modules.get(f.lookup_module.toLowerCase()) : undefined;
  const inner = target && (sub === "id" ? { kind: "id" as const } : target.fieldMap.get(sub));
  if (!target || !inner) return undefined;
  return {
    name,
    kind: inner.kind,
    get: (r) => {
      const id = lookupId(r[head]);
      const rec = id ? target.byId.get(id) : undefined;
      return rec ? rec[sub] ?? null : null;
    },
  };
}

/** A value as Zoho's bulk CSV writes it. */
export function csvValue(kind: BulkColumn["kind"], v: unknown): string {
  if (v === null || v === undefined) return "";
  if (kind === "lookup" || kind === "owner") return lookupId(v) ?? "";
  if (Array.isArray(v)) return v.join(";");
  if (typeof v === "object") return lookupId(v) ?? "";
  return String(v);
}

type Pred = (r: Rec) => boolean;
type Cmp = number | string | boolean;

const TEXT = ["equal", "not_equal", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with"];
const NUMBER = ["equal", "not_equal", "in", "not_in", "less_than", "less_equal", "greater_than", "greater_equal"];
const TIME = [...NUMBER, "between", "not_between"];
const REF = ["equal", "not_equal", "in", "not_in"];
const COMPARATORS: Record<BulkColumn["kind"], string[]> = {
  text: TEXT, picklist: TEXT, multi: TEXT, number: NUMBER, date: TIME, datetime: TIME, id: TIME, boolean: ["equal"], lookup: REF, owner: REF,
};
const LISTS = ["in", "not_in", "between", "not_between"];

/** The comparable form of a record's value (null: no value). */
function comparable(kind: BulkColumn["kind"], v: unknown): Cmp | null {
  if (v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) return null;
  switch (kind) {
    case "number":
    case "date":
    case "datetime":
      return numericOf(kind, v);
    case "boolean":
      return !!v;
    case "id":
      return String(v);
    case "lookup":
    case "owner":
      return lookupId(v);
    default:
      return Array.isArray(v) ? v.map(lower).join(";") : lower(v);
  }
}

/** The comparable form of a criteria value; undefined when it does not fit the field's type. */
function wanted(kind: BulkColumn["kind"], v: unknown): Cmp | undefined {
  switch (kind) {
    case "number": {
      const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case "date":
    case "datetime": {
      const re = kind === "date" ? /^\d{4}-\d{2}-\d{2}$/ : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/;
      return typeof v === "string" && re.test(v) ? numericOf(kind, v) ?? undefined : undefined;
    }
    case "boolean":
      return v === true || v === "true" ? true : v === false || v === "false" ? false : undefined;
    case "id":
    case "lookup":
    case "owner":
      return (typeof v === "string" && /^\d+$/.test(v)) || (typeof v === "number" && Number.isSafeInteger(v)) ? String(v) : undefined;
    default:
      return typeof v === "string" || typeof v === "number" ? lower(v) : undefined;
  }
}

function order(kind: BulkColumn["kind"], a: Cmp, b: Cmp): number {
  return kind === "id" ? compareIds(a as string, b as string) : (a as number) - (b as number);
}

/** A criteria object (single or group) as a predicate; 400 INVALID_DATA / MANDATORY_NOT_FOUND when it is not valid. */
export function compileCriteria(sim: SimState, store: ModuleStore, c: unknown, path: string): Pred {
  const invalid = (apiName: string, at: string, message: string, extra: Record<string, unknown> = {}) =>
    new ApiError(400, "INVALID_DATA", { api_name: apiName, json_path: at, ...extra }, message);
  const missing = (apiName: string) => new ApiError(400, "MANDATORY_NOT_FOUND", { api_name: apiName, json_path: `${path}.${apiName}` }, "required field not found");
  if (!isPlainObject(c)) throw invalid("criteria", path, "invalid data", { expected_data_type: "jsonobject" });
  if (c.group !== undefined || c.group_operator !== undefined) {
    const op = typeof c.group_operator === "string" ? c.group_operator.toLowerCase() : undefined;
    if (op !== "and" && op !== "or") throw invalid("group_operator", `${path}.group_operator`, "invalid data", { supported_values: ["and", "or"] });
    if (!Array.isArray(c.group) || c.group.length === 0) throw invalid("group", `${path}.group`, "invalid data", { expected_data_type: "jsonarray" });
    const preds = c.group.map((g, i) => compileCriteria(sim, store, g, `${path}.group[${i}]`));
    return op === "and" ? (r) => preds.every((p) => p(r)) : (r) => preds.some((p) => p(r));
  }
  if (c.field === undefined) throw missing("field");
  const name = isPlainObject(c.field) ? c.field.api_name : undefined;
  const col = typeof name === "string" ? bulkColumn(sim, store, name) : undefined;
  if (!col) throw invalid(typeof name === "string" ? name : "field", `${path}.field.api_name`, "the field name given seems to be invalid");
  if (c.comparator === undefined) throw missing("comparator");
  const cmp = c.comparator;
  if (typeof cmp !== "string" || !COMPARATORS[col.kind].includes(cmp)) {
    throw invalid("comparator", `${path}.comparator`, "invalid comparator for the field", { supported_values: COMPARATORS[col.kind] });
  }
  if (!("value" in c)) throw missing("value");
  const list = LISTS.includes(cmp);
  const raw = list ? c.value : [c.value];
  const badValue = () => invalid(col.name, `${path}.value`, "invalid value for the field", { expected_data_type: list ? "jsonarray" : col.kind });
  if (!Array.isArray(raw) || raw.length === 0 || (cmp.includes("between") && raw.length !== 2)) throw badValue();
  const emptyOk = REF.includes(cmp) && col.kind !== "boolean";
  const wants = raw.map((v) => {
    if (v === EMPTY && emptyOk) return null;
    const w = wanted(col.kind, v);
    if (w === undefined) throw badValue();
    return w;
  });
  const val = (r: Rec) => comparable(col.kind, col.get(r));
  const matches = (r: Rec) => {
    const x = val(r);
    return wants.some((w) => x === w);
  };
  const text = (test: (x: string, w: string) => boolean): Pred => (r) => {
    const x = val(r);
    return x !== null && test(x as string, wants[0] as string);
  };
  const ordered = (test: (d: number) => boolean): Pred => (r) => {
    const x = val(r);
    return x !== null && test(order(col.kind, x, wants[0] as Cmp));
  };
  switch (cmp) {
    case "equal":
    case "in":
      return matches;
    case "not_equal":
    case "not_in":
      return (r) => !matches(r);
    case "contains":
      return text((x, w) => x.includes(w));
    case "not_contains":
      return (r) => { const x = val(r); return x === null || !(x as string).includes(wants[0] as string); };
    case "starts_with":
      return text((x, w) => x.startsWith(w));
    case "ends_with":
      return text((x, w) => x.endsWith(w));
    case "less_than":
      return ordered((d) => d < 0);
    case "less_equal":
      return ordered((d) => d <= 0);
    case "greater_than":
      return ordered((d) => d > 0);
    case "greater_equal":
      return ordered((d) => d >= 0);
    default: {
      const inside = (x: Cmp) => order(col.kind, x, wants[0] as Cmp) >= 0 && order(col.kind, x, wants[1] as Cmp) <= 0;
      return cmp === "between" ? (r) => { const x = val(r); return x !== null && inside(x); } : (r) => { const x = val(r); return x !== null && !inside(x); };
    }
  }
}
