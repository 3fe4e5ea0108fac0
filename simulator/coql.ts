// A small COQL parser/executor:
//   select f1, f2[, Lookup.Field] from Module where <cond> [order by f [asc|desc][, ...]]
//          [limit N [offset M] | limit M, N | offset M limit N]
// Conditions: = != <> > >= < <= , [not] like '%x%'|'x%'|'%x'|'x', [not] in (...), is [not] null,
// [not] between a and b, and/or with parentheses. Following the COQL docs, more than two conditions
// at one level must be nested pairwise ((A and B) and C); a flat "A and B and C" is a SYNTAX_ERROR.
// Aggregates: only COUNT(column) (any case, e.g. COUNT(id), count(Email)) [as alias], and only on its own
// (no GROUP BY): one row {"COUNT(id)": N} keyed by the expression as written (or the alias), counting the
// rows the where clause matches (COUNT(field): those whose field is not empty). SUM/MIN/MAX/AVG are refused.
import { ApiError, Rec, compareIds } from "./util";
import { ModuleStore, FieldKind } from "./store";
import { lower, numericOf, lookupId } from "./criteria";

type TokType = "ident" | "str" | "num" | "op" | "punct" | "eof";
interface Tok {
  t: TokType;
  v: string;
  pos: number;
}

const KEYWORDS = new Set(["select", "from", "where", "order", "by", "asc", "desc", "limit", "offset", "and", "or", "not", "like", "in", "is", "null", "between", "group", "having"]);

function syntaxError(query: string, tok: Tok | undefined, extra: Record<string, unknown> = {}): ApiError {
  const pos = tok ? tok.pos : query.length;
  return new ApiError(400, "SYNTAX_ERROR", { line: 1, column: pos + 1, near: tok && tok.t !== "eof" ? tok.v : "", ...extra }, "error occurred while parsing the query");
}

function invalidQuery(message: string, details: Record<string, unknown>): ApiError {
  return new ApiError(400, "INVALID_QUERY", details, message);
}

function tokenize(q: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const ch = q[i];
    if (/\s/.test(ch)) { i++; continue; }
    const start = i;
    if (ch === "'") {
      let s = "";
      i++;
      for (;;) {
        if (i >= q.length) throw syntaxError(q, { t: "str", v: q.slice(start), pos: start }, { reason: "unterminated string" });
        if (q[i] === "'") {
          if (q[i + 1] === "'") { s += "'"; i += 2; continue; }
          i++;
          break;
        }
        s += q[i++];
      }
      toks.push({ t: "str", v: s, pos: start });
      continue;
    }
    const prev = toks[toks.length - 1];
    const numStart = /[0-9]/.test(ch) || (ch === "-" && /[0-9]/.test(q[i + 1] ?? "") && (!prev || prev.t === "op" || prev.t === "punct" || (prev.t === "ident" && KEYWORDS.has(prev.v.toLowerCase()))));
    if (numStart) {
      i++;
      while (i < q.length && /[0-9.]/.test(q[i])) i++;
      toks.push({ t: "num", v: q.slice(start, i), pos: start });
      continue;
    }
    if (/[A-Za-z_$]/.test(ch)) {
      while (i < q.length && /[A-Za-z0-9_$.]/.test(q[i])) i++;
      toks.push({ t: "ident", v: q.slice(start, i), pos: start });
      continue;
    }
    const two = q.slice(i, i + 2);
    if (two === "!=" || two === "<>" || two === ">=" || two === "<=") {
      toks.push({ t: "op", v: two === "<>" ? "!=" : two, pos: start });
      i += 2;
      continue;
    }
    if (ch === "=" || ch === ">" || ch === "<") { toks.push({ t: "op", v: ch, pos: start }); i++; continue; }
    if (ch === "(" || ch === ")" || ch === "," || ch === "*") { toks.push({ t: "punct", v: ch, pos: start }); i++; continue; }
    throw syntaxError(q, { t: "punct", v: ch, pos: start });
  }
  toks.push({ t: "eof", v: "", pos: q.length });
  return toks;
}

interface Path {
  name: string; // canonical output key, e.g. "Account_Name.Account_Name"
  kind: FieldKind | "id";
  get: (r: Rec) => unknown;
}

