/**
 * Writing records: create, update, upsert and delete in batches of up to 100 (Zoho's maximum),
 * several batches in flight within the connection's concurrency limit. Every input gets exactly
 * one result. Knows nothing of Node-RED.
 *
 * No double writes. A batch is sent again only when Zoho certainly did not process it: 429
 * TOO_MANY_REQUESTS and refused connections are retried by ZohoClient.request. When the outcome is
 * unknown (timeout, connection dropped after sending, 5xx, an answer that cannot be matched to the
 * records) the batch is not sent again, for any operation, and its records come back as failures
 * with code OUTCOME_UNKNOWN (or UNEXPECTED_RESPONSE). Update and delete are not treated as
 * idempotent either: repeating an update re-runs workflows and adds subform rows sent without an
 * id again, and repeating a delete answers "record not deleted" for records the first call did
 * delete, turning a success into a misleading failure.
 */
import type { ZohoClient, ZohoResponse } from "./client";
import { ZohoError, adviceFor, adviceKeyFor, invalidInput } from "./errors";
import { AdviceKey, ErrorKey, Params, Text, Texts, render } from "./texts";
import { FORBIDDEN_NAMES, isFieldName, isModuleName, isRecordId } from "./names";

export type WriteOperation = "create" | "update" | "upsert" | "delete";
export const WRITE_OPERATIONS: readonly WriteOperation[] = ["create", "update", "upsert", "delete"];

/** Automations a write may run; Zoho's v8 docs list the last two for inserts only. */
export const WRITE_TRIGGERS = ["workflow", "approval", "blueprint", "pathfinder", "orchestration"] as const;

/** Zoho's maximum records per insert/update/upsert/delete call. */
export const MAX_BATCH_SIZE = 100;

/** Zoho counts inserts/updates/upserts of more than this many records against its sub-concurrency of 10. */
const HEAVY_BATCH_THRESHOLD = 10;

export interface WriteOptions {
  operation: WriteOperation;
  module: string;
  /** Records (create/update/upsert), or ids / records with `id` (delete). */
  records: unknown[];
  /** Upsert only: fields Zoho matches existing records on, in order. Empty or undefined = Zoho's default. */
  duplicateCheckFields?: string[];
  /** Automations to run. undefined = Zoho's default (all run); [] = none. Delete only knows workflow. */
  trigger?: string[];
  signal?: AbortSignal;
  /** Records with a final result so far, of the total: after local validation (if it rejected any) and after each batch. */
  onProgress?: (done: number, total: number) => void;
  /** Records per call, 1 to 100 (default 100). */
  batchSize?: number;
}

export interface WriteResult {
  /** Position in `records`. */
  index: number;
  ok: boolean;
  /** The entry of `records` as given. */
  input: unknown;
  /** The record's Zoho id: the new or matched id on success, the id sent for update/delete. */
  id?: string;
  /** Upsert only: what Zoho did. */
  action?: "insert" | "update";
  /** Upsert only: the field that matched an existing record. */
  duplicateField?: string;
  /** "SUCCESS", Zoho's per-record error code, a request-level code, or one of ours (see README). */
  code: string;
  /** Zoho's message, or ours in English. */
  message: string;
  /** Key and parameters of our own message (TEXTS.errors), for the nodes to translate; undefined for Zoho's. */
  key?: ErrorKey;
  params?: Params;
  /** Zoho's details (created/modified info on success; the offending field on failure). */
  details?: unknown;
  /** In English, and its key in TEXTS.advice. */
  advice?: string;
  adviceKey?: AdviceKey;
  /** HTTP status of Zoho's answer to this record's batch. */
  status?: number;
  /** Set when the record failed with its whole batch (request-level error or unknown outcome). */
  requestError?: ZohoError;
}

export function isWriteOperation(value: unknown): value is WriteOperation {
  return typeof value === "string" && (WRITE_OPERATIONS as readonly string[]).includes(value);
}

