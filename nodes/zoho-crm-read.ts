/**
 * zoho-crm-read: list, get, search or COQL, with automatic paging. Output as one array, one message
 * per Zoho page, or one message per record (with msg.parts for a Join node). The paging itself
 * lives in zoho/records.ts; this file reads the settings, sends messages and shows progress.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { BulkState, DeletedType, ZohoClient, bulkReadPages, countRecords, deletedPages, invalidInput, relatedPages } from "./zoho";
import { render } from "./zoho/texts";
import {
  RecordsPage,
  ReadCap,
  ZohoRecord,
  bindCoqlParams,
  coqlPages,
  getRecord,
  listPages,
  parseFieldList,
  parseMaxRecords,
  recordIdOf,
  searchPages,
} from "./zoho/records";
import { CreditsWatch, NodeJobs, catalogTranslator, connectionClient, connectionNode, evaluate, moduleName } from "./common/node-helpers";
import type { Translator } from "./zoho/texts";
import type { ZohoConfigNode } from "./common/config-node";

interface ReadDef extends NodeDef {
  connection?: string;
  operation?: string;
  module?: string;
  moduleType?: string;
  fields?: string;
  fieldsType?: string;
  recordId?: string;
  recordIdType?: string;
  searchBy?: string;
  searchValue?: string;
  searchValueType?: string;
  query?: string;
  queryType?: string;
  sortBy?: string;
  sortOrder?: string;
  cvid?: string;
  modifiedSince?: string;
  modifiedSinceType?: string;
  maxRecords?: string | number;
  output?: string;
  criteria?: string;
  criteriaType?: string;
  relatedList?: string;
  relatedListType?: string;
  deletedType?: string;
}

type Operation = "list" | "get" | "search" | "coql" | "bulk" | "related" | "deleted" | "count";
type Output = "array" | "page" | "record";
const OPERATIONS: readonly Operation[] = ["list", "get", "search", "coql", "bulk", "related", "deleted", "count"];
const OUTPUTS: readonly Output[] = ["array", "page", "record"];
const SEARCH_BY = ["criteria", "email", "phone", "word"] as const;

/** Longest text accepted from a message for one setting (a COQL query or criteria is far shorter). */
const MAX_TEXT = 100_000;
const MAX_FIELDS = 1000;
const STATUS_INTERVAL_MS = 500;

/** What every output message carries in msg.zoho. */
interface ZohoMeta {
  module?: string;
  operation: Operation;
  /** Number of the Zoho page this message comes from (array mode: pages read). */
  page?: number;
  /** Zoho's info object of that page (array mode: of the last page), page tokens left out. */
  info?: Record<string, unknown>;
  /** Records sent so far, including this message's. */
  count: number;
  /** Zoho's record count when the read started (list and search, when it was asked for). */
  totalCount?: number;
  capped: boolean;
  cap?: { reason: string; limit: number; message: string };
  creditsRemaining?: number;
}

type Send = (msg: NodeMessage | NodeMessage[]) => void;
type Done = (err?: Error) => void;
type PartsMsg = NodeMessage & { parts?: Record<string, unknown>; zoho?: ZohoMeta };

/** A setting that may come from the message: its value and its TypedInput type. */
interface Typed {
  value: unknown;
  type: unknown;
}

/** The node's settings, read once when it starts. */
interface ReadSettings {
  connection: unknown;
  /** The operation as configured; `operation` falls back to list when it is unknown. */
  configuredOperation: unknown;
  operation: Operation;
  output: Output;
  module: Typed;
  fields: Typed;
  recordId: Typed;
  searchBy: (typeof SEARCH_BY)[number];
  searchValue: Typed;
  query: Typed;
  sortBy?: string;
  sortOrder?: string;
  cvid?: string;
  modifiedSince: Typed;
  criteria: Typed;
  relatedList: Typed;
  deletedType: DeletedType;
  maxRecords: unknown;
}

function readSettings(def: ReadDef): ReadSettings {
  return {
    connection: def.connection,
    configuredOperation: def.operation,
    operation: OPERATIONS.includes(def.operation as Operation) ? (def.operation as Operation) : "list",
    output: OUTPUTS.includes(def.output as Output) ? (def.output as Output) : "array",
    module: { value: def.module, type: def.moduleType },
    fields: { value: def.fields, type: def.fieldsType },
    recordId: { value: def.recordId, type: def.recordIdType },
    searchBy: (SEARCH_BY as readonly string[]).includes(def.searchBy ?? "") ? (def.searchBy as (typeof SEARCH_BY)[number]) : "criteria",
    searchValue: { value: def.searchValue, type: def.searchValueType },
    query: { value: def.query, type: def.queryType },
    sortBy: def.sortBy || undefined,
    sortOrder: def.sortOrder || undefined,
    cvid: def.cvid || undefined,
    modifiedSince: { value: def.modifiedSince, type: def.modifiedSinceType },
    criteria: { value: def.criteria, type: def.criteriaType || "json" },
    relatedList: { value: def.relatedList, type: def.relatedListType || "str" },
    deletedType: def.deletedType === "recycle" || def.deletedType === "permanent" ? def.deletedType : "all",
    maxRecords: def.maxRecords,
  };
}

