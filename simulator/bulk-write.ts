/**
 * Bulk Write (import): upload a zipped CSV, then a job writes its rows into a module.
 *
 *   POST /crm/v8/upload   the file upload. Real Zoho takes it on the file host, https://content.zohoapis.{dc}/crm/v8/upload
 *        (§1); the simulator serves it on its own server at the same path. A client derives the file host from the API
 *        domain (www.zohoapis.com -> content.zohoapis.com); with an accounts-URL override (the simulator) it keeps the
 *        API domain it was given, i.e. the simulator's URL.
 *        Headers: "feature: bulk-write" and "X-CRM-ORG: <zgid>" (the org's zgid, GET /crm/v8/org -> org[0].zgid, the
 *        simulator's "60012345678"); scope ZohoFiles.files.ALL. Body multipart/form-data, field "file": a ZIP holding
 *        one CSV (header row first; comma, semicolon, colon or pipe separated), at most 25 MB.
 *        -> 200 {"status":"success","code":"FILE_UPLOAD_SUCCESS","message":"file uploaded.","details":{"file_id","created_time"}}
 *        Errors: no feature / X-CRM-ORG header -> 400 MANDATORY_NOT_FOUND {header_name}; another value -> 400 INVALID_DATA
 *        {header_name}; not multipart -> 415 MEDIA_TYPE_NOT_SUPPORTED; no "file" part -> 400 MANDATORY_NOT_FOUND
 *        {param_name:"file"}; over 25 MB -> 413 FILE_TOO_LARGE; not a ZIP, no CSV or more than one, no header row ->
 *        400 INVALID_FILE_FORMAT.
 *   POST /crm/bulk/v8/write   create a job. Content-Type: application/json (else 415 MEDIA_TYPE_NOT_SUPPORTED).
 *        {"operation":"insert"|"update"|"upsert","ignore_empty"?:bool,"callback"?:{url,method:"post"},"character_encoding"?,
 *         "resource":[{"type":"data","module":{"api_name"},"file_id","find_by"?,
 *                      "field_mappings"?:[{"api_name","index"?,"find_by"?,"default_value"?:{"value"}}]}]}
 *        -> 201 {"status":"success","code":"SUCCESS","message":"success","details":{"id","created_by":{"id","name"}}}
 *        (the doc's sample body; the doc names no HTTP status: 201 as for Bulk Read).
 *        Scopes: ZohoCRM.bulk.CREATE or ZohoCRM.bulk.ALL, and the module's CREATE (insert), UPDATE (update) or both (upsert).
 *   GET  /crm/bulk/v8/write/{job_id}   the job, as the doc's samples (no "data" wrapper):
 *        {status, character_encoding, resource:[{status, type, code, module{api_name,id}, field_mappings[{api_name, index,
 *         format, find_by, default_value}], file{status, name, added_count, skipped_count, updated_count, total_count}}],
 *         id, result?{download_url}, created_by, operation, created_time}
 *        status ADDED -> IN PROGRESS -> COMPLETED (or FAILURE, with "error":{code,message}; resource and file status
 *        FAILED), one step per sim.bulk.stepMs. The doc's JSON samples also show "INPROGRESS": a client should only
 *        look for COMPLETED / FAILURE. Counts appear from IN PROGRESS (0 until COMPLETED). Scope ZohoCRM.bulk.CREATE|ALL.
 *   GET  <download_url>   = {api domain}/v8/crm/{org domain_name}/bulk-write/{job_id}/{job_id}.zip: an absolute URL, as
 *        Zoho's SDK sample shows one (on its download host); use it as given. Scope ZohoCRM.bulk.CREATE|ALL.
 *        The ZIP holds "{Module}-{uploaded CSV name}" (the doc's modulename-filename), whose columns are, as the doc says,
 *        the first three mapped columns of the uploaded file (in file order, their header names), then RECORD_ID,
 *        STATUS, ERRORS (the doc's column names; its prose says "ID, Status, and Errors"):
 *          RECORD_ID  the id of the record added or updated ("" when skipped)
 *          STATUS     ADDED, UPDATED or SKIPPED
 *          ERRORS     "<CODE>-<column header>[,<column header>…][:<CODE>-…]", e.g. "MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-Lead_Score",
 *                     with Zoho's codes MANDATORY_NOT_FOUND, INVALID_DATA, DUPLICATE_DATA, RESOURCE_NOT_FOUND; a field
 *                     with no column is named by its API name.
 *
 * Mapping: with field_mappings, each names a field (or "id") and a column index (digits as a string accepted) and/or a
 * default_value used when the cell is empty; a lookup field needs find_by: "id" or a field of the looked-up module (the
 * cell is matched against it, ignoring case). Without field_mappings, header names that are field API names (or "id",
 * or "<Lookup>.<field>" / "<Lookup>.id") are mapped; other columns are ignored.
 * find_by (the resource's): "id" or a unique / duplicate-check field (Leads and Contacts: Email), and it must be mapped;
 * mandatory for update and upsert. update: a row whose key is empty -> MANDATORY_NOT_FOUND, matches no record ->
 * RESOURCE_NOT_FOUND; upsert: no match -> insert; insert with find_by: a row matching a record -> DUPLICATE_DATA.
 *
 * CSV values accepted (cells are text): numbers as digits ("." decimals; checked like the API write); booleans true /
 * false (any case); dates MM/dd/yyyy (Zoho's default) or yyyy-MM-dd; datetimes MM/dd/yyyy HH:mm:ss (Zoho's default,
 * read in the org's offset) or ISO 8601 with an offset (yyyy-MM-ddTHH:mm:ss+05:30 or Z); multi-select options
 * separated by ";"; lookups by find_by; Owner as the user id; text as is. field_mappings "format" is not supported
 * (ignored). An empty cell sets the field to empty, or is left out with ignore_empty: true.
 * Rows go through the API write's checks (writes.ts checkRecord: mandatory, types, lengths, emails, lookups, unique),
 * all their errors listed; a row with any error is SKIPPED, the others written. Rows are written when the job reaches
 * COMPLETED, stamped with sim.clock, in file order (a later row sees the earlier ones, e.g. for duplicates).
 *
 * Choices where the doc is silent or unsure:
 *   - At most 25,000 data rows per file: more -> 400 LIMIT_EXCEEDED when the job is created (the upload takes it).
 *   - One resource per job (no parent-child imports, subforms or layouts): more -> 400 NOT_SUPPORTED. Modules Zoho
 *     does not import (Notes, Attachments, Emails, Events, Calls) -> 400 NOT_SUPPORTED.
 *   - Bulk writes send no notification callbacks (notifications.ts), as far as known Zoho sends none for imports.
 *   - callback is validated and never called; character_encoding is accepted and ignored (files are read as UTF-8).
 *   - The download before COMPLETED, or of a failed job -> 404 RESOURCE_NOT_FOUND {id, state}; it has no per-minute limit.
 *   - A failed job (sim.bulk.failNext) writes nothing. Uploaded files stay until sim.reset() and can be used again.
 *   - Credits: 1 per call (the doc's 500 for a bulk write job is unsure).
 */
