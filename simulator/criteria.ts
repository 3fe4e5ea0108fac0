// Search API criteria parser: ((Field:operator:value)and(Field:operator:value)) with and/or and parentheses.
// Values escape "(", ")", "," and "\" with a backslash (the whole criteria is URL-encoded by the client,
// and URLSearchParams has already decoded it when it reaches us).
import { ApiError, Rec, compareIds } from "./util";
import { ModuleStore, FieldMeta } from "./store";

export type Pred = (r: Rec) => boolean;

const OPERATORS = ["equals", "not_equal", "starts_with", "in", "greater_than", "greater_equal", "less_than", "less_equal", "between"];
const ALLOWED: Record<string, string[]> = {
  number: ["equals", "not_equal", "greater_equal", "greater_than", "less_equal", "less_than", "between", "in"],
  datetime: ["equals", "not_equal", "greater_equal", "greater_than", "less_equal", "less_than", "between", "in"],
  date: ["equals", "not_equal", "greater_equal", "greater_than", "less_equal", "less_than", "between", "in"],
  boolean: ["equals", "not_equal"],
  text: ["equals", "not_equal", "starts_with", "in"],
  picklist: ["equals", "not_equal", "in"],
  lookup: ["equals", "not_equal", "in"],
  owner: ["equals", "not_equal", "in"],
  multi: ["equals", "not_equal", "in", "starts_with"],
  id: ["equals", "not_equal", "in", "greater_than", "greater_equal", "less_than", "less_equal", "between"],
};

function invalidQuery(reason: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(400, "INVALID_QUERY", { reason, ...extra }, "invalid query formed");
}

export function lower(v: unknown): string {
  return String(v).toLowerCase();
}