type Pred = (r: Rec) => boolean;

interface Literal {
  t: "str" | "num" | "ident";
  v: string;
}

export interface CoqlQuery {
  store: ModuleStore;
  columns: Path[];
  /** COUNT(...) columns: the answer is one row of counts instead of records */
  counts: Array<{ key: string; path: Path }>;
  where: Pred;
  order: Array<{ path: Path; desc: boolean }>;
  limit: number;
  offset: number;
  usesDefaultOrder: boolean;
}

export const COQL_MAX_LIMIT = 2000;
export const COQL_MAX_RECORDS = 100000;

const OWNER_KEYS: Record<string, string> = { name: "name", id: "id", email: "email", full_name: "name" };

class CoqlParser {
  i = 0;
  toks: Tok[];
  store!: ModuleStore;
  criteriaCount = 0;
  constructor(
    private q: string,
    private modules: (name: string) => ModuleStore | undefined,
  ) {
    this.toks = tokenize(q);
  }

  peek(): Tok { return this.toks[this.i]; }
  next(): Tok { return this.toks[this.i++]; }
  isKw(kw: string, tok: Tok = this.peek()): boolean { return tok.t === "ident" && tok.v.toLowerCase() === kw; }
  acceptKw(kw: string): boolean {
    if (this.isKw(kw)) { this.i++; return true; }
    return false;
  }
  expectKw(kw: string, clause?: string): void {
    if (!this.acceptKw(kw)) throw syntaxError(this.q, this.peek(), clause ? { clause } : {});
  }
  expectPunct(p: string): void {
    const t = this.next();
    if (t.t !== "punct" || t.v !== p) throw syntaxError(this.q, t);
  }

  parse(): CoqlQuery {
    this.expectKw("select", "select");
    const colToks: Tok[] = [];
    const countToks: Array<{ key: string; arg: Tok }> = [];
    for (;;) {
      const t = this.next();
      if (t.t === "punct" && t.v === "*") throw syntaxError(this.q, t, { reason: "select * is not supported" });
      if ((t.t !== "ident" && t.t !== "str") || (t.t === "ident" && KEYWORDS.has(t.v.toLowerCase()))) throw syntaxError(this.q, t, { clause: "select" });
      if (this.peek().t === "punct" && this.peek().v === "(") countToks.push(this.parseCount(t));
      else colToks.push(t);
      if (this.peek().t === "punct" && this.peek().v === ",") { this.i++; continue; }
      break;
    }
    if (countToks.length && colToks.length) throw syntaxError(this.q, colToks[0], { reason: "columns next to an aggregate need group by, which the simulator does not support" });
    if (countToks.length > 5) throw new ApiError(400, "LIMIT_EXCEEDED", { clause: "select", limit: 5 }, "aggregate function limit exceeded");
    this.expectKw("from", "from");
    const modTok = this.next();
    if (modTok.t !== "ident" && modTok.t !== "str") throw syntaxError(this.q, modTok, { clause: "from" });
    const store = this.modules(modTok.v);
    if (!store) throw invalidQuery("invalid module given", { clause: "from", module: modTok.v, line: 1, column: modTok.pos + 1 });
    this.store = store;
    if (colToks.length > 50) throw new ApiError(400, "LIMIT_EXCEEDED", { clause: "select", limit: 50 }, "select column limit exceeded");
    const columns = colToks.map((t) => this.resolve(t));
    const counts = countToks.map((c) => ({ key: c.key, path: this.resolve(c.arg) }));
    const seen = new Set<string>();
    for (const name of [...columns.map((c) => c.name), ...counts.map((c) => c.key)]) {
      if (seen.has(name)) throw new ApiError(400, "DUPLICATE_DATA", { column_name: name }, "duplicate column given");
      seen.add(name);
    }
    if (!this.acceptKw("where")) {
      throw new ApiError(400, "SYNTAX_ERROR", { clause: "where" }, "error occurred while parsing the query: does not contain either proper criteria, base table, or the where clause");
    }
    const where = this.parseExpr();
    const order: Array<{ path: Path; desc: boolean }> = [];
    let limit: number | undefined;
    let offset: number | undefined;
    for (;;) {
      if (this.isKw("order")) {
        this.i++;
        this.expectKw("by", "order by");
        for (;;) {
          const t = this.next();
          if (t.t !== "ident" && t.t !== "str") throw syntaxError(this.q, t, { clause: "order by" });
          const path = this.resolve(t);
          let desc = false;
          if (this.acceptKw("desc")) desc = true;
          else this.acceptKw("asc");
          order.push({ path, desc });
          if (this.peek().t === "punct" && this.peek().v === ",") { this.i++; continue; }
          break;
        }
        if (order.length > 10) throw new ApiError(400, "LIMIT_EXCEEDED", { clause: "order by", limit: 10 }, "order by column limit exceeded");
        continue;
      }
      if (this.isKw("limit") && limit === undefined) {
        this.i++;
        const a = this.intTok("limit");
        if (this.peek().t === "punct" && this.peek().v === ",") {
          this.i++;
          const b = this.intTok("limit");
          offset = a;
          limit = b;
        } else limit = a;
        continue;
      }
      if (this.isKw("offset") && offset === undefined) {
        this.i++;
        offset = this.intTok("offset");
        continue;
      }
      break;
    }
    const t = this.peek();
    if (t.t !== "eof") throw syntaxError(this.q, t);
    const lim = limit ?? 200;
    const off = offset ?? 0;
    if (lim < 1) throw syntaxError(this.q, undefined, { clause: "limit" });
    if (lim > COQL_MAX_LIMIT) throw new ApiError(400, "LIMIT_EXCEEDED", { clause: "limit", limit: COQL_MAX_LIMIT }, "limit exceeded");
    if (off + lim > COQL_MAX_RECORDS) throw new ApiError(400, "LIMIT_EXCEEDED", { clause: "offset", limit: COQL_MAX_RECORDS }, "Max records limit exceeded");
    return { store, columns, counts, where, order, limit: lim, offset: off, usesDefaultOrder: order.length === 0 || (order.length === 1 && order[0].path.name === "id" && !order[0].desc) };
  }