/**
 * Request-level codes that say nothing about the records: every further batch of the same call
 * would fail the same way, so batches not yet sent are not sent.
 */
const STOP_CODES = new Set([
  "INVALID_TOKEN",
  "AUTHENTICATION_FAILURE",
  "OAUTH_SCOPE_MISMATCH",
  "NO_PERMISSION",
  "AUTHORIZATION_FAILED",
  "INVALID_MODULE",
  "INVALID_URL_PATTERN",
  "INVALID_REQUEST_METHOD",
  "INVALID_HOST",
  "TOO_MANY_REQUESTS",
  "TOKEN_RATE_LIMITED",
  "MISSING_CREDENTIALS",
  "NO_REFRESH_TOKEN",
  "UNTRUSTED_API_DOMAIN",
  "invalid_code",
  "invalid_client",
  "invalid_client_secret",
]);

const MAX_NESTING = 32;

interface Prepared {
  index: number;
  /** What goes into `data` (create/update/upsert). */
  body?: unknown;
  /** The id sent (update, delete, upsert with id). */
  id?: string;
}

interface BatchState {
  controller: AbortController;
  sent: boolean;
  /** Set when the batch was cancelled before sending because an earlier batch hit a STOP_CODE. */
  stoppedBy?: ZohoError;
}

/** Write `records`; resolves with one result per input, in input order. Throws only for invalid options. */
export async function writeRecords(client: ZohoClient, opts: WriteOptions): Promise<WriteResult[]> {
  const operation = opts.operation;
  if (!isWriteOperation(operation)) throw invalidInput("unknownWriteOperation", { operation: short(operation) });
  if (!isModuleName(opts.module)) {
    throw new ZohoError({ code: "INVALID_MODULE", key: "notModuleName", params: { name: short(opts.module) } });
  }
  if (!Array.isArray(opts.records)) throw invalidInput("recordsNotArray");
  const trigger = normaliseTrigger(opts.trigger);
  const duplicateCheckFields = operation === "upsert" ? normaliseFieldList(opts.duplicateCheckFields) : undefined;
  const batchSize = opts.batchSize ?? MAX_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) throw invalidInput("batchSize", { max: MAX_BATCH_SIZE });

  const total = opts.records.length;
  const results: Array<WriteResult | undefined> = new Array(total);
  let done = 0;
  const progress = () => opts.onProgress?.(done, total);

  const sendable: Prepared[] = [];
  const firstIndexOfId = new Map<string, number>();
  opts.records.forEach((input, index) => {
    const prepared = prepare(operation, input, index);
    if ("code" in prepared) {
      const { code, key, params, advice, id } = prepared;
      results[index] = { index, ok: false, input, code, ...ours(key, params, advice), id };
      done++;
      return;
    }
    if (operation === "delete" && prepared.id !== undefined) {
      const first = firstIndexOfId.get(prepared.id);
      if (first !== undefined) {
        results[index] = {
          index,
          ok: false,
          input,
          id: prepared.id,
          code: "DUPLICATE_ID",
          ...ours("duplicateId", { index: first }),
        };
        done++;
        return;
      }
      firstIndexOfId.set(prepared.id, index);
    }
    sendable.push(prepared);
  });
  if (done > 0) progress();

  const batches: Prepared[][] = [];
  for (let i = 0; i < sendable.length; i += batchSize) batches.push(sendable.slice(i, i + batchSize));

  const states = new Set<BatchState>();
  let stopError: ZohoError | undefined;
  const stopUnsent = (err: ZohoError) => {
    if (stopError) return;
    stopError = err;
    for (const s of states) {
      if (!s.sent) {
        s.stoppedBy = err;
        s.controller.abort();
      }
    }
  };
  const onOuterAbort = () => {
    for (const s of states) s.controller.abort();
  };
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });

  const record = (r: WriteResult) => {
    results[r.index] = r;
  };

  const runBatch = async (batch: Prepared[]): Promise<void> => {
    const state: BatchState = { controller: new AbortController(), sent: false };
    states.add(state);
    if (opts.signal?.aborted) state.controller.abort();
    if (stopError) {
      state.stoppedBy = stopError;
      state.controller.abort();
    }
    try {
      const res = await client.request<unknown>({
        ...batchRequest(operation, opts.module, batch, trigger, duplicateCheckFields),
        signal: state.controller.signal,
        idempotent: false,
        heavy: operation !== "delete" && batch.length > HEAVY_BATCH_THRESHOLD,
        recordResults: true,
        owner,
        onSend: () => {
          state.sent = true;
        },
        // A 429 or a refused connection proves this attempt was not processed: if the batch is
        // stopped while waiting to retry, it was certainly not written (ABORTED, not OUTCOME_UNKNOWN).
        onNotProcessed: () => {
          state.sent = false;
        },
      });
      mapAnswer(operation, batch, opts.records, res).forEach(record);
    } catch (err) {
      const failure = batchFailure(err, state);
      if (failure.stop) stopUnsent(failure.error);
      for (const p of batch) {
        record({
          index: p.index,
          ok: false,
          input: opts.records[p.index],
          id: p.id,
          code: failure.error.code,
          ...failure.message,
          details: failure.error.details,
          advice: failure.error.advice,
          adviceKey: failure.error.adviceKey,
          status: failure.error.httpStatus,
          requestError: failure.error,
        });
      }
    } finally {
      states.delete(state);
      done += batch.length;
      progress();
    }
  };

  // Batches are queued lazily: a few workers take the next batch when one of theirs is done, so
  // the connection's queue holds at most a few of this message's calls (and the client shares its
  // slots round-robin between messages). A body is built only when its batch is about to go.
  const owner = {};
  let nextBatch = 0;
  const worker = async (): Promise<void> => {
    while (nextBatch < batches.length) await runBatch(batches[nextBatch++]);
  };
  const workers = Math.min(batches.length, Math.max(1, client.concurrency));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
  }

  // Defensive: a result for every input, whatever happened above.
  return Array.from(results, (r, index) =>
    r ?? { index, ok: false, input: opts.records[index], code: "UNEXPECTED_ERROR", ...ours("noResult") },
  );
}

