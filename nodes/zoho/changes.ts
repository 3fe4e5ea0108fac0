/**
 * Change detection for a trigger: which records were created, updated or deleted since a position.
 * Knows nothing of Node-RED; the caller persists the position after it has sent the events.
 *
 * Facts this is built on (zoho-crm-api.md §4, §11.1):
 * - Get Records with `If-Modified-Since` returns records modified since then (204/304 when none);
 *   whether the bound is inclusive is not documented, and changes can become visible to the API up
 *   to about a minute late. So each poll asks from the position minus an overlap window and
 *   de-duplicates on `id` + `Modified_Time` (an update of the same record later is a new event).
 * - Datetimes have second precision and carry the API user's offset, which changes with daylight
 *   saving: they are compared as instants (epoch ms), never as strings.
 * - Paging by page number over data that changes during the read can skip a record when records
 *   move towards the pages already read. Reading newest first (`sort_order=desc`), a record changed
 *   during the read moves to page 1, already read: it is seen on the next poll, and the pages after
 *   it shift by one towards the end, which repeats a record (de-duplicated) rather than losing one.
 *   Records sharing one `Modified_Time` second across a page boundary are neither lost nor doubled
 *   for the same reason (ties are ordered stably, and duplicates are dropped by key).
 * - The position is the greatest `Modified_Time` seen, not the last one: an out-of-order answer
 *   can never move it back, and a record at the boundary second is remembered in `seen`.
 * - Get Deleted Records (`type=all`) has no sort: every page since the position is read, and
 *   entries are de-duplicated on `id` + `deleted_time`.
 */
import type { ZohoClient } from "./client";
import { ZohoError, invalidInput } from "./errors";
import { abortError } from "./concurrency";
import { isModuleName, isRecordId } from "./names";
import { MAX_PER_PAGE, ZohoRecord, recordsOf } from "./paging";
import { formatModifiedSince, listPages } from "./records";

export type ChangeKind = "create" | "update" | "delete";
export const CHANGE_KINDS: readonly ChangeKind[] = ["create", "update", "delete"];

export interface ChangeEvent {
  kind: ChangeKind;
  module: string;
  id: string;
  /** Modified_Time of the record (create/update) or deleted_time of the entry (delete), as Zoho wrote it. */
  time: string;
  /** The record, or Zoho's deleted-record entry (id, display_name, type, deleted_by, created_by, deleted_time). */
  payload: Record<string, unknown>;
}

/** One stream's high-water mark: the greatest time seen, and the keys seen near it. */
export interface StreamPosition {
  /** Greatest time seen (epoch ms). Changes at or after `since - overlap` are asked for again. */
  since: number;
  /** `id@epochMs` of every change already emitted at or after `since - overlap`. */
  seen: string[];
}

/** Where a trigger stands. Plain JSON, so it can be kept in any Node-RED context store. */
export interface ChangePosition {
  version: 1;
  module: string;
  /** Where the trigger started (epoch ms; 0 = every record): nothing older ever comes out, overlap or not. */
  from: number;
  records: StreamPosition;
  deletes: StreamPosition;
}

export interface PollOptions {
  module: string;
  /** Which kinds to look for: create/update need the records call, delete the deleted-records call. */
  kinds: readonly ChangeKind[];
  /** Field API names to read (id, Created_Time and Modified_Time are always added). Must not be empty. */
  fields: string[];
  /** Asked again on every poll, to absorb Zoho's late visibility and an inclusive/exclusive bound. */
  overlapMs?: number;
  /** Safety bound on the keys remembered per stream. */
  maxSeen?: number;
  signal?: AbortSignal;
}

export interface PollResult {
  /** In time order: records by Modified_Time, then deletes by deleted_time. */
  events: ChangeEvent[];
  /** To save once the events are sent. */
  position: ChangePosition;
  /** Calls made (for the status and the help's cost figures). */
  calls: number;
  /** Set when Zoho's list reach (100,000 records) cut the poll short. */
  capped?: boolean;
}

export const DEFAULT_OVERLAP_MS = 60_000;
const DEFAULT_MAX_SEEN = 20_000;
/** Deleted-records pages read in one poll at most (200 each). */
const MAX_DELETED_PAGES = 500;

/** A fresh position: changes after `fromMs` (0 = every existing record). */
export function startPosition(module: string, fromMs: number): ChangePosition {
  return { version: 1, module, from: fromMs, records: { since: fromMs, seen: [] }, deletes: { since: fromMs, seen: [] } };
}

/** A stored position if it is one (for this module), else undefined. */
export function validPosition(value: unknown, module: string): ChangePosition | undefined {
  if (!value || typeof value !== "object") return undefined;
  const p = value as Partial<ChangePosition>;
  const stream = (s: unknown): s is StreamPosition =>
    !!s && typeof s === "object" && Number.isFinite((s as StreamPosition).since) && Array.isArray((s as StreamPosition).seen) && (s as StreamPosition).seen.every((k) => typeof k === "string");
  if (p.version !== 1 || p.module !== module || !Number.isFinite(p.from) || !stream(p.records) || !stream(p.deletes)) return undefined;
  return p as ChangePosition;
}