  /** COUNT(column) [as alias], the function name token `fn` already read; other aggregates are refused */
  parseCount(fn: Tok): { key: string; arg: Tok } {
    if (fn.t !== "ident" || fn.v.toLowerCase() !== "count") throw syntaxError(this.q, fn, { reason: "only the COUNT aggregate is supported by the simulator" });
    this.expectPunct("(");
    const arg = this.next();
    if ((arg.t !== "ident" && arg.t !== "str") || (arg.t === "ident" && KEYWORDS.has(arg.v.toLowerCase()))) throw syntaxError(this.q, arg, { clause: "select" });
    this.expectPunct(")");
    let key = `${fn.v}(${arg.v})`;
    if (this.acceptKw("as")) {
      const alias = this.next();
      if ((alias.t !== "ident" && alias.t !== "str") || (alias.t === "ident" && KEYWORDS.has(alias.v.toLowerCase()))) throw syntaxError(this.q, alias, { clause: "select" });
      key = alias.v;
    }
    return { key, arg };
  }

  intTok(clause: string): number {
    const t = this.next();
    if (t.t !== "num" || !/^\d+$/.test(t.v)) throw syntaxError(this.q, t, { clause });
    return Number(t.v);
  }

  /** field or Lookup.Field path */
  resolve(t: Tok): Path {
    const raw = t.v;
    const parts = raw.split(".");
    const store = this.store;
    const bad = () => invalidQuery("invalid column given", { column_name: raw, line: 1, column: t.pos + 1 });
    if (parts.some((p) => p === "")) throw bad();
    if (parts.length === 1) {
      if (raw.toLowerCase() === "id") return { name: "id", kind: "id", get: (r) => r.id };
      const f = store.field(raw, true);
      if (!f) throw bad();
      return { name: f.api_name, kind: f.kind, get: (r) => r[f.api_name] };
    }
    if (parts.length > 3) throw new ApiError(400, "LIMIT_EXCEEDED", { column_name: raw, reason: "more than 2 relations" }, "join limit exceeded");
    const f = store.field(parts[0], true);
    if (!f || (f.kind !== "lookup" && f.kind !== "owner")) throw bad();
    if (f.kind === "owner") {
      if (parts.length !== 2) throw bad();
      const key = OWNER_KEYS[parts[1].toLowerCase()];
      if (!key) throw bad();
      return {
        name: `${f.api_name}.${parts[1]}`,
        kind: key === "id" ? "id" : "text",
        get: (r) => {
          const o = r[f.api_name] as Record<string, unknown> | null | undefined;
          return o && typeof o === "object" ? o[key] ?? null : null;
        },
      };
    }
    const target = f.lookup_module ? this.modules(f.lookup_module) : undefined;
    if (!target) throw bad();
    const sub = parts.slice(1).join(".");
    const prevStore = this.store;
    this.store = target;
    let inner: Path;
    try {
      inner = this.resolve({ t: "ident", v: sub, pos: t.pos });
    } finally {
      this.store = prevStore;
    }
    return {
      name: `${f.api_name}.${inner.name}`,
      kind: inner.kind,
      get: (r) => {
        const id = lookupId(r[f.api_name]);
        const rec = id ? target.byId.get(id) : undefined;
        return rec ? inner.get(rec) ?? null : null;
      },
    };
  }

