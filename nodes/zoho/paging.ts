/**
 * The paging engine for list and search, in two parts:
 * - `PagePlanner`: the arithmetic of a paged read (which pages exist, which may start now, how
 *   each is asked for). No I/O, so its rules can be read and tested on their own.
 * - `pagedRead`: the fetcher. It asks the planner, makes the calls (one per field chunk of a page),
 *   merges chunks, and yields pages in order.
 *
 * Rules (zoho-crm-api.md §4–5): `page` 1..10 with per_page 200 reach 2,000 records; past that only
 * `page_token` from the previous page's `info.next_page_token` (never both); list stops at 100,000,
 * search at 2,000 (reported as a cap). 204 and 304 mean no records.
 */
import type { QueryValue, ZohoApi, ZohoClient, ZohoResponse } from "./client";
import { abortError } from "./concurrency";
import { render } from "./texts";

export type ZohoRecord = Record<string, unknown> & { id: string };

/** Zoho's `info` object of a page (list: page, per_page, tokens…; search: page, per_page; COQL: count only). */
export interface PageInfo {
  more_records: boolean;
  count?: number;
  [key: string]: unknown;
}

export type CapReason = "search_limit" | "list_limit" | "coql_limit";

/** A limit Zoho imposes on how far a read can go; reported on the last page instead of failing. */
export interface ReadCap {
  reason: CapReason;
  limit: number;
  /** In English; the nodes show TEXTS.caps[reason] in Node-RED's language. */
  message: string;
}

export interface RecordsPage {
  records: ZohoRecord[];
  /** 1-based number of this page within the read. */
  page: number;
  info: PageInfo;
  /** Set on the last page when Zoho had more records than it lets a read reach. */
  capped?: ReadCap;
  /** Zoho's record count, when it was asked for (list and search reads of more than one page). */
  totalCount?: number;
}

export const MAX_PER_PAGE = 200;
/** Records reachable with the `page` parameter. */
export const PAGE_NUMBER_REACH = 2000;

export function capOf(reason: CapReason, limit: number): ReadCap {
  return { reason, limit, message: render({ key: `caps.${reason}` }) };
}

// ---------------------------------------------------------------------------------------------
// The planner
// ---------------------------------------------------------------------------------------------

export interface PlanSettings {
  /** Records per page (1..200). */
  perPage: number;
  /** Stop after this many records; Infinity = all. */
  maxRecords: number;
  /** Records Zoho lets this read reach (list 100,000, search 2,000). */
  reach: number;
  /** Past the page-number reach, continue with page_token (list) or stop with a cap (search). */
  tokens: boolean;
  /** Pages fetched ahead of the consumer at most. */
  window: number;
  /** A count call can size this read (it matches the read's filters) and more than one call may run at once. */
  countable: boolean;
  /** Records reachable by page number (Zoho CRM: 2,000); past it only tokens. */
  numberedReach?: number;
}

/** What a settled page tells the planner. */
export interface PageOutcome {
  /** Zoho's `more_records`. */
  more: boolean;
  /** Records that came back (of the first field chunk). */
  received: number;
  /** Every field chunk has a next_page_token (only read past the page-number reach). */
  tokensComplete: boolean;
}

/** How page k is asked for: by number and size, or by the token page k-1 answered with. */
export type PageRequest = { page: number; perPage: number } | { tokenOfPage: number; perPage: number };

/**
 * Invariants (each call costs the user an API credit, so a page is asked for only once it is known
 * to exist, and a read that fits in one page costs exactly one call):
 * 1. Page 1 always exists. Page k > 1 exists when page k-1 answered `more_records`, or, within the
 *    page-number reach, when the count says so (k ≤ ceil(count / perPage)) and no page so far came
 *    back short or empty. The count is an upper bound only (it knows nothing of `converted` or
 *    `approved`), so the first short or empty page ends the read.
 * 2. The count is asked for only when page 1 said `more_records` and more than two pages may be
 *    needed (page 2 is known to exist anyway). A read that finds nothing, or fits in one page,
 *    never asks.
 * 3. At most `window` pages beyond the last one handed to the consumer are started.
 * 4. Past the page-number reach a page needs the previous page's token: one at a time.
 * 5. No page past `maxRecords` or Zoho's reach; reaching the reach with records left is a cap.
 * 6. After a failed page nothing further is started (the consumer gets the error there).
 */
