/**
 * Bulk Read (export): jobs that write a module's records, filtered, into a CSV inside a ZIP.
 *
 *   POST /crm/bulk/v8/read                   create a job. Content-Type: application/json (else 415 MEDIA_TYPE_NOT_SUPPORTED).
 *        {"callback"?:{"url","method":"post"},
 *         "query":{"module":{"api_name"},"fields"?:[…],"criteria"?:{…},"cvid"?:"digits","page"?:1 | "page_token"?:"…"},
 *         "file_type"?:"csv"}
 *        -> 201 {"data":[{"status":"success","code":"ADDED_SUCCESSFULLY","message":"Added successfully.",
 *                 "details":{"id","operation":"read","state":"ADDED","created_by":{"id","name"},"created_time"}}],"info":{}}
 *   GET  /crm/bulk/v8/read/{job_id}          {"data":[{id, operation:"read", state, query, created_by, created_time, file_type, result?}]}
 *        state ADDED -> QUEUED -> IN PROGRESS -> COMPLETED (or FAILURE), one step per sim.bulk.stepMs (bulk-jobs.ts);
 *        result once COMPLETED: {page, per_page, count, download_url:"/crm/bulk/v8/read/{job_id}/result", more_records,
 *        next_page_token (only when more_records)}; a failed job has "error":{code, message} (invented, see bulk-jobs.ts).
 *   GET  /crm/bulk/v8/read/{job_id}/result   the ZIP: {job_id}.csv, streamed (zip-csv.ts). Header row: "id", then the
 *        fields asked for in their order (all the module's fields, in metadata order, when "fields" is omitted or []).
 *        Value formats: bulk-criteria.ts (csvValue). At most 10 downloads per rolling sim.bulk.downloadWindowMs (60 s)
 *        per org: the 11th gets 429 TOO_MANY_REQUESTS (only downloads served count).
 * Scopes: ZohoCRM.bulk.READ or ZohoCRM.bulk.ALL, and READ on the job's module (401 OAUTH_SCOPE_MISMATCH), for all three.
 * Unknown job id -> 404 RESOURCE_NOT_FOUND (the doc's error for a bad job id).
 *
 * Request errors (400): body not an object / no "query" / no module -> INVALID_DATA / MANDATORY_NOT_FOUND with
 * {api_name, json_path}; unknown or not API-supported module -> INVALID_MODULE {api_name:"module", json_path}; a module
 * Zoho does not export (Notes, Attachments, Emails) -> NOT_SUPPORTED; bad field path, criteria, cvid, page, file_type
 * -> INVALID_DATA {api_name, json_path}; page and page_token together -> AMBIGUITY_DURING_PROCESSING.
 *
 * Choices where the doc is silent or unsure:
 *   - The record set is taken when the job reaches COMPLETED (a snapshot of the records as the API sees them then:
 *     later changes do not show in its file); relation columns (Owner.last_name, Account_Name.Phone) are read when the
 *     file is written. Records are taken in ascending id order.
 *   - Paging: a job holds at most sim.bulk.pageSize records. The doc says "page" reaches the first 200,000 records and
 *     that more need "page_token", so page > 1 is refused (400 INVALID_DATA): ask the next page with
 *     {"query":{"page_token":"<result.next_page_token>"}} (the query of the token's job is reused; module, fields,
 *     criteria and cvid given with a token are ignored, except a module other than the token's: 400 INVALID_DATA).
 *     The next page starts after the last id of the previous one (keyset), so records added meanwhile with higher
 *     ids are included. A token is valid 24 h (real time); a job made from a token answers result.page = its page number.
 *   - cvid: any digit string is accepted and ignored (the simulator has no custom views). file_type: "csv" only.
 *   - callback: validated ({url: http(s) URL, method: "post"}), never called; poll the job instead.
 *   - The download before the job is COMPLETED, or of a failed job -> 404 RESOURCE_NOT_FOUND {id, state}.
 *   - Credits: 1 per call, like every CRM call of the simulator.
 */