  /** expr := primary [(and|or) primary]   (pairwise nesting enforced) */
  parseExpr(): Pred {
    const a = this.parsePrimary();
    if (!this.isKw("and") && !this.isKw("or")) return a;
    const isAnd = this.next().v.toLowerCase() === "and";
    const b = this.parsePrimary();
    if (this.isKw("and") || this.isKw("or")) {
      throw syntaxError(this.q, this.peek(), { reason: "more than two conditions must be grouped pairwise with parentheses, e.g. ((A and B) and C)" });
    }
    return isAnd ? (r) => a(r) && b(r) : (r) => a(r) || b(r);
  }

  parsePrimary(): Pred {
    const t = this.peek();
    if (t.t === "punct" && t.v === "(") {
      this.i++;
      const p = this.parseExpr();
      this.expectPunct(")");
      return p;
    }
    return this.parseComparison();
  }

  literal(): Literal {
    const t = this.next();
    if (t.t === "str" || t.t === "num") return { t: t.t, v: t.v };
    if (t.t === "ident" && !["and", "or", "order", "limit", "offset"].includes(t.v.toLowerCase())) return { t: "ident", v: t.v };
    throw syntaxError(this.q, t);
  }

  parseComparison(): Pred {
    const ft = this.next();
    if ((ft.t !== "ident" && ft.t !== "str") || (ft.t === "ident" && KEYWORDS.has(ft.v.toLowerCase()))) throw syntaxError(this.q, ft, { clause: "where" });
    const path = this.resolve(ft);
    this.criteriaCount++;
    if (this.criteriaCount > 25) throw new ApiError(400, "LIMIT_EXCEEDED", { clause: "where", limit: 25 }, "criteria limit exceeded");
    const opTok = this.peek();
    const mismatch = (op: string) => invalidQuery("invalid operator or value for the field", { column_name: path.name, operator: op, line: 1, column: opTok.pos + 1 });

    if (this.acceptKw("is")) {
      const neg = this.acceptKw("not");
      this.expectKw("null");
      const isNull = (r: Rec) => { const v = path.get(r); return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0); };
      return neg ? (r) => !isNull(r) : isNull;
    }
    const neg = this.acceptKw("not");
    if (this.acceptKw("like")) {
      const lit = this.literal();
      if (lit.t !== "str") throw mismatch("like");
      if (!["text", "picklist", "multi"].includes(path.kind)) throw mismatch("like");
      const pat = lit.v.toLowerCase();
      const starts = pat.startsWith("%");
      const ends = pat.endsWith("%") && pat.length > 1;
      const core = pat.replace(/^%/, "").replace(/%$/, "");
      if (neg && !(starts && ends)) throw mismatch("not like");
      const test = (s: string) => (starts && ends ? s.includes(core) : ends ? s.startsWith(core) : starts ? s.endsWith(core) : s === core);
      const m = (r: Rec) => { const s = textOf(path.get(r)); return s !== null && test(s); };
      return neg ? (r) => { const s = textOf(path.get(r)); return s !== null && !test(s); } : m;
    }
    if (this.acceptKw("in")) {
      this.expectPunct("(");
      const lits: Literal[] = [];
      for (;;) {
        lits.push(this.literal());
        const t = this.next();
        if (t.t === "punct" && t.v === ",") continue;
        if (t.t === "punct" && t.v === ")") break;
        throw syntaxError(this.q, t);
      }
      if (lits.length > 100) throw new ApiError(400, "LIMIT_EXCEEDED", { clause: "where", operator: "in", limit: 100 }, "too many values for in");
      const eqs = lits.map((l) => this.equality(path, l, mismatch));
      const m = (r: Rec) => eqs.some((e) => e(r));
      return neg ? (r) => !isNullish(path.get(r)) && !m(r) : m;
    }
    if (this.acceptKw("between")) {
      const lo = this.literal();
      this.expectKw("and");
      const hi = this.literal();
      const a = this.ordering(path, lo, mismatch);
      const b = this.ordering(path, hi, mismatch);
      const m = (r: Rec) => { const x = a.value(r); return x !== null && a.cmp(x) >= 0 && b.cmp(x) <= 0; };
      return neg ? (r) => a.value(r) !== null && !m(r) : m;
    }
    if (neg) throw syntaxError(this.q, this.peek());
    const op = this.next();
    if (op.t !== "op") throw syntaxError(this.q, op);
    const lit = this.literal();
    if (op.v === "=" || op.v === "!=") {
      if (path.kind === "boolean" && op.v === "!=") throw mismatch("!=");
      const e = this.equality(path, lit, mismatch);
      return op.v === "=" ? e : (r) => !isNullish(path.get(r)) && !e(r);
    }
    const o = this.ordering(path, lit, () => mismatch(op.v));
    switch (op.v) {
      case ">": return (r) => { const x = o.value(r); return x !== null && o.cmp(x) > 0; };
      case ">=": return (r) => { const x = o.value(r); return x !== null && o.cmp(x) >= 0; };
      case "<": return (r) => { const x = o.value(r); return x !== null && o.cmp(x) < 0; };
      default: return (r) => { const x = o.value(r); return x !== null && o.cmp(x) <= 0; };
    }
  }

  /** predicate "field equals literal" with type checks */
  equality(path: Path, lit: Literal, mismatch: (op: string) => ApiError): Pred {
    const kind = path.kind;
    if (lit.t === "ident" && lit.v.toLowerCase() === "null") throw mismatch("= null (use is null)");
    switch (kind) {
      case "id": {
        if (!/^\d+$/.test(lit.v)) throw mismatch("=");
        return (r) => path.get(r) === lit.v;
      }
      case "number": {
        if (lit.t !== "num") throw mismatch("=");
        const n = Number(lit.v);
        return (r) => numericOf("number", path.get(r)) === n;
      }
      case "datetime":
      case "date": {
        const n = numericOf(kind, lit.v);
        if (lit.t !== "str" || n === null) throw mismatch("=");
        return (r) => numericOf(kind, path.get(r)) === n;
      }
      case "boolean": {
        const b = lit.v.toLowerCase();
        if (b !== "true" && b !== "false") throw mismatch("=");
        return (r) => !!path.get(r) === (b === "true");
      }
      case "lookup":
      case "owner": {
        if (!/^\d+$/.test(lit.v)) throw mismatch("=");
        return (r) => lookupId(path.get(r)) === lit.v;
      }
      case "multi": {
        const want = lit.v.toLowerCase();
        return (r) => {
          const v = path.get(r);
          return Array.isArray(v) ? v.map(lower).join(";") === want : v != null && lower(v) === want;
        };
      }
      default: {
        const want = lit.v.toLowerCase();
        return (r) => { const v = path.get(r); return v !== null && v !== undefined && lower(v) === want; };
      }
    }
  }

  /** value extractor + comparator (x compared to the literal) for <, >, between */
  ordering(path: Path, lit: Literal, mismatch: (op: string) => ApiError): { value: (r: Rec) => unknown; cmp: (x: unknown) => number } {
    const kind = path.kind;
    if (kind === "id") {
      if (!/^\d+$/.test(lit.v)) throw mismatch("compare");
      return { value: (r) => path.get(r) ?? null, cmp: (x) => compareIds(String(x), lit.v) };
    }
    if (kind === "number") {
      if (lit.t !== "num") throw mismatch("compare");
      const n = Number(lit.v);
      return { value: (r) => numericOf("number", path.get(r)), cmp: (x) => (x as number) - n };
    }
    if (kind === "datetime" || kind === "date") {
      const n = numericOf(kind, lit.v);
      if (lit.t !== "str" || n === null) throw mismatch("compare");
      return { value: (r) => numericOf(kind, path.get(r)), cmp: (x) => (x as number) - n };
    }
    throw mismatch("compare");
  }
}