export class PagePlanner {
  /** Pages reachable by page number. */
  readonly numberedPages: number;
  /** Last page this read may ask for (reach and maxRecords). */
  readonly lastAllowed: number;
  /** Last page maxRecords needs (Infinity when unbounded). */
  private readonly neededPages: number;
  private readonly reachPages: number;
  private readonly started = new Set<number>();
  private readonly outcomes = new Map<number, PageOutcome>();
  private failedAt?: number;
  private countedPages?: number;
  private countAsked = false;
  /** Pages handed to the consumer. */
  consumed = 0;
  /** The last page of the read, once known. */
  final?: number;
  /** The page on which the read hit Zoho's reach with more records left. */
  cappedAt?: number;

  constructor(private readonly settings: PlanSettings) {
    const { perPage, maxRecords, reach, tokens } = settings;
    this.numberedPages = Math.floor((settings.numberedReach ?? PAGE_NUMBER_REACH) / perPage);
    this.reachPages = tokens ? Math.floor(reach / perPage) : this.numberedPages;
    this.neededPages = Math.ceil(maxRecords / perPage);
    this.lastAllowed = Math.min(this.reachPages, this.neededPages);
  }

  /** How page k is asked for. The last page maxRecords needs is shrunk when that lines up. */
  request(k: number): PageRequest {
    const { perPage, maxRecords } = this.settings;
    if (k > this.numberedPages) return { tokenOfPage: k - 1, perPage };
    if (k !== this.neededPages) return { page: k, perPage };
    const remaining = maxRecords - (k - 1) * perPage;
    const size = k === 1 ? remaining : pageSizeFor(remaining, perPage);
    return { page: ((k - 1) * perPage) / size + 1, perPage: size };
  }

  /** Record what page k answered: the first short, empty or last page ends the read. */
  settle(k: number, outcome: PageOutcome): void {
    this.outcomes.set(k, outcome);
    const asked = this.requestedSize(k);
    const last = !outcome.more || outcome.received === 0 || outcome.received < asked;
    if (last || k >= this.lastAllowed) this.finalise(k);
    if (!last && k >= this.lastAllowed && k >= this.reachPages && this.neededPages > k) this.cappedAt = k;
    if (!last && k >= this.numberedPages && this.settings.tokens && !outcome.tokensComplete) this.finalise(k); // "more" without a token to go on with
  }

  fail(k: number): void {
    this.failedAt = Math.min(this.failedAt ?? k, k);
  }

  /** Zoho's record count, once known. */
  setCount(count: number): void {
    this.countedPages = Math.ceil(count / this.settings.perPage);
  }

  /** Invariant 2: ask for the count now? (Once, right after page 1 said there are more.) */
  wantsCount(): boolean {
    if (this.countAsked || !this.settings.countable) return false;
    const page1 = this.outcomes.get(1);
    if (!page1 || this.final === 1) return false;
    if (Math.min(this.lastAllowed, this.numberedPages) <= 2) return false;
    this.countAsked = true;
    return true;
  }

  /** Pages to start now, in order. */
  startable(): number[] {
    const out: number[] = [];
    const limit = Math.min(this.consumed + this.settings.window, this.lastAllowed, this.final ?? Infinity, (this.failedAt ?? Infinity) - 1);
    for (let k = this.consumed + 1; k <= limit; k++) {
      if (this.started.has(k)) continue;
      if (!this.exists(k)) break;
      if (k > this.numberedPages && !this.outcomes.has(k - 1)) break; // its token comes from page k-1
      this.started.add(k);
      out.push(k);
    }
    return out;
  }

  private exists(k: number): boolean {
    if (k === 1) return true;
    if (this.outcomes.get(k - 1)?.more) return true;
    return k <= this.numberedPages && this.countedPages !== undefined && k <= this.countedPages;
  }

  private requestedSize(k: number): number {
    const r = this.request(k);
    return r.perPage;
  }