import { ModuleStore, FieldMeta, normKey } from "./store";
import { ApiError, Rec, isPlainObject, offsetSuffix } from "./util";
import { requireModuleScope, apiDomain } from "./accounts";
import { applyUpdate, buildRecord } from "./data";
import { checkRecord } from "./writes";
import { stamp } from "./clock";
import { multipartParts } from "./multipart";
import { readZipCsv } from "./zip-csv";
import { FAILURE, UploadedFile } from "./bulk-jobs";
import { NOT_BULK, bulkModule, checkCallback, createdBy, findJob, zipAnswer } from "./bulk-read";
import { AccessRec, Ctx, Result, SimState, header, jsonBody } from "./state";

const STATES = ["ADDED", "IN PROGRESS", "COMPLETED"] as const;
const MAX_FILE_BYTES = 25 * 1024 * 1024;
const MAX_ROWS = 25000;
const NOT_WRITABLE = [...NOT_BULK, "events", "calls"];
const OPERATIONS = ["insert", "update", "upsert"] as const;
type Operation = (typeof OPERATIONS)[number];

interface Mapping {
  api_name: string;
  /** undefined for "id" */
  field?: FieldMeta;
  index?: number;
  /** the column header errors name (the api_name when the mapping has no column) */
  header: string;
  find_by?: string;
  default_value?: string;
}

