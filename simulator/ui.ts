/**
 * Changes "from the Zoho UI": made directly on the org, not through the API (so not in sim.requests, no credits), and
 * the late visibility of changes to the API.
 *
 *   sim.ui.create(module, values, { visibleAfterMs? }) -> record    Created_Time = Modified_Time = sim.clock now
 *   sim.ui.update(module, id, values, { visibleAfterMs? }) -> record Modified_Time (and Modified_By) bumped to now
 *   sim.ui.delete(module, id, { permanent? }) -> deleted entry       to the recycle bin, or permanently deleted
 *   sim.emptyRecycleBin(module) -> number                            recycle entries become permanent (same deleted_time)
 *
 * Values use field API names, as in an API write; lookups may be an id or {id}. Unknown fields, modules and ids throw
 * (these are test mistakes); system fields (id, Created_*, Modified_*) in `values` are ignored. Each change fires its
 * notification callbacks like an API change (one callback per change), at once.
 *
 * Late visibility: Zoho's API has been seen to show a change up to about a minute late. With visibleAfterMs, the change
 * is stamped now (Modified_Time = sim.clock now) and stored, but list, get one, search, count and COQL keep answering
 * the previous state (nothing, for a create) until sim.clock reaches the stamp + visibleAfterMs (with a frozen clock:
 * until it is advanced that far). Its callbacks are still sent at once: Zoho's callback can arrive before the API
 * shows the change, and a trigger has to cope. A later change of the same record (an API write, a ui change without
 * the option, a delete) makes its latest state visible at once; sim.records() always shows the stored (latest) state.
 * The API's writes work on the latest state (so an API update of a hidden record makes it visible).
 */
import { DeletedEntry, ModuleStore } from "./store";
import { Rec, cloneJson } from "./util";
import { applyUpdate, buildRecord, deleteRecord, mustModule, resolveLookups } from "./data";
import { Change, announce } from "./notifications";
import { SimState } from "./state";

export interface UiOptions {
  /** the API sees the change only this many ms (on sim.clock) after it is made */
  visibleAfterMs?: number;
}

/** A stored change the API does not see yet: it sees `prev` (null: nothing) until `visibleAt`, while `current` is stored. */
export interface Hidden {
  prev: Rec | null;
  current: Rec;
  visibleAt: number;
}

const SYSTEM = new Set(["id", "Created_Time", "Modified_Time", "Created_By", "Modified_By"]);

function checkValues(store: ModuleStore, values: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cloneJson(values) as Record<string, unknown>)) {
    if (SYSTEM.has(k) || v === undefined) continue;
    if (!store.fieldMap.has(k) && !k.startsWith("$")) throw new Error(`ui: ${store.apiName} has no field ${k}`);
    out[k] = v;
  }
  return out;
}

function hide(sim: SimState, store: ModuleStore, prev: Rec | null, current: Rec, opts: UiOptions | undefined): void {
  const ms = opts?.visibleAfterMs;
  if (ms === undefined || ms === 0) return;
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`ui: visibleAfterMs must be a number >= 0, got ${ms}`);
  const key = store.apiName.toLowerCase();
  let h = sim.hidden.get(key);
  if (!h) sim.hidden.set(key, (h = new Map()));
  const now = sim.clock.now();
  const before = h.get(current.id);
  // a change still hidden before this one: the API still sees what it saw then
  const seen = before && before.current === prev && now < before.visibleAt ? before.prev : prev;
  h.set(current.id, { prev: seen, current, visibleAt: now + ms });
}

export function uiCreate(sim: SimState, module: string, values: object, opts?: UiOptions): Rec {
  const store = mustModule(sim, module);
  const vals = checkValues(store, values);
  const now = sim.clock.now();
  const rec = buildRecord(sim, store, vals, now, now);
  store.insert(rec);
  hide(sim, store, null, rec, opts);
  announce(sim, [{ module: store.apiName, operation: "insert", id: rec.id }]);
  return store.copy(rec);
}

export function uiUpdate(sim: SimState, module: string, id: string, values: object, opts?: UiOptions): Rec {
  const store = mustModule(sim, module);
  const prev = store.byId.get(id);
  if (!prev) throw new Error(`ui: no ${store.apiName} record ${id}`);
  const vals = checkValues(store, values);
  resolveLookups(sim, store, vals);
  const next = applyUpdate(sim, store, prev, vals, sim.clock.now());
  hide(sim, store, prev, next, opts);
  const change: Change = { module: store.apiName, operation: "update", id, prev, next };
  announce(sim, [change]);
  return store.copy(next);
}

export function uiDelete(sim: SimState, module: string, id: string, opts: { permanent?: boolean } = {}): DeletedEntry {
  const store = mustModule(sim, module);
  const entry = deleteRecord(sim, store, id, opts.permanent ? "permanent" : "recycle");
  if (!entry) throw new Error(`ui: no ${store.apiName} record ${id}`);
  announce(sim, [{ module: store.apiName, operation: "delete", id }]);
  return cloneJson(entry);
}

export function emptyRecycleBin(sim: SimState, module: string): number {
  const store = mustModule(sim, module);
  let n = 0;
  for (const e of store.deleted) {
    if (e.type !== "recycle") continue;
    Object.assign(e, { deleted_by: null, display_name: null, type: "permanent", created_by: null });
    n++;
  }
  return n;
}

/** The module's records as the API sees them now: the store itself, unless some ui change is still hidden. */
export function visibleStore(sim: SimState, store: ModuleStore): ModuleStore {
  const key = store.apiName.toLowerCase();
  const h = sim.hidden.get(key);
  if (!h) return store;
  const now = sim.clock.now();
  for (const [id, x] of h) if (now >= x.visibleAt || store.byId.get(id) !== x.current) h.delete(id);
  if (!h.size) {
    sim.hidden.delete(key);
    sim.views.delete(key);
    return store;
  }
  const viewKey = `${store.version}|${[...h.keys()].join(",")}`;
  const cached = sim.views.get(key);
  if (cached && cached.key === viewKey) return cached.view;
  const view = new ModuleStore(store.def, store.id, BigInt(store.id) * 1000n);
  for (const r of store.idOrder()) {
    const x = h.get(r.id);
    if (!x) view.insert(r);
    else if (x.prev) view.insert(x.prev);
  }
  sim.views.set(key, { key: viewKey, view });
  return view;
}