  private finalise(k: number): void {
    this.final = Math.min(this.final ?? k, k);
  }
}

/** Smallest divisor of `perPage` that is ≥ `needed`: a page of that size lines up with the pages before it. */
function pageSizeFor(needed: number, perPage: number): number {
  for (let q = needed; q < perPage; q++) if (perPage % q === 0) return q;
  return perPage;
}

// ---------------------------------------------------------------------------------------------
// The fetcher
// ---------------------------------------------------------------------------------------------

export interface Fetched {
  records: ZohoRecord[];
  info: PageInfo;
  more: boolean;
  /** next_page_token per field chunk. */
  tokens: Array<string | undefined>;
}

/** How one API pages (the default is Zoho CRM's: page/per_page/page_token, `data` and `info.more_records`). */
export interface PagingStyle {
  /** The query parameters that ask for one page. */
  pageQuery(plan: PageRequest, token: string | undefined): Record<string, QueryValue>;
  /** The items of an answer, whether more exist, and the token to the next page. */
  readPage(res: PageAnswer, plan: PageRequest): { records: ZohoRecord[]; info: PageInfo; more: boolean; token?: string };
  /** Records reachable by page number. */
  numberedReach: number;
}

export const CRM_PAGING: PagingStyle = {
  pageQuery: (plan, token) => ("page" in plan ? { page: plan.page, per_page: plan.perPage } : { page_token: token, per_page: plan.perPage }),
  readPage: (res) => {
    const { records, info } = recordsOf(res);
    const token = typeof info.next_page_token === "string" && info.next_page_token ? info.next_page_token : undefined;
    return { records, info, more: info.more_records, token };
  },
  numberedReach: PAGE_NUMBER_REACH,
};

export interface PagedSpec {
  client: ZohoClient;
  path: string;
  /** Which API the path is below (default the CRM API, /crm/v8). */
  api?: ZohoApi;
  /** How the API pages (default Zoho CRM's). */
  style?: PagingStyle;
  query: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** One entry per call needed for a page; undefined = no `fields` parameter. */
  chunks: Array<string[] | undefined>;
  heavy: boolean;
  /** Continue with page_token past the page-number reach (list) or stop with a cap (search). */
  tokens: boolean;
  reach: number;
  capReason: CapReason;
  /** The count call that can size this read (GET /{module}/actions/count); none when no count matches it. */
  count?: { path: string; query: Record<string, QueryValue> };
  perPage: number;
  /** 0 = all. */
  maxRecords: number;
  signal?: AbortSignal;
  passStatuses?: number[];
}

type PageAnswer = ZohoResponse<{ data?: unknown; info?: Record<string, unknown> }>;

interface Slot {
  promise: Promise<Fetched>;
  failed?: boolean;
}