function isNullish(v: unknown): boolean {
  return v === null || v === undefined || v === "";
}

function textOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(lower).join(";");
  if (typeof v === "object") return null;
  return lower(v);
}

export function parseCoql(query: string, modules: (name: string) => ModuleStore | undefined): CoqlQuery {
  if (typeof query !== "string" || !query.trim()) {
    throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "select_query" }, "One of the expected parameter is missing");
  }
  return new CoqlParser(query, modules).parse();
}

function sortValue(path: Path, r: Rec): number | string | null {
  const v = path.get(r);
  if (v === null || v === undefined || v === "") return null;
  switch (path.kind) {
    case "number":
    case "datetime":
    case "date":
      return numericOf(path.kind, v);
    case "lookup":
    case "owner":
      return lookupId(v);
    case "boolean":
      return v ? 1 : 0;
    default:
      return textOf(v);
  }
}

/** Run a parsed query; returns the page of rows (projected) and whether more rows exist. */
export function runCoql(q: CoqlQuery): { rows: Array<Record<string, unknown>>; more: boolean } {
  const all = q.store.idOrder();
  if (q.counts.length) {
    const row: Record<string, unknown> = {};
    for (const c of q.counts) row[c.key] = 0;
    for (const r of all) {
      if (!q.where(r)) continue;
      for (const c of q.counts) if (c.path.kind === "id" || !isNullish(c.path.get(r))) (row[c.key] as number)++;
    }
    return { rows: q.offset === 0 ? [row] : [], more: false };
  }
  let matched: Rec[];
  const need = q.offset + q.limit + 1;
  if (q.usesDefaultOrder) {
    matched = [];
    for (const r of all) {
      if (q.where(r)) {
        matched.push(r);
        if (matched.length >= need) break;
      }
    }
  } else {
    matched = all.filter(q.where);
    const keys = q.order.map((o) => ({ o, vals: new Map<Rec, number | string | null>() }));
    for (const k of keys) for (const r of matched) k.vals.set(r, sortValue(k.o.path, r));
    matched.sort((a, b) => {
      for (const k of keys) {
        const x = k.vals.get(a) ?? null;
        const y = k.vals.get(b) ?? null;
        let c = 0;
        if (x === null && y === null) c = 0;
        else if (x === null) c = -1; // nulls first in ascending order
        else if (y === null) c = 1;
        else if (k.o.path.kind === "id" || (k.o.path.kind === "lookup" || k.o.path.kind === "owner")) c = compareIds(String(x), String(y));
        else c = x < y ? -1 : x > y ? 1 : 0;
        if (c !== 0) return k.o.desc ? -c : c;
      }
      return compareIds(a.id, b.id);
    });
  }
  const page = matched.slice(q.offset, q.offset + q.limit);
  const more = matched.length > q.offset + q.limit;
  const rows = page.map((r) => {
    const out: Record<string, unknown> = {};
    for (const c of q.columns) {
      let v = c.get(r);
      if (v === undefined) v = null;
      if ((c.kind === "lookup" || c.kind === "owner") && !c.name.includes(".")) {
        const id = lookupId(v);
        v = id ? { id } : null;
      }
      out[c.name] = v;
    }
    out.id = r.id;
    return out;
  });
  return { rows, more };
}