/** What a read needs from its node. */
interface ReadContext {
  RED: NodeAPI;
  node: Node;
  settings: ReadSettings;
  jobs: NodeJobs;
  credits: CreditsWatch;
  translate: Translator;
}

export = function register(RED: NodeAPI): void {
  function ZohoCrmRead(this: Node, def: ReadDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = readSettings(def);
    const translate = catalogTranslator(RED);
    const jobs = new NodeJobs(node, { quietWhenClosing: true, translate });
    const credits = new CreditsWatch(
      node,
      connectionNode(RED, def.connection),
      (left) => RED._("zoho-crm-read.status.creditsLeft", { credits: left }),
      () => jobs.busy,
    );
    const context: ReadContext = { RED, node, settings, jobs, credits, translate };

    node.on("input", (msg: NodeMessageInFlow, send: Send, done: Done) => {
      jobs.run(credits, done, () => new ReadRun(context, msg, send).run());
    });
    node.on("close", (closed: () => void) => jobs.close(credits, closed));
  }

  RED.nodes.registerType("zoho-crm-read", ZohoCrmRead as unknown as (this: Node, def: NodeDef) => void);
};

/** One input message: the settings evaluated against it, the read, the messages and the status. */
class ReadRun {
  private count = 0;
  private lastStatus = 0;
  /** Bulk export: the job being read (for the status and the log when stopped). */
  private jobId?: string;
  private config!: ZohoConfigNode;
  private client!: ZohoClient;

  constructor(
    private readonly ctx: ReadContext,
    private readonly msg: NodeMessageInFlow,
    private readonly send: Send,
  ) {}

  async run(): Promise<void> {
    const { settings, node } = this.ctx;
    if (!OPERATIONS.includes(settings.configuredOperation as Operation)) throw invalidInput("unknownOperation", { operation: String(settings.configuredOperation) });
    ({ config: this.config, client: this.client } = connectionClient(this.ctx.RED, settings.connection));
    if (settings.operation === "get") return this.getOne();
    if (settings.operation === "count") return this.countOnly();
    const { module, pages } = await this.open();
    node.status({ fill: "blue", shape: "dot", text: "zoho-crm-read.status.reading" });
    let cap: ReadCap | undefined;
    try {
      cap = settings.output === "array" ? await this.sendArray(module, pages) : await this.sendSequence(module, pages);
    } catch (err) {
      // Stopped during a bulk export: nothing waits for the job; the log says which one it was.
      if (this.jobId && this.ctx.jobs.closing) node.warn(this.ctx.RED._("zoho-crm-read.warn.bulkLeft", { id: this.jobId }));
      throw err;
    }
    if (cap) {
      node.status({ fill: "yellow", shape: "dot", text: this.ctx.RED._("zoho-crm-read.status.capped", { count: this.count, limit: cap.limit }) });
    } else {
      this.doneStatus(this.count);
    }
  }

  private async getOne(): Promise<void> {
    const { settings, node, jobs } = this.ctx;
    const module = moduleName(await this.property("module", settings.module));
    const id = recordIdOf(await this.property("recordId", settings.recordId));
    const fields = fieldList(await this.property("fields", settings.fields));
    node.status({ fill: "blue", shape: "dot", text: "zoho-crm-read.status.reading" });
    const record = await getRecord(this.client, module, id, fields, { signal: jobs.signal });
    const out = this.msg as PartsMsg;
    out.payload = record ?? null;
    out.zoho = this.meta({ module, count: record ? 1 : 0, capped: false });
    this.send(out);
    this.doneStatus(record ? 1 : 0);
  }

  /** count: one call, msg.payload the number. */
  private async countOnly(): Promise<void> {
    const { settings, node, jobs } = this.ctx;
    const module = moduleName(await this.property("module", settings.module));
    const value = settings.searchValue.value === "" || settings.searchValue.value === undefined ? undefined : await this.property("search value", settings.searchValue);
    const by = settings.searchBy;
    node.status({ fill: "blue", shape: "dot", text: "zoho-crm-read.status.reading" });
    const n = await countRecords(this.client, { module, [by]: value === undefined || value === null || value === "" ? undefined : by === "criteria" ? value : String(value), cvid: settings.cvid, signal: jobs.signal });
    const out = this.msg as PartsMsg;
    out.payload = n;
    out.zoho = this.meta({ module, count: n, capped: false });
    this.send(out);
    this.doneStatus(n);
  }

