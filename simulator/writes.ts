/**
 * CRM writes: insert, update, upsert, delete; value conversion and per-record results.
 *
 *   POST   /crm/v8/{module}                 insert      PUT /crm/v8/{module}[/{id}]   update
 *   POST   /crm/v8/{module}/upsert          upsert      DELETE /crm/v8/{module}?ids=…  or /{module}/{id}  delete
 *
 * Times come from sim.clock. A delete puts the record in the recycle bin (GET /{module}/deleted, type "recycle").
 * Every record written is noted for the notification callbacks (notifications.ts), sent once the response is written.
 */
import { ModuleStore, FieldMeta, normKey } from "./store";
import { ApiError, Rec, errorBody, isPlainObject } from "./util";
import { anyModuleRef, applyUpdate, buildRecord, deleteRecord, displayName, moduleOfRef, userRef, userShort } from "./data";
import { noteChange } from "./notifications";
import { Ctx, Result, SimState, jsonBody } from "./state";

function parseWriteBody(ctx: Ctx): Record<string, unknown> {
  const body = jsonBody(ctx);
  if (!isPlainObject(body) || !Array.isArray(body.data)) {
    throw new ApiError(400, "INVALID_DATA", { api_name: "data", json_path: "$.data", expected_data_type: "jsonarray" }, "invalid data");
  }
  if (body.data.length === 0) throw new ApiError(400, "INVALID_DATA", { api_name: "data", json_path: "$.data" }, "the data array is empty");
  if (body.data.length > 100) throw new ApiError(400, "LIMIT_EXCEEDED", { api_name: "data", limit: 100 }, "the number of records exceeds the limit of 100");
  if (body.trigger !== undefined) {
    const allowed = ["workflow", "approval", "blueprint", "pathfinder", "orchestration"];
    if (!Array.isArray(body.trigger) || body.trigger.some((t) => typeof t !== "string" || !allowed.includes(t))) {
      throw new ApiError(400, "INVALID_DATA", { api_name: "trigger", json_path: "$.trigger", supported_values: allowed }, "invalid data");
    }
  }
  return body;
}