/** Epoch ms of a Zoho datetime, or undefined when it is not one. */
export function instantOf(value: unknown): number | undefined {
  if (typeof value !== "string" || !value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Remembers keys per stream: what was emitted within the overlap window, bounded. */
class SeenKeys {
  private readonly keys: Set<string>;
  readonly ids = new Set<string>();

  constructor(
    private readonly position: StreamPosition,
    private readonly maxSeen: number,
  ) {
    this.keys = new Set(position.seen);
    for (const k of position.seen) this.ids.add(k.slice(0, k.indexOf("@")));
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(id: string, ms: number): void {
    this.keys.add(`${id}@${ms}`);
    this.ids.add(id);
  }

  /** The stream's next position: greatest time seen, keys within the overlap window of it. */
  next(greatest: number, overlapMs: number): StreamPosition {
    const since = Math.max(this.position.since, greatest);
    const floor = since - overlapMs;
    let seen = [...this.keys].filter((k) => Number(k.slice(k.indexOf("@") + 1)) >= floor);
    if (seen.length > this.maxSeen) {
      seen = seen.sort((a, b) => Number(b.slice(b.indexOf("@") + 1)) - Number(a.slice(a.indexOf("@") + 1))).slice(0, this.maxSeen);
    }
    return { since, seen };
  }
}

/**
 * One poll: the changes since `position`, and the position to save after sending them.
 * An idle poll costs one call per stream asked for (records, deletes).
 */
export async function pollChanges(client: ZohoClient, position: ChangePosition, opts: PollOptions): Promise<PollResult> {
  const module = checkPollOptions(position, opts);
  const overlapMs = opts.overlapMs ?? DEFAULT_OVERLAP_MS;
  const maxSeen = opts.maxSeen ?? DEFAULT_MAX_SEEN;
  const wantRecords = opts.kinds.includes("create") || opts.kinds.includes("update");
  const wantDeletes = opts.kinds.includes("delete");
  let calls = 0;
  let capped = false;
  const events: ChangeEvent[] = [];
  let records = position.records;
  let deletes = position.deletes;

  if (wantRecords) {
    const seen = new SeenKeys(position.records, maxSeen);
    const windowStart = position.records.since - overlapMs;
    const fields = withTimeFields(opts.fields);
    const found: Array<{ record: ZohoRecord; ms: number }> = [];
    let greatest = position.records.since;
    for await (const page of listPages(client, {
      module,
      fields,
      sortBy: "Modified_Time",
      sortOrder: "desc",
      modifiedSince: position.records.since > 0 ? Math.max(windowStart, 0) : undefined,
      signal: opts.signal,
    })) {
      calls++;
      if (page.capped) capped = true;
      for (const record of page.records) {
        const ms = instantOf(record.Modified_Time);
        if (ms === undefined || !isRecordId(String(record.id))) continue; // not a record we can key
        if (position.records.since > 0 && ms < windowStart) continue; // an inclusive bound, or a clock glitch
        if (ms < position.from) continue; // from before the trigger's start: never wanted
        if (seen.has(`${record.id}@${ms}`)) continue;
        found.push({ record, ms });
      }
    }
    if (calls === 0) calls = 1; // an empty read (204/304) is still one call
    // Oldest first; within one second by id, so the order is stable.
    found.sort((a, b) => a.ms - b.ms || compareIds(String(a.record.id), String(b.record.id)));
    const emitted = new Set<string>();
    for (const { record, ms } of found) {
      const id = String(record.id);
      const key = `${id}@${ms}`;
      if (emitted.has(key)) continue; // the same version twice in one read (pages shifted)
      emitted.add(key);
      const created = instantOf(record.Created_Time);
      // Created after the position; or created within the overlap window (after the trigger's start)
      // and never seen before, which is a create that became visible late.
      const kind: ChangeKind =
        created !== undefined && (created > position.records.since || (created >= Math.max(windowStart, position.from) && !seen.ids.has(id))) ? "create" : "update";
      seen.add(id, ms);
      if (ms > greatest) greatest = ms;
      if (opts.kinds.includes(kind)) events.push({ kind, module, id, time: String(record.Modified_Time), payload: record });
    }
    records = seen.next(greatest, overlapMs);
  }

  if (wantDeletes) {
    const result = await pollDeleted(client, module, position.deletes, position.from, overlapMs, maxSeen, opts.signal);
    calls += result.calls;
    events.push(...result.events);
    deletes = result.position;
  }

  const out: PollResult = { events, position: { version: 1, module, from: position.from, records, deletes }, calls };
  if (capped) out.capped = true;
  return out;
}

/** Deleted records since the position: every page (no sort), de-duplicated on id + deleted_time. */
async function pollDeleted(
  client: ZohoClient,
  module: string,
  position: StreamPosition,
  from: number,
  overlapMs: number,
  maxSeen: number,
  signal?: AbortSignal,
): Promise<{ events: ChangeEvent[]; position: StreamPosition; calls: number }> {
  const seen = new SeenKeys(position, maxSeen);
  const windowStart = position.since - overlapMs;
  const since = position.since > 0 ? formatModifiedSince(Math.max(windowStart, 0)) : undefined;
  const found: Array<{ entry: Record<string, unknown>; id: string; ms: number }> = [];
  let calls = 0;
  let greatest = position.since;
  for (let page = 1; page <= MAX_DELETED_PAGES; page++) {
    if (signal?.aborted) throw abortError();
    const res = await client.request<{ data?: unknown; info?: Record<string, unknown> }>({
      method: "GET",
      path: `/${module}/deleted`,
      query: { type: "all", page, per_page: MAX_PER_PAGE },
      headers: since ? { "If-Modified-Since": since } : undefined,
      passStatuses: [304],
      signal,
    });
    calls++;
    const { records: entries, info } = recordsOf(res);
    for (const entry of entries) {
      const id = String(entry.id ?? "");
      const ms = instantOf(entry.deleted_time);
      if (!isRecordId(id) || ms === undefined) continue;
      if ((position.since > 0 && ms < windowStart) || ms < from) continue;
      if (seen.has(`${id}@${ms}`)) continue;
      found.push({ entry, id, ms });
    }
    if (!info.more_records || entries.length === 0) break;
  }
  found.sort((a, b) => a.ms - b.ms || compareIds(a.id, b.id));
  const events: ChangeEvent[] = [];
  const emitted = new Set<string>();
  for (const { entry, id, ms } of found) {
    const key = `${id}@${ms}`;
    if (emitted.has(key)) continue;
    emitted.add(key);
    seen.add(id, ms);
    if (ms > greatest) greatest = ms;
    events.push({ kind: "delete", module, id, time: String(entry.deleted_time), payload: entry as Record<string, unknown> });
  }
  return { events, position: seen.next(greatest, overlapMs), calls };
}

/**
 * Records whose changes arrived by notification (instant mode), fetched in batches of 100 ids
 * (`GET /{module}?ids=…`, one call per batch), as events that `position` has not seen yet.
 * The returned position only remembers them (so the next poll does not repeat them); it does not
 * move `since`, because notifications can be lost and the catch-up poll must still find those.
 */
export async function changesByIds(
  client: ZohoClient,
  position: ChangePosition,
  ids: string[],
  opts: { module: string; fields: string[]; kinds: readonly ChangeKind[]; operation: "insert" | "update"; maxSeen?: number; signal?: AbortSignal },
): Promise<{ events: ChangeEvent[]; position: ChangePosition; calls: number }> {
  const module = checkPollOptions(position, { ...opts });
  const unique = [...new Set(ids.filter((id) => isRecordId(id)))];
  const seen = new SeenKeys(position.records, opts.maxSeen ?? DEFAULT_MAX_SEEN);
  const events: ChangeEvent[] = [];
  let calls = 0;
  const fields = withTimeFields(opts.fields);
  for (let i = 0; i < unique.length; i += 100) {
    const batch = unique.slice(i, i + 100);
    for await (const page of listPages(client, { module, fields, ids: batch, signal: opts.signal })) {
      calls++;
      for (const record of page.records) {
        const ms = instantOf(record.Modified_Time);
        const id = String(record.id);
        if (ms === undefined || ms < position.from || seen.has(`${id}@${ms}`)) continue;
        const kind: ChangeKind = opts.operation === "insert" && !seen.ids.has(id) ? "create" : "update";
        seen.add(id, ms);
        if (opts.kinds.includes(kind)) events.push({ kind, module, id, time: String(record.Modified_Time), payload: record });
      }
    }
  }
  events.sort((a, b) => (instantOf(a.time) ?? 0) - (instantOf(b.time) ?? 0) || compareIds(a.id, b.id));
  const records = seen.next(position.records.since, Number.POSITIVE_INFINITY);
  return { events, position: { ...position, records: { since: position.records.since, seen: records.seen } }, calls };
}

function checkPollOptions(position: ChangePosition, opts: { module: string; kinds: readonly ChangeKind[]; fields: string[] }): string {
  if (!isModuleName(opts.module)) throw new ZohoError({ code: "INVALID_MODULE", key: "notModuleName", params: { name: String(opts.module).slice(0, 60) } });
  if (!validPosition(position, opts.module)) throw invalidInput("triggerPosition");
  if (!Array.isArray(opts.kinds) || opts.kinds.length === 0 || !opts.kinds.every((k) => CHANGE_KINDS.includes(k))) {
    throw invalidInput("triggerKinds");
  }
  if (!Array.isArray(opts.fields) || opts.fields.length === 0) throw invalidInput("triggerFields");
  return opts.module;
}

function withTimeFields(fields: string[]): string[] {
  const out = fields.filter((f) => f !== "id");
  for (const f of ["Modified_Time", "Created_Time"]) if (!out.includes(f)) out.push(f);
  return out;
}

/** Numeric id strings compared without turning them into numbers. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