  /** Array output: one message with every record. */
  private async sendArray(module: string | undefined, pages: AsyncIterable<RecordsPage>): Promise<ReadCap | undefined> {
    const all: ZohoRecord[] = [];
    let last: RecordsPage | undefined;
    let cap: ReadCap | undefined;
    for await (const page of pages) {
      for (const r of page.records) all.push(r);
      this.count = all.length;
      last = page;
      cap = page.capped ?? cap;
      this.progress();
    }
    const out = this.msg as PartsMsg;
    out.payload = all;
    out.zoho = this.meta({
      module,
      page: last?.page ?? 0,
      info: last ? publicInfo(last.info) : undefined,
      count: this.count,
      totalCount: last?.totalCount,
      capped: !!cap,
      cap: cap && this.capFor(cap),
    });
    this.send(out);
    return cap;
  }

  /** Page and record output: a sequence with msg.parts, so a Join node can rebuild the array. */
  private async sendSequence(module: string | undefined, pages: AsyncIterable<RecordsPage>): Promise<ReadCap | undefined> {
    const { RED, settings, jobs } = this.ctx;
    // One message is held back until the next one exists, so the last one can carry parts.count.
    const partsId = RED.util.generateId();
    const { payload: _payload, parts: outerParts, ...base } = this.msg as PartsMsg;
    let pending: PartsMsg | undefined;
    let index = 0;
    let cap: ReadCap | undefined;
    const emit = (payload: unknown, page: RecordsPage, len: number) => {
      const m = RED.util.cloneMessage(base as NodeMessage) as PartsMsg;
      m.payload = payload;
      m.parts = { id: partsId, index: index++, type: "array", len };
      if (outerParts) m.parts.parts = outerParts;
      m.zoho = this.meta({
        module,
        page: page.page,
        info: publicInfo(page.info),
        count: this.count,
        totalCount: page.totalCount,
        capped: !!page.capped,
        cap: page.capped && this.capFor(page.capped),
      });
      if (pending) this.send(pending);
      pending = m;
    };
    try {
      for await (const page of pages) {
        cap = page.capped ?? cap;
        if (settings.output === "page") {
          this.count += page.records.length;
          // len > 1 tells a Join node to concatenate the pages into one array of records.
          emit(page.records, page, Math.max(2, page.records.length));
        } else {
          for (const record of page.records) {
            this.count++;
            emit(record, page, 1);
          }
        }
        this.progress();
        // Let Node-RED deliver this page's messages before the next page is turned into more.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      // Records already read still go out (without parts.count: the sequence is incomplete).
      if (pending && !jobs.closing) this.send(pending);
      throw err;
    }
    if (pending) {
      const last: PartsMsg = pending;
      last.parts!.count = index;
      this.send(last);
    }
    return cap;
  }

  /** The paged read this node's operation asks for, with its settings evaluated against msg. */
  private async open(): Promise<{ module?: string; pages: AsyncIterable<RecordsPage> }> {
    const { settings, jobs } = this.ctx;
    const client = this.client;
    const signal = jobs.signal;
    const maxRecords = parseMaxRecords((this.msg as { maxRecords?: unknown }).maxRecords ?? settings.maxRecords);
    if (settings.operation === "coql") {
      const written = await this.property("query", settings.query);
      if (typeof written !== "string" || !written.trim()) throw invalidInput("noCoqlQueryInNode");
      // Values for :name placeholders come quoted from msg.queryParams, never pasted into the text.
      const params = (this.msg as { queryParams?: unknown }).queryParams;
      const query = params === undefined ? written : bindCoqlParams(written, params);
      if (query.length > MAX_TEXT) throw invalidInput("queryTooLong", { length: query.length });
      return { module: /\bfrom\s+([A-Za-z][A-Za-z0-9_]*)/i.exec(query)?.[1], pages: coqlPages(client, { query, maxRecords, signal }) };
    }
    const module = moduleName(await this.property("module", settings.module));
    const fields = fieldList(await this.property("fields", settings.fields));
    if (settings.operation === "bulk") {
      const raw = settings.criteria.value === "" || settings.criteria.value === undefined ? undefined : await this.property("criteria", settings.criteria);
      const criteria = typeof raw === "string" ? parseJsonCriteria(raw) : raw;
      const { RED, node } = this.ctx;
      const onState = (state: BulkState, id: string) => {
        if (state === "DOWNLOADING") node.status({ fill: "blue", shape: "dot", text: RED._("zoho-crm-read.status.bulkDownloading", { id }) });
        else node.status({ fill: "blue", shape: "ring", text: RED._("zoho-crm-read.status.bulkQueued", { id, state: state.toLowerCase() }) });
        this.jobId = id;
      };
      return { module, pages: bulkReadPages(client, { module, fields, criteria, cvid: settings.cvid, maxRecords, signal, onState }) };
    }
    if (settings.operation === "related") {
      const recordId = recordIdOf(await this.property("recordId", settings.recordId));
      const relatedList = await this.property("relatedList", settings.relatedList);
      if (typeof relatedList !== "string") throw invalidInput("relatedList");
      return { module, pages: relatedPages(client, { module, recordId, relatedList, fields, maxRecords, signal }) };
    }
    if (settings.operation === "deleted") {
      const modifiedSince = await this.property("modifiedSince", settings.modifiedSince);
      return { module, pages: deletedPages(client, { module, type: settings.deletedType, modifiedSince: modifiedSince as string | number | Date | undefined, maxRecords, signal }) };
    }
    if (settings.operation === "search") {
      const by = settings.searchBy;
      const value = await this.property("search value", settings.searchValue);
      if (value === undefined || value === null || (typeof value === "string" && !value.trim())) {
        throw invalidInput("noSearchValue", { by });
      }
      if (by !== "criteria" && typeof value !== "string" && typeof value !== "number") throw invalidInput("searchValueNotText", { by });
      if (by === "criteria" && typeof value !== "string" && (typeof value !== "object" || value === null)) {
        throw invalidInput("searchCriteriaType");
      }
      return { module, pages: searchPages(client, { module, [by]: by === "criteria" ? value : String(value), fields, maxRecords, signal }) };
    }
    const modifiedSince = await this.property("modifiedSince", settings.modifiedSince);
    if (modifiedSince !== undefined && modifiedSince !== null && modifiedSince !== "" && !(modifiedSince instanceof Date) && typeof modifiedSince !== "string" && typeof modifiedSince !== "number") {
      throw invalidInput("modifiedSinceType");
    }
    return {
      module,
      pages: listPages(client, {
        module,
        fields,
        sortBy: settings.sortBy,
        sortOrder: settings.sortOrder,
        cvid: settings.cvid,
        modifiedSince: modifiedSince as string | number | Date | undefined,
        maxRecords,
        signal,
      }),
    };
  }

  /** A setting evaluated against the message (TypedInput), with a length limit for text. */
  private async property(name: string, setting: Typed): Promise<unknown> {
    const v = await evaluate(this.ctx.RED, this.ctx.node, setting.value, setting.type, this.msg);
    if (typeof v === "string" && v.length > MAX_TEXT) throw invalidInput("tooLong", { name, length: v.length });
    return v;
  }

  private meta(extra: Omit<ZohoMeta, "operation" | "creditsRemaining">): ZohoMeta {
    const m: ZohoMeta = { ...extra, operation: this.ctx.settings.operation };
    const credits = this.client.creditsRemaining ?? this.config.creditsRemaining;
    if (credits !== undefined) m.creditsRemaining = credits;
    return m;
  }

  /** A read's cap for msg.zoho, its message in the runtime's language. */
  private capFor(cap: ReadCap): ReadCap {
    return { ...cap, message: render({ key: `caps.${cap.reason}` }, this.ctx.translate) };
  }

  /** The records so far, at most every STATUS_INTERVAL_MS. */
  private progress(): void {
    const now = Date.now();
    if (now - this.lastStatus < STATUS_INTERVAL_MS) return;
    this.lastStatus = now;
    const { RED, node } = this.ctx;
    if (this.jobId) node.status({ fill: "blue", shape: "dot", text: RED._("zoho-crm-read.status.bulkProgress", { id: this.jobId, count: this.count }) });
    else node.status({ fill: "blue", shape: "dot", text: RED._("zoho-crm-read.status.progress", { count: this.count }) });
  }

  /** Green "N records", or yellow with the credits left when the connection runs low. */
  private doneStatus(count: number): void {
    const { RED, node, credits } = this.ctx;
    const low = credits.low();
    if (low === undefined) node.status({ fill: "green", shape: "dot", text: RED._("zoho-crm-read.status.done", { count }) });
    else node.status({ fill: "yellow", shape: "dot", text: RED._("zoho-crm-read.status.lowCredits", { count, credits: low }) });
  }
}

/** Bulk criteria typed as JSON text. */
function parseJsonCriteria(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw invalidInput("bulkCriteria");
  }
}

function fieldList(value: unknown): string[] {
  const fields = parseFieldList(value);
  if (fields.length > MAX_FIELDS) throw invalidInput("tooManyFields", { number: fields.length });
  return fields;
}

/** Zoho's page info for msg.zoho, without page tokens (they are bound to the connection's user). */
function publicInfo(info: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(info)) {
    if (!/token/i.test(key)) out[key] = info[key];
  }
  return out;
}