/** Validate and convert one field value of `record`; returns [value] or an error result. */
function convertValue(sim: SimState, f: FieldMeta, v: unknown, path: string, record: Record<string, unknown>): { value: unknown } | { error: Record<string, unknown> } {
  const err = (details: Record<string, unknown>, message = "invalid data") => ({ error: errorBody("INVALID_DATA", { api_name: f.api_name, json_path: path, ...details }, message) });
  if (v === null) return { value: null };
  switch (f.kind) {
    case "number": {
      const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
      const integer = f.data_type === "integer" || f.data_type === "bigint";
      if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return err({ expected_data_type: integer ? "integer" : "double" });
      return { value: n };
    }
    case "boolean":
      return typeof v === "boolean" ? { value: v } : err({ expected_data_type: "boolean" });
    case "date":
      return typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? { value: v } : err({ expected_data_type: "date" });
    case "datetime":
      return typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(v) && !Number.isNaN(Date.parse(v))
        ? { value: v }
        : err({ expected_data_type: "datetime" });
    case "multi": {
      const arr = Array.isArray(v) ? v : typeof v === "string" ? [v] : null;
      if (!arr || arr.some((x) => typeof x !== "string")) return err({ expected_data_type: "jsonarray" });
      return { value: arr.slice() };
    }
    case "lookup": {
      const id = isPlainObject(v) ? v.id : v;
      if (typeof id !== "string" || !/^\d+$/.test(id)) return err({ expected_data_type: "jsonobject" });
      if (!f.lookup_module) {
        // an any-module lookup (Notes' Parent_Id): the module is part of the value or the record's $se_module (data.ts)
        const module = moduleOfRef(v, record);
        if (!module) return { error: errorBody("MANDATORY_NOT_FOUND", { api_name: "$se_module", json_path: path.replace(/[^.]+$/, "$se_module") }, "required field not found") };
        const ref = anyModuleRef(sim, module, id);
        return ref ? { value: ref } : err({ id }, "the related id given seems to be invalid");
      }
      const target = f.lookup_module ? sim.modules.get(f.lookup_module.toLowerCase()) : undefined;
      if (!target || !target.byId.has(id)) return err({ id }, "the related id given seems to be invalid");
      return { value: { name: displayName(sim, f.lookup_module, id), id } };
    }
    case "owner": {
      const id = isPlainObject(v) ? v.id : v;
      if (id !== sim.user.id) return err({ expected_data_type: "jsonobject" }, "the owner id given seems to be invalid");
      return { value: userRef(sim) };
    }
    default: {
      if (typeof v === "object") return err({ expected_data_type: "string" });
      const s = String(v);
      if (f.length && s.length > f.length) return err({ maximum_length: f.length });
      if (f.data_type === "email" && s !== "" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return err({});
      return { value: s };
    }
  }
}

/**
 * The checks of one record to write, in Zoho's order: mandatory fields (all of them on insert, the ones given on
 * update), then each value's type (unknown, read-only and system fields are ignored), then unique fields. Returns the
 * converted values, or the errors: the first one only, or every one with `all` (bulk writes list them all).
 */
export function checkRecord(
  sim: SimState,
  store: ModuleStore,
  raw: Record<string, unknown>,
  existing: Rec | undefined,
  p: string,
  all = false,
): { values: Record<string, unknown> } | { errors: Array<Record<string, unknown>> } {
  const errors: Array<Record<string, unknown>> = [];
  const isInsert = !existing;
  for (const m of store.mandatory) {
    const has = Object.prototype.hasOwnProperty.call(raw, m);
    const v = raw[m];
    const empty = v === null || v === undefined || (typeof v === "string" && v.trim() === "");
    if ((isInsert && empty) || (!isInsert && has && empty)) {
      errors.push(errorBody("MANDATORY_NOT_FOUND", { api_name: m, json_path: `${p}.${m}` }, "required field not found"));
      if (!all) return { errors };
    }
  }
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const f = store.fieldMap.get(k);
    if (!f || f.read_only || k === "id") continue;
    if (["Created_Time", "Modified_Time", "Created_By", "Modified_By"].includes(k)) continue;
    if (v === undefined) continue;
    const c = convertValue(sim, f, v, `${p}.${k}`, raw);
    if ("error" in c) {
      errors.push(c.error);
      if (!all) return { errors };
    } else {
      values[k] = c.value;
      if (f.kind === "lookup" && !f.lookup_module && isPlainObject(c.value)) values.$se_module = (c.value.module as { api_name: string }).api_name;
    }
  }
  for (const u of store.unique) {
    if (!(u in values) || normKey(values[u]) === null) continue;
    const other = store.findBy(u, values[u]).find((id) => id !== existing?.id);
    if (other) {
      errors.push(errorBody("DUPLICATE_DATA", { api_name: u, json_path: `${p}.${u}`, duplicate_record: { id: other, module: { api_name: store.apiName } } }, "duplicate data"));
      if (!all) return { errors };
    }
  }
  return errors.length ? { errors } : { values };
}

/** A per-record success: {"code":"SUCCESS","details":{Modified_Time, Modified_By, Created_Time, id, Created_By[, $approval_state]},…}. */
export function success(sim: SimState, rec: Rec, message: string, approval: boolean): Record<string, unknown> {
  const details: Record<string, unknown> = {
    Modified_Time: rec.Modified_Time,
    Modified_By: userShort(sim),
    Created_Time: rec.Created_Time,
    id: rec.id,
    Created_By: userShort(sim),
  };
  if (approval) details.$approval_state = "approved";
  return { code: "SUCCESS", details, message, status: "success" };
}

