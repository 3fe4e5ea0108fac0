// In-memory module store: metadata, records, unique/duplicate-check indexes and cached sort orders.
import { Rec, compareIds, cloneJson } from "./util";

export interface FieldInput {
  api_name: string;
  data_type?: string;
  field_label?: string;
  system_mandatory?: boolean;
  unique?: boolean;
  sortable?: boolean;
  read_only?: boolean;
  /** for data_type "lookup": api_name of the target module */
  lookup_module?: string;
  /** for picklist / multiselectpicklist */
  pick_list_values?: string[];
  length?: number;
  custom_field?: boolean;
}

export interface ModuleInput {
  api_name: string;
  plural_label?: string;
  singular_label?: string;
  module_name?: string;
  generated_type?: "default" | "custom";
  api_supported?: boolean;
  fields: FieldInput[];
  mandatory?: string[];
  uniqueFields?: string[];
  defaultDuplicateCheck?: string[];
  /** field whose value is shown as the lookup "name" when another record points at this one */
  display_field?: string;
  /**
   * Related lists of this module's records (related.ts), besides Notes and Attachments: the records of `module` whose
   * lookup `field` points at the record, listed at /crm/v8/{this module}/{id}/{api_name}.
   */
  related_lists?: Array<{ api_name: string; module: string; field: string; display_label?: string }>;
}

export type FieldKind = "text" | "picklist" | "multi" | "number" | "datetime" | "date" | "boolean" | "lookup" | "owner";

export interface FieldMeta {
  api_name: string;
  data_type: string;
  field_label: string;
  system_mandatory: boolean;
  unique: boolean;
  sortable: boolean;
  read_only: boolean;
  lookup_module?: string;
  pick_list_values?: string[];
  length: number;
  custom_field: boolean;
  id: string;
  kind: FieldKind;
}

export function kindOf(dataType: string): FieldKind {
  switch (dataType) {
    case "integer":
    case "bigint":
    case "double":
    case "currency":
    case "percent":
    case "decimal":
    case "long":
      return "number";
    case "datetime":
      return "datetime";
    case "date":
      return "date";
    case "boolean":
      return "boolean";
    case "lookup":
      return "lookup";
    case "ownerlookup":
    case "userlookup":
      return "owner";
    case "multiselectpicklist":
      return "multi";
    case "picklist":
      return "picklist";
    default:
      return "text";
  }
}

export function jsonTypeOf(kind: FieldKind, dataType: string): string {
  switch (kind) {
    case "number":
      return dataType === "integer" || dataType === "bigint" ? "integer" : "double";
    case "boolean":
      return "boolean";
    case "lookup":
    case "owner":
      return "jsonobject";
    case "multi":
      return "jsonarray";
    default:
      return "string";
  }
}

/** Normalised key for unique / duplicate-check comparisons (case-insensitive, trimmed). */
export function normKey(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "object") {
    const id = (v as Record<string, unknown>).id;
    return typeof id === "string" && id ? `#${id}` : null;
  }
  const s = String(v).trim().toLowerCase();
  return s === "" ? null : s;
}

export type SortKey = "id" | "Created_Time" | "Modified_Time";

/** An item of GET /{module}/deleted; a permanent one has null deleted_by, display_name and created_by. */
export interface DeletedEntry {
  deleted_by: { name: string; id: string } | null;
  id: string;
  display_name: string | null;
  type: "recycle" | "permanent";
  created_by: { name: string; id: string } | null;
  deleted_time: string;
}

function timeKey(v: unknown): number {
  if (typeof v !== "string") return 0;
  const t = Date.parse(v);
  return Number.isNaN(t) ? 0 : t;
}

export class ModuleStore {
  readonly apiName: string;
  readonly def: ModuleInput;
  readonly fields: FieldMeta[];
  readonly fieldMap = new Map<string, FieldMeta>();
  private readonly fieldMapCI = new Map<string, FieldMeta>();
  readonly mandatory: string[];
  readonly unique: string[];
  readonly dupCheck: string[];
  readonly displayField: string;
  readonly id: string;
  readonly custom: boolean;
  readonly apiSupported: boolean;