/** Trigger list: undefined/null = Zoho's default; arrays (or comma-separated text) are checked. */
export function normaliseTrigger(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === "string" ? splitList(value) : value;
  if (!Array.isArray(list)) throw invalidInput("triggerType");
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== "string" || !(WRITE_TRIGGERS as readonly string[]).includes(t)) {
      throw invalidInput("unknownTrigger", { trigger: short(t), triggers: WRITE_TRIGGERS.join(", ") });
    }
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** Field API names from an array or comma-separated text; empty = undefined (Zoho's default). */
export function normaliseFieldList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === "string" ? splitList(value) : value;
  if (!Array.isArray(list)) throw invalidInput("duplicateCheckFields");
  const out: string[] = [];
  for (const f of list) {
    const name = typeof f === "string" ? f.trim() : f;
    if (!isFieldName(name)) throw invalidInput("notFieldName", { name: short(f) });
    if (!out.includes(name)) out.push(name);
  }
  return out.length ? out : undefined;
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

// ---- validation -------------------------------------------------------------------------------

interface Rejection {
  code: string;
  key: ErrorKey;
  params?: Params;
  advice?: AdviceKey;
  id?: string;
}

/** What a result says in one of our own texts: the English, and the keys for the nodes to translate. */
function ours(key: ErrorKey, params?: Params, advice?: AdviceKey): Texts {
  const out: Texts = { message: render({ key: `errors.${key}`, params }), key };
  if (params) out.params = params;
  if (advice) {
    out.advice = render({ key: `advice.${advice}` });
    out.adviceKey = advice;
  }
  return out;
}

/** A JSON-style object. Checked by tag, not prototype, so records built in a function node's sandbox pass. */
export function isRecordObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && Object.prototype.toString.call(value) === "[object Object]";
}