interface WriteDetail {
  op: Operation;
  ignoreEmpty: boolean;
  findBy?: string;
  mappings: Mapping[];
  file: UploadedFile;
  /** per row: RECORD_ID, STATUS, ERRORS (when COMPLETED) */
  results: Array<[string, string, string]>;
  counts: { added: number; updated: number; skipped: number };
}

const missing = (details: Record<string, unknown>, message = "required field not found") => new ApiError(400, "MANDATORY_NOT_FOUND", details, message);
const invalid = (details: Record<string, unknown>, message = "invalid data") => new ApiError(400, "INVALID_DATA", details, message);

// ---- POST /crm/v8/upload ---------------------------------------------------------------
export function upload(sim: SimState, ctx: Ctx): Result {
  const feature = header(ctx.headers, "feature");
  if (feature === undefined) throw missing({ header_name: "feature" }, "required header not found");
  if (feature.trim().toLowerCase() !== "bulk-write") throw invalid({ header_name: "feature", supported_values: ["bulk-write"] }, "invalid value for the feature header");
  const org = header(ctx.headers, "x-crm-org");
  if (org === undefined) throw missing({ header_name: "X-CRM-ORG" }, "required header not found");
  if (org.trim() !== sim.org.zgid) throw invalid({ header_name: "X-CRM-ORG" }, "the org id given seems to be invalid");
  const ct = header(ctx.headers, "content-type") ?? "";
  if (!/^multipart\/form-data/i.test(ct)) throw new ApiError(415, "MEDIA_TYPE_NOT_SUPPORTED", {}, "Media type is not supported");
  const part = multipartParts(ctx.raw, ct).find((p) => p.name === "file" && p.filename !== undefined);
  if (!part) throw missing({ param_name: "file" }, "required param not found");
  if (part.data.length > MAX_FILE_BYTES) throw new ApiError(413, "FILE_TOO_LARGE", { maximum_size: "25MB" }, "The file size is too large to process.");
  let csv: { name: string; rows: string[][] };
  try {
    csv = readZipCsv(part.data);
  } catch (e) {
    const reason = String((e as Error).message);
    throw new ApiError(400, "INVALID_FILE_FORMAT", { reason }, reason === "not a zip file" ? "The file you uploaded is not in the zip format." : `The file could not be read: ${reason}`);
  }
  const head = (csv.rows[0] ?? []).map((h) => h.trim());
  if (!head.some((h) => h !== "")) throw new ApiError(400, "INVALID_FILE_FORMAT", { reason: "no header row" }, "The file could not be read: the CSV file has no header row");
  const file: UploadedFile = { id: String(sim.nextIdValue++), name: csv.name, header: head, rows: csv.rows.slice(1), createdTime: stamp(sim) };
  sim.bulk.files.set(file.id, file);
  return { status: 200, body: { status: "success", code: "FILE_UPLOAD_SUCCESS", message: "file uploaded.", details: { file_id: file.id, created_time: file.createdTime } } };
}

// ---- POST /crm/bulk/v8/write -----------------------------------------------------------
function lookupTarget(sim: SimState, f: FieldMeta): ModuleStore | undefined {
  return f.lookup_module ? sim.modules.get(f.lookup_module.toLowerCase()) : undefined;
}

