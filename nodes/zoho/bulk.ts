/**
 * Zoho's bulk APIs (zoho-crm-api.md §10), for data past the list API's reach and for large imports.
 * Knows nothing of Node-RED.
 *
 * Bulk Read: create a job (`POST /crm/bulk/v8/read`, JSON), poll it with a growing interval until
 * COMPLETED (or FAILURE), download the result ZIP and read it **as it downloads**: fflate unzips the
 * stream chunk by chunk and csv-parse parses the CSV as a stream, so memory stays bounded by a chunk
 * of rows whatever the export's size. Rows come out typed by the module's field metadata. A job
 * page holds at most 200,000 records; further pages are new jobs with the `next_page_token`.
 * Zoho allows 10 result downloads a minute: a 429 is waited out by the client's retry policy.
 *
 * Bulk Write: the records become a CSV (csv-stringify) in a ZIP (fflate), uploaded to the file host
 * (`content.zohoapis.<tld>`, headers `feature: bulk-write` and `X-CRM-ORG`), one job per 25,000
 * records, polled to the end; the job's result file gives each record's outcome.
 */
import { Readable, Transform, TransformCallback } from "stream";
import { Unzip, UnzipInflate, zipSync, strToU8 } from "fflate";
import { parse as parseCsv } from "csv-parse";
import { stringify as stringifyCsv } from "csv-stringify/sync";
import type { ZohoClient } from "./client";
import { ZohoError, invalidInput } from "./errors";
import { abortError, sleep } from "./concurrency";
import { FieldInfo, listFields } from "./metadata";
import { isFieldName, isModuleName, isRecordId } from "./names";
import { RecordsPage, ZohoRecord } from "./paging";
import { WriteResult, isRecordObject } from "./writes";

export type BulkState = "ADDED" | "QUEUED" | "IN PROGRESS" | "COMPLETED" | "FAILURE" | "DOWNLOADING";

export interface BulkPollOptions {
  /** First wait before asking for the job's state; doubles up to `maxPollMs`. */
  pollMs?: number;
  maxPollMs?: number;
  signal?: AbortSignal;
  /** Each state the job is seen in, with its id (for the node's status and log). */
  onState?: (state: BulkState, jobId: string, detail?: { count?: number; page?: number }) => void;
}

export interface BulkReadOptions extends BulkPollOptions {
  module: string;
  /** Field API names; empty = every field. */
  fields?: string[];
  /** `{Field: value}` (equal; an array = in), or Zoho's Bulk Read criteria JSON. */
  criteria?: unknown;
  cvid?: string;
  /** Stop after this many records (0 = all). */
  maxRecords?: number;
  /** Records per yielded page (default 1,000): what a page-mode message holds. */
  chunkSize?: number;
}

/** Zoho's most records per Bulk Read job page and per Bulk Write job. */
export const BULK_READ_PAGE = 200_000;
export const BULK_WRITE_MAX = 25_000;
const COMPARATORS = new Set(["equal", "not_equal", "in", "not_in", "less_than", "less_equal", "greater_than", "greater_equal", "contains", "not_contains", "starts_with", "ends_with", "between", "not_between"]);

// ---------------------------------------------------------------------------------------------
// Criteria
// ---------------------------------------------------------------------------------------------

/** Zoho's Bulk Read criteria from a simple `{Field: value}` object, or Zoho's own JSON checked. */
export function bulkCriteria(input: unknown): Record<string, unknown> | undefined {
  if (input === undefined || input === null || input === "") return undefined;
  if (!isRecordObject(input)) throw invalidInput("bulkCriteria");
  if ("group" in input || "field" in input) return checkCriteria(input, 0);
  const group = Object.keys(input).map((name) => {
    if (!isFieldName(name)) throw invalidInput("notFieldName", { name: name.slice(0, 60) });
    const value = input[name];
    const many = Array.isArray(value);
    return { field: { api_name: name }, comparator: many ? "in" : "equal", value: criteriaValue(value) };
  });
  if (group.length === 0) return undefined;
  return group.length === 1 ? group[0] : { group_operator: "and", group };
}