import { Readable } from "stream";
import { ModuleStore } from "./store";
import { ApiError, Rec, compareIds, isPlainObject, randomHex } from "./util";
import { requireModuleScope } from "./accounts";
import { resolveModule } from "./data";
import { stamp } from "./clock";
import { visibleStore } from "./ui";
import { BulkColumn, bulkColumn, compileCriteria, csvValue } from "./bulk-criteria";
import { BulkJob, PageTokenRec } from "./bulk-jobs";
import { zipCsvStream } from "./zip-csv";
import { AccessRec, Ctx, Result, SimState, jsonBody } from "./state";

const STATES = ["ADDED", "QUEUED", "IN PROGRESS", "COMPLETED"] as const;
const DOWNLOADS_PER_WINDOW = 10;
const TOKEN_TTL_MS = 24 * 3600 * 1000;
/** modules the Bulk APIs do not take (the doc: Notes, Attachments, Emails; Bulk Write also Events, Calls) */
export const NOT_BULK = ["notes", "attachments", "emails"];

export function createdBy(sim: SimState): { id: string; name: string } {
  return { id: sim.user.id, name: sim.user.full_name };
}

/** A bulk module from a request body's {"api_name"} at `at` (a JSON path): MANDATORY_NOT_FOUND / INVALID_MODULE / NOT_SUPPORTED. */
export function bulkModule(sim: SimState, module: unknown, at: string, unsupported: string[]): ModuleStore {
  if (module === undefined) throw new ApiError(400, "MANDATORY_NOT_FOUND", { api_name: "module", json_path: at }, "required field not found");
  const name = isPlainObject(module) ? module.api_name : undefined;
  if (typeof name !== "string") throw new ApiError(400, "INVALID_DATA", { api_name: "module", json_path: `${at}.api_name` }, "invalid data");
  let store: ModuleStore;
  try {
    store = resolveModule(sim, name);
  } catch {
    throw new ApiError(400, "INVALID_MODULE", { api_name: "module", json_path: `${at}.api_name` }, "the module name given seems to be invalid");
  }
  if (unsupported.includes(store.apiName.toLowerCase())) throw new ApiError(400, "NOT_SUPPORTED", { api_name: "module", json_path: `${at}.api_name` }, `the bulk API does not support ${store.apiName}`);
  return store;
}

/** A "callback" member of a bulk request: checked, then kept (the simulator never calls it). */
export function checkCallback(cb: unknown): void {
  if (cb === undefined) return;
  const url = isPlainObject(cb) && typeof cb.url === "string" ? cb.url : "";
  if (!/^https?:\/\/[^\s/]+/i.test(url)) throw new ApiError(400, "INVALID_DATA", { api_name: "url", json_path: "$.callback.url" }, "invalid data");
  if (!isPlainObject(cb) || (cb.method !== undefined && String(cb.method).toLowerCase() !== "post")) {
    throw new ApiError(400, "INVALID_DATA", { api_name: "method", json_path: "$.callback.method", supported_values: ["post"] }, "invalid data");
  }
}

/** The job `id` of `operation`, or 404 RESOURCE_NOT_FOUND. */
export function findJob(sim: SimState, id: string, operation: BulkJob["operation"]): BulkJob {
  const job = sim.bulk.jobs.get(id);
  if (!job || job.operation !== operation) throw new ApiError(404, "RESOURCE_NOT_FOUND", { id }, "The requested resource doesn't exist.");
  return job;
}

/** A 200 answer streaming a ZIP named `zipName` that holds `csvName` with `rows` (header first). */
export function zipAnswer(zipName: string, csvName: string, rows: () => Iterator<string[]>): Result {
  return {
    status: 200,
    headers: { "Content-Type": "application/zip", "Content-Disposition": `attachment; filename="${zipName}"` },
    stream: (): Readable => zipCsvStream(csvName, rows()),
  };
}