function autoMappings(sim: SimState, store: ModuleStore, file: UploadedFile): Mapping[] {
  const out: Mapping[] = [];
  file.header.forEach((h, index) => {
    const [name, sub, more] = h.split(".");
    const field = store.fieldMap.get(name);
    if (name === "id" && sub === undefined) out.push({ api_name: "id", index, header: h });
    else if (field && sub === undefined && field.kind !== "lookup") out.push({ api_name: name, field, index, header: h });
    else if (field?.kind === "lookup" && more === undefined && (sub === "id" || lookupTarget(sim, field)?.fieldMap.has(sub ?? ""))) {
      out.push({ api_name: name, field, index, header: h, find_by: sub });
    }
  });
  return out;
}

function parseMappings(sim: SimState, store: ModuleStore, file: UploadedFile, fm: unknown, p: string): Mapping[] {
  if (!Array.isArray(fm) || fm.length === 0) throw invalid({ api_name: "field_mappings", json_path: `${p}.field_mappings`, expected_data_type: "jsonarray" });
  return fm.map((m, i) => {
    const at = `${p}.field_mappings[${i}]`;
    if (!isPlainObject(m)) throw invalid({ api_name: "field_mappings", json_path: at, expected_data_type: "jsonobject" });
    if (m.api_name === undefined) throw missing({ api_name: "api_name", json_path: `${at}.api_name` });
    const name = String(m.api_name);
    const field = store.fieldMap.get(name);
    if (name !== "id" && !field) throw invalid({ api_name: name, json_path: `${at}.api_name` }, "the field name given seems to be invalid");
    const out: Mapping = { api_name: name, field, header: name };
    if (m.index !== undefined) {
      const n = typeof m.index === "string" && /^\d+$/.test(m.index) ? Number(m.index) : m.index;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n >= file.header.length) {
        throw invalid({ api_name: "index", json_path: `${at}.index` }, "the index given does not exist in the file");
      }
      out.index = n;
      out.header = file.header[n] || name;
    }
    if (m.default_value !== undefined) {
      const v = isPlainObject(m.default_value) ? m.default_value.value : undefined;
      if (!["string", "number", "boolean"].includes(typeof v)) throw invalid({ api_name: "default_value", json_path: `${at}.default_value` });
      out.default_value = String(v);
    }
    if (out.index === undefined && out.default_value === undefined) throw missing({ api_name: "index", json_path: `${at}.index` });
    if (field?.kind === "lookup") {
      if (m.find_by === undefined) throw missing({ api_name: "find_by", json_path: `${at}.find_by` });
      if (m.find_by !== "id" && !lookupTarget(sim, field)?.fieldMap.has(String(m.find_by))) throw invalid({ api_name: "find_by", json_path: `${at}.find_by` });
      out.find_by = String(m.find_by);
    }
    return out;
  });
}