  readonly byId = new Map<string, Rec>();
  readonly deleted: DeletedEntry[] = [];
  version = 0;
  private idCache: { v: number; arr: Rec[] } | null = null;
  private sortCache = new Map<string, { v: number; arr: Rec[] }>();
  /** compiled constructor: every record of a module gets the same V8 shape (fast properties, ~3x less memory) */
  private readonly ctor: new (v: Record<string, unknown>) => Rec;
  /** field -> normalised value -> id or ids (unique fields and duplicate-check fields) */
  private indexes = new Map<string, Map<string, string | string[]>>();

  constructor(def: ModuleInput, moduleId: string, fieldIdBase: bigint) {
    this.def = def;
    this.apiName = def.api_name;
    this.id = moduleId;
    this.custom = def.generated_type === "custom";
    this.apiSupported = def.api_supported !== false;
    const mandatory = new Set(def.mandatory ?? []);
    const unique = new Set(def.uniqueFields ?? []);
    let n = 0n;
    this.fields = def.fields.map((f) => {
      const dataType = f.data_type ?? "text";
      const kind = kindOf(dataType);
      const meta: FieldMeta = {
        api_name: f.api_name,
        data_type: dataType,
        field_label: f.field_label ?? f.api_name.replace(/__s$/, "").replace(/_/g, " "),
        system_mandatory: !!f.system_mandatory || mandatory.has(f.api_name),
        unique: !!f.unique || unique.has(f.api_name),
        sortable: f.sortable ?? kind !== "multi",
        read_only: !!f.read_only,
        lookup_module: f.lookup_module,
        pick_list_values: f.pick_list_values,
        length: f.length ?? (dataType === "textarea" ? 32000 : kind === "text" || kind === "picklist" ? 255 : kind === "number" ? 16 : 0),
        custom_field: f.custom_field ?? false,
        id: String(fieldIdBase + ++n),
        kind,
      };
      return meta;
    });
    for (const f of this.fields) {
      this.fieldMap.set(f.api_name, f);
      this.fieldMapCI.set(f.api_name.toLowerCase(), f);
    }
    this.mandatory = this.fields.filter((f) => f.system_mandatory).map((f) => f.api_name);
    this.unique = this.fields.filter((f) => f.unique).map((f) => f.api_name);
    this.dupCheck = (def.defaultDuplicateCheck ?? []).filter((f) => this.fieldMap.has(f));
    this.displayField =
      def.display_field ??
      (this.fieldMap.has("Full_Name") ? "Full_Name" : this.mandatory.find((f) => this.fieldMap.get(f)?.kind === "text") ?? "Name");
    for (const f of new Set([...this.unique, ...this.dupCheck])) this.indexes.set(f, new Map());
    const names = ["id", ...this.fields.map((f) => f.api_name).filter((n) => n !== "id")];
    const body = names
      .map((n) => {
        const k = JSON.stringify(n);
        return `this[${k}] = v[${k}] === undefined ? null : v[${k}];`;
      })
      .join("\n");
    this.ctor = new Function("v", body) as unknown as new (v: Record<string, unknown>) => Rec;
  }

  /** A record object with every metadata field present (null when empty) plus any "$" keys of `v`. */
  make(v: Record<string, unknown>): Rec {
    const rec = new this.ctor(v);
    for (const k in v) if (k.charCodeAt(0) === 36 /* $ */) rec[k] = v[k];
    return rec;
  }

  /** Copy for callers: same shape, nested objects/arrays deep-copied. */
  copy(r: Rec): Rec {
    const c = this.make(r);
    for (const k in c) {
      const v = c[k];
      if (v !== null && typeof v === "object") c[k] = cloneJson(v);
    }
    return c;
  }

  field(name: string, caseInsensitive = false): FieldMeta | undefined {
    return this.fieldMap.get(name) ?? (caseInsensitive ? this.fieldMapCI.get(name.toLowerCase()) : undefined);
  }