export function write(sim: SimState, store: ModuleStore, op: "insert" | "update" | "upsert", ctx: Ctx, pathId?: string): Result {
  const body = parseWriteBody(ctx);
  const input = body.data as unknown[];
  let dupFields = store.dupCheck;
  if (op === "upsert" && body.duplicate_check_fields !== undefined) {
    const d = body.duplicate_check_fields;
    if (!Array.isArray(d) || d.some((x) => typeof x !== "string" || !store.isDupCheckAllowed(x))) {
      throw new ApiError(400, "INVALID_DATA", { api_name: "duplicate_check_fields", json_path: "$.duplicate_check_fields", supported_values: [...new Set([...store.dupCheck, ...store.unique])] }, "invalid data");
    }
    dupFields = d as string[];
  }
  const results: Array<Record<string, unknown>> = [];
  const nowMs = sim.clock.now();
  input.forEach((raw, i) => {
    const p = `$.data[${i}]`;
    if (!isPlainObject(raw)) {
      results.push(errorBody("INVALID_DATA", { expected_data_type: "jsonobject", json_path: p }, "invalid data"));
      return;
    }
    let existing: Rec | undefined;
    let duplicateField: string | null = null;
    if (op === "update") {
      const id = pathId !== undefined && i === 0 ? pathId : raw.id;
      if (id === undefined || id === null || id === "") {
        results.push(errorBody("MANDATORY_NOT_FOUND", { api_name: "id", json_path: `${p}.id` }, "required field not found"));
        return;
      }
      existing = typeof id === "string" ? store.byId.get(id) : undefined;
      if (!existing) {
        results.push(errorBody("INVALID_DATA", { id: String(id) }, "the id given seems to be invalid"));
        return;
      }
    } else if (op === "upsert") {
      const order = [...dupFields, ...store.unique.filter((u) => !dupFields.includes(u))];
      for (const f of order) {
        const meta = store.fieldMap.get(f);
        let v = raw[f];
        if (meta?.kind === "lookup" && typeof v === "string") v = { id: v };
        const hit = store.findBy(f, v)[0];
        if (hit) {
          existing = store.byId.get(hit);
          duplicateField = f;
          break;
        }
      }
    }
    const isInsert = !existing;
    const checked = checkRecord(sim, store, raw, existing, p);
    if ("errors" in checked) {
      results.push(checked.errors[0]);
      return;
    }
    const values = checked.values;
    if (isInsert) {
      const rec = buildRecord(sim, store, values, nowMs, nowMs);
      store.insert(rec);
      noteChange(sim, { module: store.apiName, operation: "insert", id: rec.id });
      const s = success(sim, rec, "record added", op === "insert");
      results.push(op === "upsert" ? { code: s.code, duplicate_field: null, action: "insert", details: s.details, message: s.message, status: s.status } : s);
    } else {
      const prev = existing!;
      const next = applyUpdate(sim, store, prev, values, nowMs);
      noteChange(sim, { module: store.apiName, operation: "update", id: next.id, prev, next });
      const s = success(sim, next, "record updated", false);
      results.push(op === "upsert" ? { code: s.code, duplicate_field: duplicateField, action: "update", details: s.details, message: s.message, status: s.status } : s);
    }
  });
  return { status: writeStatus(results, op === "insert" ? 201 : 200), body: { data: results } };
}

function writeStatus(results: Array<Record<string, unknown>>, allOk: number): number {
  const ok = results.filter((r) => r.status === "success").length;
  if (ok === results.length) return allOk;
  if (ok === 0) return 400;
  return 207;
}

export function deleteRecords(sim: SimState, store: ModuleStore, idsRaw: string | undefined, q: Record<string, string>): Result {
  if (idsRaw === undefined || idsRaw.trim() === "") throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "ids" }, "One of the expected parameter is missing");
  if (q.wf_trigger !== undefined && q.wf_trigger !== "true" && q.wf_trigger !== "false") {
    throw new ApiError(400, "INVALID_DATA", { param_name: "wf_trigger" }, "invalid value for wf_trigger");
  }
  const ids = idsRaw.split(",").map((s) => s.trim()).filter(Boolean);
  if (ids.length > 100) throw new ApiError(400, "LIMIT_EXCEEDED", { param_name: "ids", limit: 100 }, "the number of ids exceeds the limit of 100");
  const results = ids.map((id) => {
    if (!deleteRecord(sim, store, id, "recycle")) return errorBody("INVALID_DATA", { id }, "record not deleted");
    noteChange(sim, { module: store.apiName, operation: "delete", id });
    return { code: "SUCCESS", details: { id }, message: "record deleted", status: "success" };
  });
  return { status: writeStatus(results, 200), body: { data: results } };
}