/** Comparable scalar for ordering comparisons; null when not comparable. */
export function numericOf(kind: string, v: unknown): number | null {
  if (v === null || v === undefined || v === "") return null;
  if (kind === "number") {
    const n = typeof v === "number" ? v : Number(v);
    return Number.isFinite(n) ? n : null;
  }
  if (kind === "datetime" || kind === "date") {
    const t = Date.parse(String(v));
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

export function lookupId(v: unknown): string | null {
  if (v && typeof v === "object" && typeof (v as Record<string, unknown>).id === "string") return (v as { id: string }).id;
  return null;
}

interface Cond {
  field: string;
  op: string;
  values: string[];
}

class Parser {
  i = 0;
  criteriaCount = 0;
  constructor(
    private s: string,
    private store: ModuleStore,
  ) {}

  fail(reason: string): never {
    throw invalidQuery(reason, { criteria: this.s, position: this.i });
  }

  parseTop(): Pred {
    this.skipWs();
    if (this.s[this.i] !== "(") {
      // a bare single condition without parentheses
      const c = this.readCondition(true);
      return this.compile(c);
    }
    const p = this.parseList();
    this.skipWs();
    if (this.i < this.s.length) this.fail("unexpected characters after the criteria");
    return p;
  }

  skipWs(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  /** term (and|or term)* with "and" binding tighter than "or" */
  parseList(): Pred {
    const ors: Pred[][] = [[this.parseTerm()]];
    for (;;) {
      this.skipWs();
      const rest = this.s.slice(this.i, this.i + 3).toLowerCase();
      if (rest === "and") {
        this.i += 3;
        ors[ors.length - 1].push(this.parseTerm());
      } else if (rest.startsWith("or")) {
        this.i += 2;
        ors.push([this.parseTerm()]);
      } else break;
    }
    const groups = ors.map((ands) => (ands.length === 1 ? ands[0] : (r: Rec) => ands.every((p) => p(r))));
    return groups.length === 1 ? groups[0] : (r: Rec) => groups.some((p) => p(r));
  }

  parseTerm(): Pred {
    this.skipWs();
    if (this.s[this.i] !== "(") this.fail("expected '('");
    this.i++;
    this.skipWs();
    let p: Pred;
    if (this.s[this.i] === "(") p = this.parseList();
    else p = this.compile(this.readCondition(false));
    this.skipWs();
    if (this.s[this.i] !== ")") this.fail("expected ')'");
    this.i++;
    return p;
  }

  readCondition(bare: boolean): Cond {
    const c1 = this.s.indexOf(":", this.i);
    if (c1 < 0) this.fail("expected field:operator:value");
    const field = this.s.slice(this.i, c1).trim();
    const c2 = this.s.indexOf(":", c1 + 1);
    if (c2 < 0) this.fail("expected field:operator:value");
    const op = this.s.slice(c1 + 1, c2).trim().toLowerCase();
    if (!/^[A-Za-z0-9_$.]+$/.test(field)) this.fail("invalid field name");
    this.i = c2 + 1;
    const values: string[] = [];
    let cur = "";
    for (;;) {
      if (this.i >= this.s.length) {
        if (bare) break;
        this.fail("unbalanced parentheses");
      }
      const ch = this.s[this.i];
      if (ch === "\\") {
        if (this.i + 1 >= this.s.length) this.fail("dangling escape character");
        cur += this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (ch === ")") {
        if (bare) this.fail("unbalanced parentheses");
        break;
      }
      if (ch === "(") this.fail("unescaped '(' in value");
      if (ch === ",") {
        values.push(cur);
        cur = "";
        this.i++;
        continue;
      }
      cur += ch;
      this.i++;
    }
    values.push(cur);
    this.criteriaCount++;
    if (this.criteriaCount > 10) throw invalidQuery("maximum of 10 criteria exceeded", { limit: 10 });
    return { field, op, values: values.map((v) => v.trim()) };
  }

  compile(c: Cond): Pred {
    const isId = c.field === "id";
    const meta: FieldMeta | undefined = isId ? undefined : this.store.field(c.field);
    if (!isId && !meta) throw invalidQuery("invalid field", { api_name: c.field });
    if (!OPERATORS.includes(c.op)) throw invalidQuery("invalid operator found", { api_name: c.field, operator: c.op });
    const kind = isId ? "id" : meta!.kind;
    if (!ALLOWED[kind].includes(c.op)) throw invalidQuery("invalid operator found", { api_name: c.field, operator: c.op, data_type: meta?.data_type ?? "bigint" });
    const multiValue = c.op === "in" || c.op === "between";
    if (!multiValue && c.values.length > 1) throw invalidQuery("unescaped ',' in value", { api_name: c.field });
    if (c.op === "between" && c.values.length !== 2) throw invalidQuery("between needs two values", { api_name: c.field });
    if (c.op === "in" && c.values.length > 100) throw invalidQuery("maximum of 100 values for in", { api_name: c.field });
    const field = c.field;
    const get = (r: Rec): unknown => (isId ? r.id : r[field]);

    if (kind === "id") {
      for (const v of c.values) if (!/^\d+$/.test(v)) throw invalidQuery("type mismatch", { api_name: "id", expected_data_type: "bigint" });
      const v0 = c.values[0];
      switch (c.op) {
        case "equals": return (r) => r.id === v0;
        case "not_equal": return (r) => r.id !== v0;
        case "in": return (r) => c.values.includes(r.id);
        case "greater_than": return (r) => compareIds(r.id, v0) > 0;
        case "greater_equal": return (r) => compareIds(r.id, v0) >= 0;
        case "less_than": return (r) => compareIds(r.id, v0) < 0;
        case "less_equal": return (r) => compareIds(r.id, v0) <= 0;
        default: return (r) => compareIds(r.id, c.values[0]) >= 0 && compareIds(r.id, c.values[1]) <= 0;
      }
    }
    if (kind === "number" || kind === "datetime" || kind === "date") {
      const nums = c.values.map((v) => {
        const n = numericOf(kind, v);
        if (n === null) throw invalidQuery("type mismatch", { api_name: field, expected_data_type: meta!.data_type });
        return n;
      });
      const n0 = nums[0];
      const val = (r: Rec) => numericOf(kind, get(r));
      switch (c.op) {
        case "equals": return (r) => val(r) === n0;
        case "not_equal": return (r) => val(r) !== n0;
        case "in": return (r) => { const x = val(r); return x !== null && nums.includes(x); };
        case "greater_than": return (r) => { const x = val(r); return x !== null && x > n0; };
        case "greater_equal": return (r) => { const x = val(r); return x !== null && x >= n0; };
        case "less_than": return (r) => { const x = val(r); return x !== null && x < n0; };
        case "less_equal": return (r) => { const x = val(r); return x !== null && x <= n0; };
        default: return (r) => { const x = val(r); return x !== null && x >= nums[0] && x <= nums[1]; };
      }
    }
    if (kind === "boolean") {
      const b = c.values[0].toLowerCase();
      if (b !== "true" && b !== "false") throw invalidQuery("type mismatch", { api_name: field, expected_data_type: "boolean" });
      const want = b === "true";
      return c.op === "equals" ? (r) => !!get(r) === want : (r) => !!get(r) !== want;
    }
    if (kind === "lookup" || kind === "owner") {
      const wanted = c.values.map(lower);
      const matches = (r: Rec) => {
        const v = get(r);
        if (!v || typeof v !== "object") return false;
        const o = v as Record<string, unknown>;
        return wanted.some((w) => lower(o.id) === w || (o.name != null && lower(o.name) === w));
      };
      return c.op === "not_equal" ? (r) => !matches(r) : matches;
    }
    if (kind === "multi") {
      const wanted = c.values.map(lower);
      const items = (r: Rec) => {
        const v = get(r);
        return Array.isArray(v) ? v.map(lower) : v == null ? [] : [lower(v)];
      };
      switch (c.op) {
        case "equals":
        case "in": return (r) => items(r).some((x) => wanted.includes(x));
        case "not_equal": return (r) => !items(r).some((x) => wanted.includes(x));
        default: return (r) => items(r).some((x) => x.startsWith(wanted[0]));
      }
    }
    // text-like and picklist
    const w0 = lower(c.values[0]);
    const wanted = c.values.map(lower);
    const str = (r: Rec) => {
      const v = get(r);
      return v === null || v === undefined ? null : lower(v);
    };
    switch (c.op) {
      case "equals":
        // v7/v8: equals behaves like "contains" on text fields; picklists match exactly
        return kind === "picklist" ? (r) => str(r) === w0 : (r) => { const x = str(r); return x !== null && x.includes(w0); };
      case "not_equal": return (r) => str(r) !== w0;
      case "starts_with": return (r) => { const x = str(r); return x !== null && x.startsWith(w0); };
      default: return (r) => { const x = str(r); return x !== null && wanted.includes(x); };
    }
  }
}

export function parseCriteria(criteria: string, store: ModuleStore): Pred {
  if (!criteria.trim()) throw invalidQuery("empty criteria");
  return new Parser(criteria, store).parseTop();
}