interface ReadDetail {
  query: Record<string, unknown>;
  columns: BulkColumn[];
  page: number;
  perPage: number;
  result?: Record<string, unknown>;
}

function invalid(apiName: string, at: string, message = "invalid data", extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(400, "INVALID_DATA", { api_name: apiName, json_path: at, ...extra }, message);
}

function parseFields(sim: SimState, store: ModuleStore, fields: unknown): BulkColumn[] {
  const all = fields === undefined || (Array.isArray(fields) && fields.length === 0);
  if (!all && !Array.isArray(fields)) throw invalid("fields", "$.query.fields", "invalid data", { expected_data_type: "jsonarray" });
  const names = all ? store.fields.map((f) => f.api_name) : (fields as unknown[]);
  const cols: BulkColumn[] = [{ name: "id", kind: "id", get: (r) => r.id }];
  names.forEach((n, i) => {
    const col = typeof n === "string" ? bulkColumn(sim, store, n) : undefined;
    if (!col) throw invalid(typeof n === "string" ? n : "fields", `$.query.fields[${i}]`, "the field name given seems to be invalid");
    if (!cols.some((c) => c.name === col.name)) cols.push(col);
  });
  return cols;
}

export function createRead(sim: SimState, ctx: Ctx, at: AccessRec): Result {
  const body = jsonBody(ctx, true);
  if (!isPlainObject(body)) throw invalid("body", "$", "invalid data", { expected_data_type: "jsonobject" });
  checkCallback(body.callback);
  if (body.file_type !== undefined && body.file_type !== "csv") throw invalid("file_type", "$.file_type", "invalid data", { supported_values: ["csv"] });
  if (body.query === undefined) throw new ApiError(400, "MANDATORY_NOT_FOUND", { api_name: "query", json_path: "$.query" }, "required field not found");
  if (!isPlainObject(body.query)) throw invalid("query", "$.query", "invalid data", { expected_data_type: "jsonobject" });
  let q = body.query;
  let page = 1;
  let after: string | undefined;
  if (q.page_token !== undefined) {
    if (q.page !== undefined) throw new ApiError(400, "AMBIGUITY_DURING_PROCESSING", { ambiguity_due_to: ["page", "page_token"] }, "page and page_token cannot be given together");
    const t = typeof q.page_token === "string" ? sim.bulk.pageTokens.get(q.page_token) : undefined;
    if (!t) throw invalid("page_token", "$.query.page_token", "the page token given seems to be invalid");
    if (t.expiresAt < Date.now()) throw new ApiError(400, "EXPIRED_VALUE", { api_name: "page_token", json_path: "$.query.page_token" }, "the page token has expired");
    const named = isPlainObject(q.module) ? q.module.api_name : undefined;
    if (typeof named === "string" && named.toLowerCase() !== t.module.toLowerCase()) throw invalid("module", "$.query.module.api_name", "the module does not match the page token");
    q = t.query;
    page = t.page;
    after = t.lastId;
  } else if (q.page !== undefined) {
    if (!Number.isInteger(q.page) || (q.page as number) < 1) throw invalid("page", "$.query.page", "invalid data", { expected_data_type: "integer" });
    if (q.page !== 1) throw invalid("page", "$.query.page", "records beyond the first page can only be exported with page_token (result.next_page_token)");
  }
  const store = bulkModule(sim, q.module, "$.query.module", NOT_BULK);
  requireModuleScope(at, store, "READ");
  if (q.cvid !== undefined && !/^\d+$/.test(String(q.cvid))) throw invalid("cvid", "$.query.cvid", "the cvid given seems to be invalid");
  const columns = parseFields(sim, store, q.fields);
  const where = q.criteria === undefined ? () => true : compileCriteria(sim, store, q.criteria, "$.query.criteria");

  const base: Record<string, unknown> = { module: { api_name: store.apiName } };
  for (const k of ["fields", "criteria", "cvid"]) if (q[k] !== undefined) base[k] = q[k];
  const detail: ReadDetail = { query: base, columns, page, perPage: sim.bulk.pageSize };
  const id = String(sim.nextIdValue++);
  const job = sim.bulk.add({
    id,
    operation: "read",
    states: STATES,
    module: store.apiName,
    createdTime: stamp(sim),
    finish: () => takeSnapshot(sim, store, job, detail, where, after),
    detail,
  });
  return {
    status: 201,
    body: {
      data: [{ status: "success", code: "ADDED_SUCCESSFULLY", message: "Added successfully.", details: { id, operation: "read", state: job.state, created_by: createdBy(sim), created_time: job.createdTime } }],
      info: {},
    },
  };
}