function checkCriteria(node: Record<string, unknown>, depth: number): Record<string, unknown> {
  if (depth > 5) throw invalidInput("bulkCriteria");
  if ("group" in node) {
    const op = String(node.group_operator ?? "and").toLowerCase();
    if ((op !== "and" && op !== "or") || !Array.isArray(node.group) || node.group.length === 0) throw invalidInput("bulkCriteria");
    return { group_operator: op, group: node.group.map((g) => (isRecordObject(g) ? checkCriteria(g, depth + 1) : invalidThrow())) };
  }
  const field = isRecordObject(node.field) ? node.field.api_name : undefined;
  if (!isFieldName(field)) throw invalidInput("bulkCriteria");
  if (typeof node.comparator !== "string" || !COMPARATORS.has(node.comparator)) throw invalidInput("bulkCriteria");
  return { field: { api_name: field }, comparator: node.comparator, value: criteriaValue(node.value) };
}

function invalidThrow(): never {
  throw invalidInput("bulkCriteria");
}

function criteriaValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(criteriaValue);
  if (value === null) return "${EMPTY}";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 19) + "+00:00";
  throw invalidInput("bulkCriteria");
}

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

/** A missing scope on a bulk call names the bulk scopes to add, not the general ones. */
function withBulkAdvice(err: unknown): unknown {
  if (!(err instanceof ZohoError) || err.code !== "OAUTH_SCOPE_MISMATCH") return err;
  return new ZohoError({ code: err.code, message: err.zohoMessage, httpStatus: err.httpStatus, details: err.details, advice: "bulkScopes", notProcessed: true });
}

interface JobAnswer {
  id: string;
  state: string;
  result?: { page?: number; count?: number; download_url?: string; more_records?: boolean; next_page_token?: string };
  detail?: unknown;
}

/**
 * A job from Zoho's answer. Bulk Read wraps it in `data[0]` (`details` when just created, with
 * `state`); Bulk Write answers the job itself (`details` when just created, with `status`).
 */
function jobOf(data: unknown): JobAnswer | undefined {
  const wrapped = isRecordObject(data) && Array.isArray(data.data) ? data.data[0] : data;
  if (!isRecordObject(wrapped)) return undefined;
  const job = isRecordObject(wrapped.details) && wrapped.details.id !== undefined ? wrapped.details : wrapped;
  const id = typeof job.id === "string" || typeof job.id === "number" ? String(job.id) : undefined;
  if (!id || !isRecordId(id)) return undefined;
  const state = String(job.state ?? (wrapped === job ? job.status : undefined) ?? "ADDED").toUpperCase();
  return { id, state: state === "INPROGRESS" ? "IN PROGRESS" : state, result: isRecordObject(job.result) ? (job.result as JobAnswer["result"]) : undefined, detail: job };
}

/** Poll a job until it ends; FAILURE is an error naming the job and Zoho's reason. */
async function waitForJob(client: ZohoClient, kind: "read" | "write", jobId: string, opts: BulkPollOptions): Promise<JobAnswer> {
  let wait = opts.pollMs ?? client.bulkPollMs;
  let last = "";
  for (;;) {
    const res = await client.request({ method: "GET", api: "bulk", path: `/${kind}/${jobId}`, signal: opts.signal });
    const job = jobOf(res.data);
    if (!job) throw new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "bulkJobAnswer", params: { id: jobId }, httpStatus: res.status });
    if (job.state !== last) {
      last = job.state;
      opts.onState?.(job.state as BulkState, jobId, { count: job.result?.count, page: job.result?.page });
    }
    if (job.state === "COMPLETED") return job;
    if (job.state === "FAILURE" || job.state === "FAILED") {
      throw new ZohoError({ code: "BULK_JOB_FAILED", key: "bulkJobFailed", params: { id: jobId, state: job.state }, details: job.detail, advice: "BULK_JOB_FAILED" });
    }
    await sleep(wait, opts.signal);
    wait = Math.min(wait * 2, opts.maxPollMs ?? 30_000);
  }
}

/**
 * The job's result as a byte stream. Bulk Read names a path below /crm/bulk/v8; Bulk Write an
 * absolute URL on Zoho's download host, which the client checks before the token goes with it.
 */
