/**
 * The module stores and the records in them: modules added, records seeded or built (system fields, ids, owner and
 * user references, lookup names, derived fields). Used by the test-control API, the reads and the writes.
 */
import { DeletedEntry, ModuleStore, ModuleInput } from "./store";
import { generateRecord, GenContext } from "./generate";
import { ApiError, Rec, cloneJson, isNumericId, isPlainObject, prng } from "./util";
import { stamp } from "./clock";
import { SimState } from "./state";

// ---- test-control API ------------------------------------------------------------------
export function addModule(sim: SimState, def: ModuleInput): void {
  const key = def.api_name.toLowerCase();
  const existing = sim.modules.get(key);
  const id = existing?.id ?? String(sim.nextModuleId++);
  const store = new ModuleStore(def, id, BigInt(id) * 1000n);
  if (existing) for (const r of existing.idOrder()) store.insert(r);
  sim.modules.set(key, store);
}

export function seedRecords(sim: SimState, module: string, records: object[] | number): object[] {
  const store = mustModule(sim, module);
  const now = sim.clock.now();
  const out: Rec[] = [];
  if (typeof records === "number") {
    const n = Math.max(0, Math.floor(records));
    let h = 0;
    for (const ch of store.apiName) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    const rnd = prng(h + sim.seq * 7919 + 1);
    const stepMs = n > 0 ? Math.min(60000, Math.floor((90 * 86400000) / n)) : 0;
    const pools = new Map<string, Rec[]>();
    const ctx: GenContext = {
      seq: 0,
      now,
      utcOffset: sim.utcOffsetMinutes,
      lookupId: (m) => {
        let pool = pools.get(m);
        if (!pool) {
          pool = sim.modules.get(m.toLowerCase())?.idOrder() ?? [];
          pools.set(m, pool);
        }
        return pool.length ? pool[Math.floor(rnd() * pool.length)].id : undefined;
      },
    };
    for (let i = 0; i < n; i++) {
      ctx.seq = ++sim.seq;
      const values = generateRecord(store, rnd, ctx);
      const created = now - (n - i) * stepMs - 1000;
      const modified = created + Math.floor(rnd() * (now - created));
      const rec = buildRecord(sim, store, values, created, modified);
      store.insert(rec);
      out.push(rec);
    }
  } else {
    for (const input of records) {
      const values = cloneJson(input) as Record<string, unknown>;
      const ts = (k: string) => (typeof values[k] === "string" && !Number.isNaN(Date.parse(values[k] as string)) ? Date.parse(values[k] as string) : now);
      const id = isNumericId(values.id) && !store.byId.has(values.id) ? values.id : undefined;
      if (id !== undefined && id.length === 19 && BigInt(id) >= sim.nextIdValue) sim.nextIdValue = BigInt(id) + 1n;
      const rec = buildRecord(sim, store, values, ts("Created_Time"), ts("Modified_Time"), id);
      // keep caller-provided timestamps verbatim
      if (typeof values.Created_Time === "string") rec.Created_Time = values.Created_Time;
      if (typeof values.Modified_Time === "string") rec.Modified_Time = values.Modified_Time;
      store.insert(rec);
      out.push(rec);
    }
  }
  return out.map((r) => store.copy(r));
}

export function records(sim: SimState, module: string): object[] {
  const store = mustModule(sim, module);
  return store.idOrder().map((r) => store.copy(r));
}

/** Without a module, the records' attachments and photos go too (files.ts). */
export function clearRecords(sim: SimState, module?: string): void {
  if (module) return mustModule(sim, module).clear();
  for (const m of sim.modules.values()) m.clear();
  sim.attachmentRecords?.clear();
  sim.attachmentFiles.clear();
  sim.photos.clear();
}

// ---- records helpers -------------------------------------------------------------------
export function mustModule(sim: SimState, name: string): ModuleStore {
  const m = sim.modules.get(name.toLowerCase());
  if (!m) throw new Error(`unknown module ${name}`);
  return m;
}

/** The module a CRM request names (INVALID_MODULE when unknown or not API-supported). */
export function resolveModule(sim: SimState, name: string, forSettings = false): ModuleStore {
  const store = sim.modules.get(name.toLowerCase());
  if (!store || !store.apiSupported) {
    throw new ApiError(400, "INVALID_MODULE", forSettings ? { param_name: "module" } : { resource_path_index: 0 }, "the module name given seems to be invalid");
  }
  return store;
}

function newId(sim: SimState): string {
  return String(sim.nextIdValue++);
}

export function userRef(sim: SimState): Record<string, unknown> {
  return sim.userRefObj;
}

export function userShort(sim: SimState): Record<string, unknown> {
  return sim.userShortObj;
}

export function displayName(sim: SimState, module: string | undefined, id: string): string | null {
  const store = module ? sim.modules.get(module.toLowerCase()) : undefined;
  const rec = store?.byId.get(id);
  if (!store || !rec) return null;
  const v = rec[store.displayField];
  return v === undefined || v === null ? null : String(v);
}