export function createWrite(sim: SimState, ctx: Ctx, at: AccessRec): Result {
  const body = jsonBody(ctx, true);
  if (!isPlainObject(body)) throw invalid({ api_name: "body", json_path: "$", expected_data_type: "jsonobject" });
  const op = body.operation;
  if (op === undefined) throw missing({ api_name: "operation", json_path: "$.operation" });
  if (typeof op !== "string" || !(OPERATIONS as readonly string[]).includes(op)) throw invalid({ api_name: "operation", json_path: "$.operation", supported_values: OPERATIONS });
  if (body.ignore_empty !== undefined && typeof body.ignore_empty !== "boolean") throw invalid({ api_name: "ignore_empty", json_path: "$.ignore_empty", expected_data_type: "boolean" });
  if (body.character_encoding !== undefined && typeof body.character_encoding !== "string") throw invalid({ api_name: "character_encoding", json_path: "$.character_encoding" });
  checkCallback(body.callback);
  const res = body.resource;
  if (res === undefined) throw missing({ api_name: "resource", json_path: "$.resource" });
  if (!Array.isArray(res) || res.length === 0) throw invalid({ api_name: "resource", json_path: "$.resource", expected_data_type: "jsonarray" });
  if (res.length > 1) throw new ApiError(400, "NOT_SUPPORTED", { api_name: "resource", json_path: "$.resource" }, "the simulator takes one resource per job (no parent-child imports)");
  const p = "$.resource[0]";
  const r = res[0];
  if (!isPlainObject(r)) throw invalid({ api_name: "resource", json_path: p, expected_data_type: "jsonobject" });
  if (r.type === undefined) throw missing({ api_name: "type", json_path: `${p}.type` });
  if (r.type !== "data") throw invalid({ api_name: "type", json_path: `${p}.type`, supported_values: ["data"] });
  const store = bulkModule(sim, r.module, `${p}.module`, NOT_WRITABLE);
  requireModuleScope(at, store, ...(op === "insert" ? (["CREATE"] as const) : op === "update" ? (["UPDATE"] as const) : (["CREATE", "UPDATE"] as const)));
  if (r.file_id === undefined) throw missing({ api_name: "file_id", json_path: `${p}.file_id` });
  const file = sim.bulk.files.get(String(r.file_id));
  if (!file) throw invalid({ api_name: "file_id", json_path: `${p}.file_id` }, "the file id given seems to be invalid");
  if (file.rows.length > MAX_ROWS) throw new ApiError(400, "LIMIT_EXCEEDED", { api_name: "file_id", json_path: `${p}.file_id`, limit: MAX_ROWS }, `the file has more than ${MAX_ROWS} records`);
  const mappings = r.field_mappings === undefined ? autoMappings(sim, store, file) : parseMappings(sim, store, file, r.field_mappings, p);
  const findBy = r.find_by;
  if (findBy === undefined && op !== "insert") throw missing({ api_name: "find_by", json_path: `${p}.find_by` });
  if (findBy !== undefined) {
    if (typeof findBy !== "string" || (findBy !== "id" && !store.isDupCheckAllowed(findBy))) {
      throw invalid({ api_name: "find_by", json_path: `${p}.find_by`, supported_values: ["id", ...new Set([...store.dupCheck, ...store.unique])] });
    }
    if (!mappings.some((m) => m.api_name === findBy)) throw invalid({ api_name: "find_by", json_path: `${p}.find_by` }, "the find_by field is not mapped to a column");
  }
  const detail: WriteDetail = { op: op as Operation, ignoreEmpty: body.ignore_empty === true, findBy, mappings, file, results: [], counts: { added: 0, updated: 0, skipped: 0 } };
  const id = String(sim.nextIdValue++);
  sim.bulk.add({ id, operation: "write", states: STATES, module: store.apiName, createdTime: stamp(sim), finish: () => writeRows(sim, store, detail), detail });
  return { status: 201, body: { status: "success", code: "SUCCESS", message: "success", details: { id, created_by: createdBy(sim) } } };
}

// ---- the rows, at COMPLETED -----------------------------------------------------------
function csvDate(cell: string): string | undefined {
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(cell);
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(cell);
  const ymd = us ? [us[3], us[1], us[2]] : iso ? [iso[1], iso[2], iso[3]] : undefined;
  if (!ymd) return undefined;
  const date = `${ymd[0]}-${ymd[1].padStart(2, "0")}-${ymd[2].padStart(2, "0")}`;
  const t = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(date) ? date : undefined;
}