async function download(client: ZohoClient, job: JobAnswer, signal?: AbortSignal): Promise<Readable> {
  const url = job.result?.download_url ?? "";
  const path = /^\/crm\/bulk\/v8(\/(?:read|write)\/\d{1,25}\/result)$/.exec(url);
  if (!path && !/^https:\/\/|^http:\/\//.test(url)) throw new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "bulkJobAnswer", params: { id: job.id } });
  const res = path
    ? await client.request<Readable>({ method: "GET", api: "bulk", path: path[1], stream: true, signal })
    : await client.request<Readable>({ method: "GET", path: "/download", url, stream: true, signal });
  return res.data as Readable;
}

// ---------------------------------------------------------------------------------------------
// Streaming ZIP → CSV rows
// ---------------------------------------------------------------------------------------------

/** The first CSV file of a ZIP stream, as a byte stream (fflate unzips as the chunks arrive). */
export function unzipFirstCsv(source: Readable): Readable {
  let taken = false;
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      try {
        unzip.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        unzip.push(new Uint8Array(0), true);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  const unzip = new Unzip((file) => {
    if (taken || !/\.csv$/i.test(file.name)) return;
    taken = true;
    file.ondata = (err, data) => {
      if (err) out.destroy(err);
      else if (data.length) out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  source.on("error", (err) => out.destroy(err));
  return source.pipe(out);
}

/** CSV rows (objects keyed by the header) from a byte stream. */
export function csvRows(source: Readable): AsyncIterable<Record<string, string>> {
  const parser = parseCsv({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true });
  source.on("error", (err) => parser.destroy(err));
  return source.pipe(parser);
}

// ---------------------------------------------------------------------------------------------
// Typing CSV values by field metadata
// ---------------------------------------------------------------------------------------------

export type FieldTypes = Map<string, string>;

export function fieldTypes(fields: FieldInfo[]): FieldTypes {
  return new Map(fields.map((f) => [f.api_name, String(f.data_type ?? "text")]));
}

/** A CSV cell as the value the JSON API would give: numbers, booleans, lists, lookups as {id}. */
export function typedValue(raw: string, type: string | undefined): unknown {
  if (raw === "") return null;
  switch (type) {
    case "integer":
    case "double":
    case "currency":
    case "percent":
    case "decimal": {
      const n = Number(raw);
      return Number.isFinite(n) ? n : raw;
    }
    case "bigint":
    case "autonumber": {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : raw; // larger ones stay exact as text
    }
    case "boolean":
      return raw.toLowerCase() === "true" ? true : raw.toLowerCase() === "false" ? false : raw;
    case "multiselectpicklist":
      return raw.split(";").map((s) => s.trim()).filter((s) => s !== "");
    case "lookup":
    case "ownerlookup":
    case "userlookup":
      return { id: raw };
    default:
      return raw;
  }
}

function typedRecord(row: Record<string, string>, types: FieldTypes): ZohoRecord {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") continue;
    out[key] = key === "id" ? row[key] : typedValue(row[key], types.get(key));
  }
  return out as ZohoRecord;
}

// ---------------------------------------------------------------------------------------------
// Bulk Read
// ---------------------------------------------------------------------------------------------

/** Every record of a module (or of a criteria or custom view) through Bulk Read jobs, in chunks. */
export async function* bulkReadPages(client: ZohoClient, opts: BulkReadOptions): AsyncGenerator<RecordsPage, void, undefined> {
  try {
    yield* bulkRead(client, opts);
  } catch (err) {
    throw withBulkAdvice(err);
  }
}

async function* bulkRead(client: ZohoClient, opts: BulkReadOptions): AsyncGenerator<RecordsPage, void, undefined> {
  if (!isModuleName(opts.module)) throw new ZohoError({ code: "INVALID_MODULE", key: "notModuleName", params: { name: String(opts.module).slice(0, 60) } });
  const fields = opts.fields ?? [];
  for (const f of fields) if (!isFieldName(f)) throw invalidInput("notFieldName", { name: String(f).slice(0, 60) });
  const criteria = bulkCriteria(opts.criteria);
  const cvid = opts.cvid ? String(opts.cvid).trim() : "";
  if (cvid && !isRecordId(cvid)) throw invalidInput("cvid");
  const maxRecords = opts.maxRecords && opts.maxRecords > 0 ? opts.maxRecords : Infinity;
  const chunkSize = Math.max(1, opts.chunkSize ?? 1000);
  if (opts.signal?.aborted) throw abortError();
  const types = fieldTypes(await listFields(client, opts.module, { signal: opts.signal }));

  let delivered = 0;
  let pageNo = 0;
  let jobPage = 1;
  let pageToken: string | undefined;
  for (;;) {
    const query: Record<string, unknown> = { module: { api_name: opts.module } };
    if (fields.length) query.fields = fields.includes("id") ? fields : ["id", ...fields];
    if (criteria) query.criteria = criteria;
    if (cvid) query.cvid = cvid;
    if (pageToken) query.page_token = pageToken;
    else query.page = jobPage;
    const created = await client.request({ method: "POST", api: "bulk", path: "/read", body: { query, file_type: "csv" }, signal: opts.signal, idempotent: true });
    const job = jobOf(created.data);
    if (!job) throw new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "bulkJobAnswer", params: { id: "?" }, httpStatus: created.status });
    opts.onState?.((job.state || "ADDED") as BulkState, job.id);
    const done = await waitForJob(client, "read", job.id, opts);
    opts.onState?.("DOWNLOADING", job.id, { count: done.result?.count });
    const body = await download(client, done, opts.signal);
    let chunk: ZohoRecord[] = [];
    const info = { more_records: !!done.result?.more_records, count: done.result?.count, job_id: job.id, job_page: done.result?.page ?? jobPage };
    try {
      for await (const row of csvRows(unzipFirstCsv(body))) {
        if (opts.signal?.aborted) throw abortError();
        chunk.push(typedRecord(row, types));
        if (delivered + chunk.length >= maxRecords) break;
        if (chunk.length >= chunkSize) {
          delivered += chunk.length;
          yield { records: chunk, page: ++pageNo, info };
          chunk = [];
        }
      }
    } finally {
      body.destroy(); // a read stopped early (maxRecords, an error, the consumer) drops the rest of the download
    }
    if (chunk.length) {
      const keep = chunk.slice(0, maxRecords - delivered);
      delivered += keep.length;
      yield { records: keep, page: ++pageNo, info };
    }
    if (delivered >= maxRecords || !done.result?.more_records) return;
    pageToken = typeof done.result.next_page_token === "string" && done.result.next_page_token ? done.result.next_page_token : undefined;
    jobPage++;
  }
}

// ---------------------------------------------------------------------------------------------
// Bulk Write
// ---------------------------------------------------------------------------------------------

export type BulkWriteOperation = "create" | "update" | "upsert";

export interface BulkWriteOptions extends BulkPollOptions {
  operation: BulkWriteOperation;
  module: string;
  records: unknown[];
  /** update/upsert: the field Zoho finds existing records by (default `id` for update, first duplicate-check field for upsert). */
  findBy?: string;
  /** Records per job, at most 25,000. */
  jobSize?: number;
}

/** A CSV cell for Zoho: lookups by id, multi-select picklists joined with ";", dates as given. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return value.toISOString().slice(0, 19) + "+00:00";
  if (Array.isArray(value)) return value.map(cell).join(";");
  if (isRecordObject(value)) return value.id === undefined ? JSON.stringify(value) : String(value.id);
  return String(value);
}

/** One multipart/form-data body with the ZIP as the field `file`. */
function multipart(zip: Uint8Array): { body: Buffer; contentType: string } {
  const boundary = `----zohoCrmNodeRed${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="records.zip"\r\nContent-Type: application/zip\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, Buffer.from(zip), tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

const orgIds = new WeakMap<ZohoClient, Promise<string>>();

/** The org's zgid for X-CRM-ORG (GET /org), once per client. */
function orgId(client: ZohoClient, signal?: AbortSignal): Promise<string> {
  let id = orgIds.get(client);
  if (!id) {
    id = client.request<{ org?: Array<Record<string, unknown>> }>({ method: "GET", path: "/org", signal }).then((res) => {
      const org = res.data?.org?.[0];
      const zgid = org?.zgid ?? org?.id;
      if (typeof zgid !== "string" && typeof zgid !== "number") throw new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "bulkNoOrg" });
      return String(zgid);
    });
    orgIds.set(client, id);
    id.catch(() => orgIds.delete(client));
  }
  return id;
}

/**
 * Write records through Bulk Write jobs; resolves with one result per input, in input order
 * (ADDED / UPDATED from the job's result file; SKIPPED with Zoho's error; records of a job that
 * failed, or was not started, as failures). Throws only for invalid options.
 */
export async function bulkWriteRecords(client: ZohoClient, opts: BulkWriteOptions): Promise<WriteResult[]> {
  if (!isModuleName(opts.module)) throw new ZohoError({ code: "INVALID_MODULE", key: "notModuleName", params: { name: String(opts.module).slice(0, 60) } });
  if (!["create", "update", "upsert"].includes(opts.operation)) throw invalidInput("unknownOperation", { operation: String(opts.operation) });
  if (!Array.isArray(opts.records)) throw invalidInput("recordsNotArray");
  const findBy = opts.findBy ?? (opts.operation === "update" ? "id" : undefined);
  if (opts.operation !== "create" && !findBy) throw invalidInput("bulkFindBy");
  if (findBy !== undefined && !isFieldName(findBy)) throw invalidInput("notFieldName", { name: String(findBy).slice(0, 60) });
  const jobSize = Math.min(BULK_WRITE_MAX, Math.max(1, opts.jobSize ?? BULK_WRITE_MAX));

  const results: WriteResult[] = new Array(opts.records.length);
  const sendable: number[] = [];
  opts.records.forEach((input, index) => {
    if (!isRecordObject(input)) {
      results[index] = { index, ok: false, input, code: "INVALID_INPUT", message: `expected a record object, got ${typeof input}`, key: "expectedRecord", params: { got: typeof input }, adviceKey: "recordObject" };
      return;
    }
    if (opts.operation === "update" && findBy === "id" && !isRecordId(String(input.id ?? ""))) {
      results[index] = { index, ok: false, input, code: "MISSING_ID", message: "no id: the record's Zoho id is needed in `id`", key: "missingId", adviceKey: "readIdFirst" };
      return;
    }
    sendable.push(index);
  });

  for (let start = 0; start < sendable.length; start += jobSize) {
    const batch = sendable.slice(start, start + jobSize);
    if (opts.signal?.aborted) {
      for (const i of batch) results[i] = notSent(i, opts.records[i]);
      continue;
    }
    try {
      const outcomes = await writeJob(client, opts, findBy, batch.map((i) => opts.records[i] as Record<string, unknown>));
      batch.forEach((i, k) => (results[i] = { ...outcomes[k], index: i, input: opts.records[i] }));
    } catch (caught) {
      const err = withBulkAdvice(caught);
      const e = err instanceof ZohoError ? err : new ZohoError({ code: "UNEXPECTED_ERROR", key: "unexpectedFailure" });
      for (const i of batch) {
        results[i] = {
          index: i,
          ok: false,
          input: opts.records[i],
          code: e.code === "ABORTED" && !e.outcomeUnknown ? "ABORTED" : e.code,
          message: e.zohoMessage,
          details: e.details,
          advice: e.advice,
          requestError: e,
        };
      }
      if (e.code === "ABORTED") {
        for (const j of sendable.slice(start + jobSize)) results[j] = notSent(j, opts.records[j]);
        break;
      }
    }
  }
  return Array.from(results, (r, index) => r ?? notSent(index, opts.records[index]));
}

function notSent(index: number, input: unknown): WriteResult {
  return { index, ok: false, input, code: "ABORTED", message: "not sent: the flow was stopped or redeployed before this job was created" };
}

type Outcome = Omit<WriteResult, "index" | "input">;

/** One job: CSV + ZIP, upload, create, wait, read the result file. */
async function writeJob(client: ZohoClient, opts: BulkWriteOptions, findBy: string | undefined, records: Array<Record<string, unknown>>): Promise<Outcome[]> {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (seen.has(k) || k === "__proto__" || (k === "id" && opts.operation === "create")) continue;
      if (!isFieldName(k)) throw invalidInput("notFieldName", { name: k.slice(0, 60) });
      seen.add(k);
      columns.push(k);
    }
  }
  const csv = stringifyCsv([columns, ...records.map((r) => columns.map((c) => cell(r[c])))]);
  const zip = zipSync({ "records.csv": strToU8(csv) }, { level: 6 });
  const { body, contentType } = multipart(zip);
  const zgid = await orgId(client, opts.signal);
  const uploaded = await client.request<Record<string, unknown>>({
    method: "POST",
    api: "files",
    path: "/upload",
    body,
    headers: { "Content-Type": contentType, feature: "bulk-write", "X-CRM-ORG": zgid },
    signal: opts.signal,
    idempotent: true, // an upload creates only a file; a repeat makes another file, never records
  });
  const details = isRecordObject(uploaded.data?.details) ? uploaded.data!.details : {};
  const fileId = typeof details.file_id === "string" || typeof details.file_id === "number" ? String(details.file_id) : "";
  if (!fileId) throw new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "bulkUpload" });

  // A lookup given as {id} is matched by id (Zoho needs find_by on a lookup's mapping).
  const lookups = new Set(columns.filter((c) => records.some((r) => isRecordObject(r[c]) && (r[c] as Record<string, unknown>).id !== undefined)));
  const resource: Record<string, unknown> = {
    type: "data",
    module: { api_name: opts.module },
    file_id: fileId,
    field_mappings: columns.map((api_name, index) => (lookups.has(api_name) ? { api_name, index, find_by: "id" } : { api_name, index })),
  };
  if (findBy) resource.find_by = findBy;
  const operation = opts.operation === "create" ? "insert" : opts.operation;
  // Creating the job is the write: not repeated when its outcome is unknown, and reported as
  // unknown (not "not sent") when stopped after it went out.
  let sent = false;
  const created = await client
    .request({
      method: "POST",
      api: "bulk",
      path: "/write",
      body: { operation, resource: [resource] },
      signal: opts.signal,
      idempotent: false,
      onSend: () => (sent = true),
      onNotProcessed: () => (sent = false),
    })
    .catch((err: unknown) => {
      if (err instanceof ZohoError && err.code === "ABORTED" && sent) {
        throw new ZohoError({ code: "OUTCOME_UNKNOWN", key: "bulkJobLeft", params: { id: "?" }, outcomeUnknown: true });
      }
      throw err;
    });
  const job = jobOf(created.data);
  if (!job) throw new ZohoError({ code: "UNEXPECTED_RESPONSE", key: "bulkJobAnswer", params: { id: "?" }, outcomeUnknown: true });
  opts.onState?.((job.state || "ADDED") as BulkState, job.id);
  let done: JobAnswer;
  try {
    done = await waitForJob(client, "write", job.id, opts);
  } catch (err) {
    if (err instanceof ZohoError && err.code === "ABORTED") {
      // The job runs on in Zoho: its records' fate is unknown here.
      throw new ZohoError({ code: "OUTCOME_UNKNOWN", key: "bulkJobLeft", params: { id: job.id }, outcomeUnknown: true, details: { jobId: job.id } });
    }
    throw err;
  }
  const resultRows: Array<Record<string, string>> = [];
  const stream = await download(client, done, opts.signal);
  for await (const row of csvRows(unzipFirstCsv(stream))) resultRows.push(row);
  return records.map((_, k) => outcomeOf(resultRows[k], opts.operation));
}

/** One row of the result file: STATUS ADDED / UPDATED / SKIPPED, RECORD_ID, ERRORS ("CODE-column:CODE-column"). */
function outcomeOf(row: Record<string, string> | undefined, operation: BulkWriteOperation): Outcome {
  if (!row) return { ok: false, code: "UNEXPECTED_RESPONSE", message: "the job's result file has no row for this record", adviceKey: "unmatched" };
  const get = (name: string) => row[name] ?? row[name.toLowerCase()] ?? row[name.toUpperCase()] ?? "";
  const status = get("STATUS").toUpperCase();
  const id = get("RECORD_ID") || get("ID") || undefined;
  if (status === "ADDED" || status === "UPDATED") {
    const out: Outcome = { ok: true, code: "SUCCESS", message: status === "ADDED" ? "record added" : "record updated", id };
    if (operation === "upsert") out.action = status === "ADDED" ? "insert" : "update";
    return out;
  }
  const errors = get("ERRORS");
  const code = /^[A-Z_]+/.exec(errors)?.[0] ?? "SKIPPED";
  return { ok: false, code, message: errors || "skipped by Zoho", id, details: { status: status || "SKIPPED" } };
}