/** Remove a record and file it under GET /{module}/deleted (recycle bin, or permanent), stamped now; undefined when unknown. */
export function deleteRecord(sim: SimState, store: ModuleStore, id: string, type: DeletedEntry["type"]): DeletedEntry | undefined {
  const rec = store.remove(id);
  if (!rec) return undefined;
  const by = userShort(sim) as { name: string; id: string };
  const c = rec.Created_By;
  const createdBy = isPlainObject(c) && typeof c.id === "string" ? { name: String(c.name ?? ""), id: c.id } : { name: by.name, id: by.id };
  const name = rec[store.displayField];
  const entry: DeletedEntry = { deleted_by: { name: by.name, id: by.id }, id, display_name: name == null ? null : String(name), type, created_by: createdBy, deleted_time: stamp(sim) };
  if (type === "permanent") Object.assign(entry, { deleted_by: null, display_name: null, created_by: null });
  store.deleted.push(entry);
  return entry;
}

export function fillDerived(store: ModuleStore, rec: Rec): void {
  if (store.fieldMap.has("Full_Name")) {
    const full = [rec.First_Name, rec.Last_Name].filter((x) => typeof x === "string" && x !== "").join(" ");
    rec.Full_Name = full || null;
  }
}

/** Build a stored record (system fields filled) from already-validated values. */
export function buildRecord(sim: SimState, store: ModuleStore, values: Record<string, unknown>, createdMs: number, modifiedMs: number, id?: string): Rec {
  const v = values;
  v.id = id ?? newId(sim);
  const fm = store.fieldMap;
  if (fm.has("Owner")) {
    const o = v.Owner;
    v.Owner = isPlainObject(o) && typeof o.id === "string" && o.id !== sim.user.id ? { name: o.name ?? null, id: o.id, email: o.email ?? null } : userRef(sim);
  }
  if (fm.has("Created_By")) v.Created_By = userRef(sim);
  if (fm.has("Modified_By")) v.Modified_By = userRef(sim);
  if (fm.has("Created_Time")) v.Created_Time = stamp(sim, createdMs);
  if (fm.has("Modified_Time")) v.Modified_Time = stamp(sim, modifiedMs);
  if (fm.has("Record_Status__s") && v.Record_Status__s == null) v.Record_Status__s = "Available";
  for (const f of store.fields) if (v[f.api_name] === undefined && f.kind === "boolean") v[f.api_name] = false;
  resolveLookups(sim, store, v);
  const rec = store.make(v);
  fillDerived(store, rec);
  return rec;
}

/** Lookup values given as an id or {id} become {name, id} (the name of the record pointed at); an any-module lookup's
 *  become {module, name, id} and set the record's $se_module (an unknown module or id keeps a null module / name). */
export function resolveLookups(sim: SimState, store: ModuleStore, v: Record<string, unknown>): void {
  for (const f of store.fields) {
    const x = v[f.api_name];
    if (f.kind !== "lookup" || x === undefined || x === null || (isPlainObject(x) && "name" in x)) continue;
    const lid = isPlainObject(x) ? x.id : x;
    if (typeof lid !== "string") v[f.api_name] = null;
    else if (f.lookup_module) v[f.api_name] = { name: displayName(sim, f.lookup_module, lid), id: lid };
    else {
      const module = moduleOfRef(x, v);
      v[f.api_name] = (module && anyModuleRef(sim, module, lid)) ?? { module: null, name: null, id: lid };
      if (module) v.$se_module = module;
    }
  }
}

/**
 * Any-module lookups: a lookup field without lookup_module (Notes' and Attachments' Parent_Id) points at a record of
 * any API module. The module comes with the value, {"module":{"api_name":"Leads"},"id":"…"} (v8), or from the
 * record's "$se_module" (or "se_module", the older form); the stored value is {module:{api_name,id}, name, id}.
 */
export function moduleOfRef(value: unknown, record: Record<string, unknown>): string | undefined {
  const m = isPlainObject(value) && isPlainObject(value.module) ? value.module.api_name : record.$se_module ?? record.se_module;
  return typeof m === "string" && m !== "" ? m : undefined;
}

/** The stored value of an any-module lookup to record `id` of `module`; undefined when either is unknown. */
export function anyModuleRef(sim: SimState, module: string, id: string): Record<string, unknown> | undefined {
  const store = sim.modules.get(module.toLowerCase());
  if (!store || !store.apiSupported || !store.byId.has(id)) return undefined;
  return { module: { api_name: store.apiName, id: store.id }, name: displayName(sim, store.apiName, id), id };
}

/** Store a copy of `prev` with `values` applied and Modified_Time / Modified_By bumped to `nowMs`; returns it. */
export function applyUpdate(sim: SimState, store: ModuleStore, prev: Rec, values: Record<string, unknown>, nowMs: number): Rec {
  const next: Rec = store.make(prev);
  for (const [k, v] of Object.entries(values)) next[k] = v;
  next.Modified_Time = stamp(sim, nowMs);
  if (store.fieldMap.has("Modified_By")) next.Modified_By = userRef(sim);
  fillDerived(store, next);
  store.replace(prev, next);
  return next;
}