/** The job's page of records, from the records as the API sees them now; and its result (and next page token). */
function takeSnapshot(sim: SimState, store: ModuleStore, job: BulkJob, d: ReadDetail, where: (r: Rec) => boolean, after: string | undefined): void {
  const all = visibleStore(sim, store).idOrder();
  let i = 0;
  if (after !== undefined) {
    let hi = all.length;
    while (i < hi) {
      const mid = (i + hi) >> 1;
      if (compareIds(all[mid].id, after) > 0) hi = mid;
      else i = mid + 1;
    }
  }
  const out: Rec[] = [];
  let more = false;
  for (; i < all.length; i++) {
    if (!where(all[i])) continue;
    if (out.length === d.perPage) {
      more = true;
      break;
    }
    out.push(all[i]);
  }
  job.snapshot = out;
  d.result = { page: d.page, per_page: d.perPage, count: out.length, download_url: `/crm/bulk/v8/read/${job.id}/result`, more_records: more };
  if (more) {
    const token = randomHex(48);
    const rec: PageTokenRec = { query: d.query, module: store.apiName, lastId: out[out.length - 1].id, page: d.page + 1, expiresAt: Date.now() + TOKEN_TTL_MS };
    sim.bulk.pageTokens.set(token, rec);
    d.result.next_page_token = token;
  }
}

function jobStore(sim: SimState, job: BulkJob, at: AccessRec): ModuleStore {
  const store = resolveModule(sim, job.module);
  requireModuleScope(at, store, "READ");
  return store;
}

export function readStatus(sim: SimState, id: string, at: AccessRec): Result {
  const job = findJob(sim, id, "read");
  const store = jobStore(sim, job, at);
  const d = job.detail as ReadDetail;
  const item: Record<string, unknown> = {
    id: job.id,
    operation: "read",
    state: job.state,
    query: { ...d.query, module: { id: store.id, api_name: store.apiName }, page: d.page },
    created_by: createdBy(sim),
    created_time: job.createdTime,
    file_type: "csv",
  };
  if (job.state === "COMPLETED") item.result = d.result;
  if (job.failure) item.error = job.failure;
  return { status: 200, body: { data: [item] } };
}

export function readResult(sim: SimState, id: string, at: AccessRec): Result {
  const job = findJob(sim, id, "read");
  jobStore(sim, job, at);
  if (job.state !== "COMPLETED" || !job.snapshot) throw new ApiError(404, "RESOURCE_NOT_FOUND", { id, state: job.state }, "The requested resource doesn't exist.");
  const now = Date.now();
  sim.bulk.downloads = sim.bulk.downloads.filter((t) => t > now - sim.bulk.downloadWindowMs);
  if (sim.bulk.downloads.length >= DOWNLOADS_PER_WINDOW) {
    throw new ApiError(429, "TOO_MANY_REQUESTS", { limit: DOWNLOADS_PER_WINDOW }, "too many requests: at most 10 downloads per minute");
  }
  sim.bulk.downloads.push(now);
  const { columns } = job.detail as ReadDetail;
  const snapshot = job.snapshot;
  return zipAnswer(`${id}.zip`, `${id}.csv`, function* () {
    yield columns.map((c) => c.name);
    for (const r of snapshot) yield columns.map((c) => csvValue(c.kind, c.get(r)));
  });
}