  /** Fields usable as duplicate_check_fields for upsert: system duplicate-check + unique fields. */
  isDupCheckAllowed(name: string): boolean {
    return this.dupCheck.includes(name) || this.unique.includes(name);
  }

  // ---- records -----------------------------------------------------------------------------
  insert(rec: Rec): void {
    this.byId.set(rec.id, rec);
    this.indexAdd(rec);
    this.version++;
  }

  replace(old: Rec, next: Rec): void {
    this.indexRemove(old);
    this.byId.set(next.id, next);
    this.indexAdd(next);
    this.version++;
  }

  remove(id: string): Rec | undefined {
    const rec = this.byId.get(id);
    if (!rec) return undefined;
    this.byId.delete(id);
    this.indexRemove(rec);
    this.version++;
    return rec;
  }

  clear(): void {
    this.byId.clear();
    this.deleted.length = 0;
    for (const m of this.indexes.values()) m.clear();
    this.idCache = null;
    this.sortCache.clear();
    this.version++;
  }

  /** ids of records whose `field` matches `value` (normalised), oldest first */
  findBy(field: string, value: unknown): string[] {
    const idx = this.indexes.get(field);
    const key = normKey(value);
    if (key === null) return [];
    if (idx) {
      const hit = idx.get(key);
      if (hit === undefined) return [];
      return typeof hit === "string" ? [hit] : hit.slice();
    }
    const out: string[] = [];
    for (const r of this.byId.values()) if (normKey(r[field]) === key) out.push(r.id);
    return out;
  }

  private indexAdd(rec: Rec): void {
    for (const [field, idx] of this.indexes) {
      const key = normKey(rec[field]);
      if (key === null) continue;
      const hit = idx.get(key);
      if (hit === undefined) idx.set(key, rec.id);
      else if (typeof hit === "string") idx.set(key, [hit, rec.id].sort(compareIds));
      else {
        hit.push(rec.id);
        hit.sort(compareIds);
      }
    }
  }

  private indexRemove(rec: Rec): void {
    for (const [field, idx] of this.indexes) {
      const key = normKey(rec[field]);
      if (key === null) continue;
      const hit = idx.get(key);
      if (hit === undefined) continue;
      if (typeof hit === "string") {
        if (hit === rec.id) idx.delete(key);
      } else {
        const rest = hit.filter((x) => x !== rec.id);
        if (rest.length === 0) idx.delete(key);
        else if (rest.length === 1) idx.set(key, rest[0]);
        else idx.set(key, rest);
      }
    }
  }

  /** All records in ascending id order (cached per data version; O(n) to rebuild, no full sort when ids are appended). */
  idOrder(): Rec[] {
    if (this.idCache && this.idCache.v === this.version) return this.idCache.arr;
    const arr = Array.from(this.byId.values());
    let sorted = true;
    for (let i = 1; i < arr.length; i++) {
      if (compareIds(arr[i - 1].id, arr[i].id) > 0) {
        sorted = false;
        break;
      }
    }
    if (!sorted) arr.sort((a, b) => compareIds(a.id, b.id));
    this.idCache = { v: this.version, arr };
    return arr;
  }

  /**
   * Records in ascending order of `sortBy` (ties broken by id, so paging is stable),
   * optionally filtered. Cached per (sortBy, filterKey, data version).
   */
  ordered(sortBy: SortKey, filterKey = "", filter?: (r: Rec) => boolean): Rec[] {
    const key = `${sortBy}|${filterKey}`;
    const hit = this.sortCache.get(key);
    if (hit && hit.v === this.version) return hit.arr;
    let base = this.idOrder();
    if (filter) base = base.filter(filter);
    let arr: Rec[];
    if (sortBy === "id") arr = base;
    else {
      const keyed = base.map((r, i) => ({ k: timeKey(r[sortBy]), i, r }));
      keyed.sort((a, b) => a.k - b.k || a.i - b.i); // base is id-ordered, so index = id tiebreak
      arr = keyed.map((x) => x.r);
    }
    if (this.sortCache.size > 32) this.sortCache.clear();
    this.sortCache.set(key, { v: this.version, arr });
    return arr;
  }
}