function prepare(operation: WriteOperation, input: unknown, index: number): Prepared | Rejection {
  if (operation === "delete") {
    const raw = isRecordObject(input) ? input.id : input;
    if (isRecordObject(input) || typeof input === "string" || typeof input === "number" || typeof input === "bigint") {
      const id = recordId(raw);
      return "code" in id ? id : { index, id: id.id };
    }
    return { code: "INVALID_INPUT", key: "expectedIdOrRecord", params: { got: describe(input) }, advice: "deletePayload" };
  }
  if (!isRecordObject(input)) {
    return { code: "INVALID_INPUT", key: "expectedRecord", params: { got: describe(input) }, advice: "recordObject" };
  }
  const problem = recordProblem(input, 0);
  if (problem) return { code: "INVALID_INPUT", ...problem, advice: "recordValues" };
  const hasId = input.id !== undefined && input.id !== null && input.id !== "";
  if (hasId || operation === "update") {
    // Any id sent must be a Zoho record id: never text such as "1@host" or "../x".
    const id = recordId(input.id);
    if ("code" in id) return id;
    // Send the id as the string Zoho expects (trimmed, never a JS number); the input stays untouched.
    return { index, id: operation === "create" ? undefined : id.id, body: input.id === id.id ? input : { ...input, id: id.id } };
  }
  if ("id" in input) {
    // An empty id means "no id": leave it out rather than send "id": "" or null.
    const { id: _empty, ...rest } = input;
    return { index, body: rest };
  }
  return { index, body: input };
}

function recordId(raw: unknown): { id: string } | Rejection {
  if (raw === undefined || raw === null || raw === "") {
    return { code: "MISSING_ID", key: "missingId", advice: "readIdFirst" };
  }
  if (typeof raw === "number") {
    if (Number.isSafeInteger(raw) && raw > 0) return { id: String(raw) };
    return { code: "INVALID_ID", key: "idTooLarge", params: { id: String(raw) }, advice: "idsAsStrings" };
  }
  if (typeof raw === "bigint") return raw > 0n ? { id: raw.toString() } : { code: "INVALID_ID", key: "bigintNotId", params: { id: raw.toString() } };
  if (typeof raw === "string") {
    const trimmed = raw.trim();
    if (isRecordId(trimmed)) return { id: trimmed };
    return { code: "INVALID_ID", key: "idNotDigits", params: { id: short(raw) } };
  }
  return { code: "INVALID_ID", key: "idType", params: { got: describe(raw) } };
}

/**
 * What would make the record unsafe or silently wrong as JSON: a prototype-polluting key,
 * excessive nesting (or a cycle), or a value JSON cannot carry faithfully (BigInt, symbols,
 * functions, NaN/Infinity turned into null, a Map or Buffer turned into something else).
 */
function recordProblem(value: unknown, depth: number, field: Text = { key: "values.theRecord" }): { key: ErrorKey; params: Params } | undefined {
  if (value === null || value === undefined || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : { key: "valueNotStorable", params: { field, value: String(value) } };
  if (typeof value !== "object") return { key: "valueType", params: { field, type: typeof value } };
  if (depth > MAX_NESTING) return { key: "tooDeep", params: { max: MAX_NESTING } };
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? { key: "invalidDate", params: { field } } : undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = recordProblem(item, depth + 1, field);
      if (found) return found;
    }
    return undefined;
  }
  if (!isRecordObject(value)) return { key: "notJsonValue", params: { field, value: describe(value) } };
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_NAMES.has(key)) return { key: "forbiddenKey", params: { key } };
    const found = recordProblem((value as Record<string, unknown>)[key], depth + 1, depth === 0 ? { key: "values.field", params: { name: short(key) } } : field);
    if (found) return found;
  }
  return undefined;
}