function csvDateTime(sim: SimState, cell: string): string | undefined {
  const us = /^(\S+) ((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)$/.exec(cell);
  if (us) {
    const date = csvDate(us[1]);
    return date && `${date}T${us[2]}${offsetSuffix(sim.utcOffsetMinutes)}`;
  }
  const iso = /^(\S+)T((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)([+-]\d{2}:\d{2}|Z)$/.exec(cell);
  return iso && csvDate(iso[1]) === iso[1] ? cell : undefined;
}

/** A cell as the API write's value for its field; undefined when it cannot be read (INVALID_DATA). */
function fromCsv(sim: SimState, m: Mapping, cell: string, lookups: Map<string, Map<string, string>>): unknown {
  const f = m.field as FieldMeta;
  switch (f.kind) {
    case "boolean":
      return /^true$/i.test(cell) ? true : /^false$/i.test(cell) ? false : undefined;
    case "date":
      return csvDate(cell);
    case "datetime":
      return csvDateTime(sim, cell);
    case "multi":
      return cell.split(";").map((s) => s.trim()).filter(Boolean);
    case "owner":
      return { id: cell };
    case "lookup": {
      if (m.find_by === "id") return /^\d+$/.test(cell) ? { id: cell } : undefined;
      let index = lookups.get(m.api_name);
      if (!index) {
        index = new Map();
        for (const r of lookupTarget(sim, f)?.idOrder() ?? []) {
          const k = normKey(r[m.find_by as string]);
          if (k !== null && !index.has(k)) index.set(k, r.id);
        }
        lookups.set(m.api_name, index);
      }
      const id = index.get(normKey(cell) ?? "");
      return id ? { id } : undefined;
    }
    default:
      return cell;
  }
}

const CODE_ORDER = ["MANDATORY_NOT_FOUND", "INVALID_DATA", "DUPLICATE_DATA", "RESOURCE_NOT_FOUND"];

/** "CODE-h1,h2:CODE2-h3" (Zoho's ERRORS column): codes in CODE_ORDER, columns in file order (`columnOrder`) */
function errorsText(errors: Array<[string, string]>, columnOrder: Map<string, number>): string {
  const rank = (code: string) => (CODE_ORDER.includes(code) ? CODE_ORDER.indexOf(code) : CODE_ORDER.length);
  const col = (h: string) => columnOrder.get(h) ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...errors].sort((a, b) => rank(a[0]) - rank(b[0]) || col(a[1]) - col(b[1]));
  const byCode = new Map<string, string[]>();
  for (const [code, h] of sorted) {
    const list = byCode.get(code) ?? [];
    if (!list.includes(h)) list.push(h);
    byCode.set(code, list);
  }
  return [...byCode].map(([code, hs]) => `${code}-${hs.join(",")}`).join(":");
}

function writeRows(sim: SimState, store: ModuleStore, d: WriteDetail): void {
  const nowMs = sim.clock.now();
  const headerOf = new Map(d.mappings.map((m) => [m.api_name, m.header]));
  const columnOrder = new Map(d.mappings.map((m) => [m.header, m.index ?? d.file.header.length]));
  const lookups = new Map<string, Map<string, string>>();
  const key = d.findBy === undefined ? undefined : d.mappings.find((m) => m.api_name === d.findBy);
  d.results = [];
  d.counts = { added: 0, updated: 0, skipped: 0 };
  for (const row of d.file.rows) {
    const cellOf = (m: Mapping) => {
      const c = m.index === undefined ? "" : row[m.index] ?? "";
      return c.trim() === "" && m.default_value !== undefined ? m.default_value : c;
    };
    const errors: Array<[string, string]> = [];
    const raw: Record<string, unknown> = {};
    for (const m of d.mappings) {
      if (!m.field) continue;
      const cell = cellOf(m);
      if (cell.trim() === "") {
        if (!d.ignoreEmpty) raw[m.api_name] = null;
        continue;
      }
      const v = fromCsv(sim, m, cell, lookups);
      if (v === undefined) errors.push(["INVALID_DATA", m.header]);
      else raw[m.api_name] = v;
    }
    let existing: Rec | undefined;
    let keyFailed = false;
    if (key) {
      const k = cellOf(key).trim();
      const hit = k === "" ? undefined : store.byId.get(d.findBy === "id" ? k : store.findBy(key.api_name, k)[0] ?? "");
      const fail = d.op === "insert" ? (hit ? "DUPLICATE_DATA" : undefined) : d.op === "update" && !hit ? (k === "" ? "MANDATORY_NOT_FOUND" : "RESOURCE_NOT_FOUND") : undefined;
      if (fail) errors.push([fail, key.header]);
      keyFailed = fail !== undefined;
      if (d.op !== "insert") existing = hit;
    }
    let values: Record<string, unknown> | undefined;
    if (!keyFailed) {
      const checked = checkRecord(sim, store, raw, existing, "$", true);
      if ("errors" in checked) {
        for (const e of checked.errors) {
          const apiName = String((e.details as Record<string, unknown>).api_name);
          const h = headerOf.get(apiName) ?? apiName;
          if (!errors.some((x) => x[1] === h)) errors.push([String(e.code), h]);
        }
      } else values = checked.values;
    }
    if (errors.length || !values) {
      d.results.push(["", "SKIPPED", errorsText(errors, columnOrder)]);
      d.counts.skipped++;
    } else if (existing) {
      const next = applyUpdate(sim, store, existing, values, nowMs);
      d.results.push([next.id, "UPDATED", ""]);
      d.counts.updated++;
    } else {
      const rec = buildRecord(sim, store, values, nowMs, nowMs);
      store.insert(rec);
      d.results.push([rec.id, "ADDED", ""]);
      d.counts.added++;
    }
  }
}

// ---- GET /crm/bulk/v8/write/{job_id} and the result -------------------------------------
export function writeStatus(sim: SimState, id: string): Result {
  const job = findJob(sim, id, "write");
  const d = job.detail as WriteDetail;
  const part = job.state === FAILURE ? "FAILED" : job.state;
  const file: Record<string, unknown> = { status: part, name: d.file.name };
  if (job.state !== "ADDED" && job.state !== FAILURE) {
    Object.assign(file, { added_count: d.counts.added, skipped_count: d.counts.skipped, updated_count: d.counts.updated, total_count: d.file.rows.length });
  }
  const resource: Record<string, unknown> = {
    status: part,
    type: "data",
    code: job.state === "COMPLETED" ? "SUCCESS" : "ADDED",
    module: { api_name: job.module, id: sim.modules.get(job.module.toLowerCase())?.id ?? null },
    file_id: d.file.id,
    field_mappings: d.mappings.map((m) => ({ api_name: m.api_name, index: m.index ?? null, format: null, find_by: m.find_by ?? null, default_value: m.default_value === undefined ? null : { value: m.default_value } })),
    file,
  };
  if (d.findBy !== undefined) resource.find_by = d.findBy;
  const body: Record<string, unknown> = { status: job.state, character_encoding: "UTF-8", resource: [resource], id: job.id };
  if (job.state === "COMPLETED") body.result = { download_url: `${apiDomain(sim)}/v8/crm/${sim.org.domain_name}/bulk-write/${job.id}/${job.id}.zip` };
  Object.assign(body, { created_by: createdBy(sim), operation: d.op, created_time: job.createdTime });
  if (job.failure) body.error = job.failure;
  return { status: 200, body };
}

export function writeResult(sim: SimState, id: string): Result {
  const job = findJob(sim, id, "write");
  if (job.state !== "COMPLETED") throw new ApiError(404, "RESOURCE_NOT_FOUND", { id, state: job.state }, "The requested resource doesn't exist.");
  const d = job.detail as WriteDetail;
  const lead = [...new Set(d.mappings.filter((m) => m.index !== undefined).map((m) => m.index as number))].sort((a, b) => a - b).slice(0, 3);
  const csvName = `${job.module}-${d.file.name}`;
  return zipAnswer(`${id}.zip`, csvName, function* () {
    yield [...lead.map((i) => d.file.header[i]), "RECORD_ID", "STATUS", "ERRORS"];
    for (let r = 0; r < d.results.length; r++) yield [...lead.map((i) => d.file.rows[r][i] ?? ""), ...d.results[r]];
  });
}