/** Read pages as the planner allows, and hand them out in order. */
export async function* pagedRead(spec: PagedSpec): AsyncGenerator<RecordsPage, void, undefined> {
  const { client } = spec;
  const maxRecords = spec.maxRecords > 0 ? spec.maxRecords : Infinity;
  const planner = new PagePlanner({
    perPage: spec.perPage,
    maxRecords,
    reach: spec.reach,
    tokens: spec.tokens,
    window: Math.max(2, client.concurrency),
    countable: !!spec.count && client.concurrency > 1,
    numberedReach: (spec.style ?? CRM_PAGING).numberedReach,
  });
  const style = spec.style ?? CRM_PAGING;

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  const signal = controller.signal;
  /** This read's calls are one owner for the connection's fair queue. */
  const owner = {};

  const slots: Slot[] = [];
  /** Page tokens of each settled page (records are let go once handed out). */
  const tokensOf: Array<Array<string | undefined>> = [];
  let totalCount: number | undefined;

  const call = (k: number, chunk: number, fields: string[] | undefined): Promise<PageAnswer> => {
    const plan = planner.request(k);
    const token = "page" in plan ? undefined : tokensOf[plan.tokenOfPage][chunk];
    const query: Record<string, QueryValue> = { ...spec.query, ...(fields ? { fields: fields.join(",") } : {}), ...style.pageQuery(plan, token) };
    return client.request({ method: "GET", api: spec.api, path: spec.path, query, headers: spec.headers, signal, heavy: spec.heavy, passStatuses: spec.passStatuses, owner });
  };

  const askCount = () => {
    client
      .request<{ count?: unknown }>({ method: "GET", path: spec.count!.path, query: spec.count!.query, signal, heavy: spec.heavy, owner })
      .then((res) => {
        const n = Number(res.data?.count);
        if (res.status === 200 && Number.isInteger(n) && n >= 0) {
          totalCount = n;
          planner.setCount(n);
          pump();
        }
      })
      .catch(() => undefined); // without a count the read simply goes page by page
  };

  const start = (k: number) => {
    const promise = Promise.all(spec.chunks.map((fields, c) => call(k, c, fields))).then((answers) => {
      const fetched = mergeChunks(answers, (res) => style.readPage(res, planner.request(k)));
      tokensOf[k] = fetched.tokens;
      planner.settle(k, { more: fetched.more, received: fetched.records.length, tokensComplete: fetched.tokens.every((t) => !!t) });
      if (planner.wantsCount()) askCount();
      pump();
      return fetched;
    });
    const slot: Slot = { promise };
    promise.catch(() => {
      slot.failed = true; // reported when the consumer reaches this page
      planner.fail(k);
    });
    slots[k] = slot;
  };

  function pump(): void {
    if (!signal.aborted) for (const k of planner.startable()) start(k);
  }

  try {
    if (signal.aborted) throw abortError();
    pump();
    let delivered = 0;
    for (let k = 1; planner.final === undefined || k <= planner.final; k++) {
      const slot = slots[k];
      if (!slot) break; // defensive: nothing known to exist past here
      const fetched = await slot.promise;
      // Let the records go with the consumer: a settled promise would hold on to them.
      slot.promise = Promise.resolve({ ...fetched, records: [] });
      planner.consumed = k;
      pump();
      const records = delivered + fetched.records.length > maxRecords ? fetched.records.slice(0, maxRecords - delivered) : fetched.records;
      delivered += records.length;
      if (records.length > 0) {
        const page: RecordsPage = { records, page: k, info: fetched.info };
        if (planner.cappedAt === k) page.capped = capOf(spec.capReason, spec.reach);
        if (totalCount !== undefined) page.totalCount = totalCount;
        yield page;
      }
      if (delivered >= maxRecords) break;
    }
  } finally {
    spec.signal?.removeEventListener("abort", onAbort);
    controller.abort(); // nothing of this read keeps running
  }
}

export function recordsOf(res: PageAnswer): { records: ZohoRecord[]; info: PageInfo } {
  if (res.status === 204 || res.status === 304 || !res.data || typeof res.data !== "object") {
    return { records: [], info: { more_records: false, count: 0 } };
  }
  const data = Array.isArray(res.data.data) ? (res.data.data as ZohoRecord[]) : [];
  const raw = res.data.info && typeof res.data.info === "object" ? res.data.info : {};
  return { records: data, info: { ...raw, more_records: raw.more_records === true, count: typeof raw.count === "number" ? raw.count : data.length } };
}

/** One page read in several field chunks: chunk 0 gives the order, the others add their fields by id. */
export function mergeChunks(responses: PageAnswer[], read: (res: PageAnswer) => ReturnType<PagingStyle["readPage"]> = (res) => CRM_PAGING.readPage(res, { page: 1, perPage: 0 })): Fetched {
  const parts = responses.map(read);
  const first = parts[0];
  const tokens = parts.map((p) => p.token);
  if (parts.length > 1 && first.records.length > 0) {
    const byId = new Map<string, ZohoRecord>();
    for (const r of first.records) byId.set(String(r.id), r);
    for (const part of parts.slice(1)) {
      for (const r of part.records) {
        const target = byId.get(String(r.id));
        if (!target) continue; // changed between the calls; keep the first chunk's record set
        for (const key of Object.keys(r)) {
          if (key !== "__proto__") target[key] = r[key];
        }
      }
    }
  }
  return { records: first.records, info: first.info, more: first.more, tokens };
}