function describe(value: unknown): Text {
  if (value === null) return { key: "values.null" };
  if (Array.isArray(value)) return { key: "values.array" };
  if (typeof value === "object") {
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    return tag === "Object" ? { key: "values.object" } : { key: "values.ofType", params: { type: tag } };
  }
  if (typeof value === "string") return { key: "values.text", params: { text: short(value) } };
  return { key: "values.typed", params: { type: typeof value, value: short(value) } };
}

function short(value: unknown, max = 40): string {
  const s = typeof value === "string" ? value : String(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

// ---- requests and answers ---------------------------------------------------------------------

function batchRequest(
  operation: WriteOperation,
  module: string,
  batch: Prepared[],
  trigger: string[] | undefined,
  duplicateCheckFields: string[] | undefined,
): { method: "POST" | "PUT" | "DELETE"; path: string; query?: Record<string, string>; body?: unknown } {
  const path = `/${module}`;
  if (operation === "delete") {
    const query: Record<string, string> = { ids: batch.map((p) => p.id).join(",") };
    // Delete knows only workflow rules (wf_trigger, default true).
    if (trigger !== undefined) query.wf_trigger = trigger.includes("workflow") ? "true" : "false";
    return { method: "DELETE", path, query };
  }
  const body: Record<string, unknown> = { data: batch.map((p) => p.body) };
  if (trigger !== undefined) body.trigger = trigger;
  if (operation === "upsert") {
    if (duplicateCheckFields) body.duplicate_check_fields = duplicateCheckFields;
    return { method: "POST", path: `${path}/upsert`, body };
  }
  return { method: operation === "update" ? "PUT" : "POST", path, body };
}

/** Zoho's per-record answers (200/201/202/207, or 400 with a `data` array) matched to the batch. */
function mapAnswer(operation: WriteOperation, batch: Prepared[], records: unknown[], res: ZohoResponse<unknown>): WriteResult[] {
  const body = res.data;
  const data = isRecordObject(body) && Array.isArray(body.data) ? (body.data as unknown[]) : undefined;
  const unmatched = (p: Prepared, key: ErrorKey, params?: Params, error?: ZohoError): WriteResult => ({
    index: p.index,
    ok: false,
    input: records[p.index],
    id: p.id,
    code: "UNEXPECTED_RESPONSE",
    ...ours(key, params, "unmatched"),
    status: res.status,
    requestError: error,
  });
  const unmatchedBatch = (key: ErrorKey, params: Params): WriteResult[] => {
    const error = new ZohoError({ code: "UNEXPECTED_RESPONSE", key, params, httpStatus: res.status, advice: "unmatched", outcomeUnknown: true });
    return batch.map((p) => unmatched(p, key, params, error));
  };

  if (!data) return unmatchedBatch("noRecordResults", { status: res.status });

  let answers: Array<unknown | undefined>;
  if (operation === "delete") {
    answers = matchDeleteAnswers(batch, data);
  } else if (data.length === batch.length) {
    answers = data;
  } else {
    return unmatchedBatch("resultCount", { results: data.length, records: batch.length });
  }

  return batch.map((p, i) => {
    const answer = answers[i];
    const parsed = answer === undefined ? undefined : parseAnswer(operation, answer);
    if (!parsed) return unmatched(p, answer === undefined ? "noResultForRecord" : "resultNotUnderstood");
    return { index: p.index, input: records[p.index], status: res.status, ...parsed, id: parsed.id ?? p.id };
  });
}

/** Delete answers carry the id; match on it, else by position when the counts agree. */
function matchDeleteAnswers(batch: Prepared[], data: unknown[]): Array<unknown | undefined> {
  const byId = new Map<string, unknown[]>();
  for (const entry of data) {
    const id = isRecordObject(entry) && isRecordObject(entry.details) ? idText(entry.details.id) : undefined;
    if (id === undefined) continue;
    byId.set(id, [...(byId.get(id) ?? []), entry]);
  }
  const byIdAnswers = batch.map((p) => {
    const hits = byId.get(p.id ?? "");
    return hits && hits.length === 1 ? hits[0] : undefined;
  });
  if (byIdAnswers.every((a) => a !== undefined)) return byIdAnswers;
  if (data.length === batch.length) return data;
  return byIdAnswers;
}

type ParsedAnswer = Omit<WriteResult, "index" | "input" | "status">;

function parseAnswer(operation: WriteOperation, entry: unknown): ParsedAnswer | undefined {
  if (!isRecordObject(entry)) return undefined;
  const code = typeof entry.code === "string" ? entry.code : undefined;
  const status = typeof entry.status === "string" ? entry.status.toLowerCase() : undefined;
  if (code === undefined && status === undefined) return undefined;
  const message = typeof entry.message === "string" ? entry.message : "";
  const details = entry.details;
  const id = isRecordObject(details) ? idText(details.id) : undefined;
  const ok = status === "success" || (status === undefined && code === "SUCCESS");
  if (!ok) {
    const errorCode = code ?? "ERROR";
    return { ok: false, code: errorCode, message, details, advice: adviceFor(errorCode, details), adviceKey: adviceKeyFor(errorCode, details), id };
  }
  const out: ParsedAnswer = { ok: true, code: code ?? "SUCCESS", message, details, id };
  if (operation === "upsert") {
    if (entry.action === "insert" || entry.action === "update") out.action = entry.action;
    if (typeof entry.duplicate_field === "string" && entry.duplicate_field) out.duplicateField = entry.duplicate_field;
  }
  return out;
}

function idText(value: unknown): string | undefined {
  if (typeof value === "string" && value) return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

// ---- failures of a whole batch ------------------------------------------------------------------

type ResultMessage = Pick<WriteResult, "message" | "key" | "params">;

/** An error's message for its records: ours with its key, Zoho's as it is. */
function messageOf(e: ZohoError): ResultMessage {
  return e.key ? { message: e.zohoMessage, key: e.key, params: e.params } : { message: e.zohoMessage };
}

function batchFailure(err: unknown, state: BatchState): { error: ZohoError; message: ResultMessage; stop: boolean } {
  const e =
    err instanceof ZohoError
      ? err
      : new ZohoError({
          code: "UNEXPECTED_ERROR",
          ...(err instanceof Error ? { message: err.message } : { key: "unexpectedFailure" as const }),
          outcomeUnknown: true,
        });

  if (state.stoppedBy && !state.sent) {
    const cause = state.stoppedBy;
    return { error: cause, message: ours("notSentOtherBatch", { code: cause.code, message: cause.text }), stop: false };
  }
  if (e.code === "ABORTED") {
    if (!state.sent) {
      return { error: e, message: ours("notSentStopped"), stop: false };
    }
    const unknown = new ZohoError({
      code: "OUTCOME_UNKNOWN",
      key: "stoppedWhileSending",
      details: { cause: "ABORTED" },
      outcomeUnknown: true,
    });
    return { error: unknown, message: messageOf(unknown), stop: false };
  }
  // Not sent at all (token, credentials, limiter): certainly not processed, whatever the error says.
  if (!state.sent || (e.notProcessed && !e.outcomeUnknown)) {
    const stop = STOP_CODES.has(e.code) || (e.code === "NETWORK_ERROR" && e.notProcessed);
    return { error: e, message: messageOf(e), stop };
  }
  const unknown = new ZohoError({
    code: "OUTCOME_UNKNOWN",
    ...(e.httpStatus !== undefined
      ? { key: "outcomeUnknownHttp" as const, params: { status: e.httpStatus, code: e.code, message: e.text } }
      : { key: "outcomeUnknown" as const, params: { code: e.code, message: e.text } }),
    httpStatus: e.httpStatus,
    details: { cause: e.code, ...(e.details !== undefined ? { causeDetails: e.details } : {}) },
    outcomeUnknown: true,
  });
  return { error: unknown, message: messageOf(unknown), stop: false };
}
