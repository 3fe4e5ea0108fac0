/**
 * zoho-crm-read: list, get, search or COQL, with automatic paging. Output as one array, one message
 * per Zoho page, or one message per record (with msg.parts for a Join node). The paging itself
 * lives in zoho/records.ts; this file reads the settings, sends messages and shows progress.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { ZohoClient, invalidInput } from "./zoho";
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
}

type Operation = "list" | "get" | "search" | "coql";
type Output = "array" | "page" | "record";
const OPERATIONS: readonly Operation[] = ["list", "get", "search", "coql"];
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

export = function register(RED: NodeAPI): void {
  function ZohoCrmRead(this: Node, def: ReadDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const translate = catalogTranslator(RED);
    const jobs = new NodeJobs(node, { quietWhenClosing: true, translate });

    const operation: Operation = OPERATIONS.includes(def.operation as Operation) ? (def.operation as Operation) : "list";
    const output: Output = OUTPUTS.includes(def.output as Output) ? (def.output as Output) : "array";
    const credits = new CreditsWatch(
      node,
      connectionNode(RED, def.connection),
      (left) => RED._("zoho-crm-read.status.creditsLeft", { credits: left }),
      () => jobs.busy,
    );

    /** Green "N records", or yellow with the credits left when the connection runs low. */
    const doneStatus = (count: number) => {
      const low = credits.low();
      if (low === undefined) node.status({ fill: "green", shape: "dot", text: RED._("zoho-crm-read.status.done", { count }) });
      else node.status({ fill: "yellow", shape: "dot", text: RED._("zoho-crm-read.status.lowCredits", { count, credits: low }) });
    };

    const property = (name: string, value: unknown, type: unknown, msg: NodeMessageInFlow) =>
      evaluate(RED, node, value, type, msg).then((v) => {
        if (typeof v === "string" && v.length > MAX_TEXT) throw invalidInput("tooLong", { name, length: v.length });
        return v;
      });

    async function handle(msg: NodeMessageInFlow, send: Send): Promise<void> {
      if (!OPERATIONS.includes(def.operation as Operation)) throw invalidInput("unknownOperation", { operation: String(def.operation) });
      const { config, client } = connectionClient(RED, def.connection);
      const signal = jobs.signal;
      const meta = (extra: Omit<ZohoMeta, "operation" | "creditsRemaining">): ZohoMeta => {
        const m: ZohoMeta = { ...extra, operation };
        const credits = client.creditsRemaining ?? (config as ZohoConfigNode).creditsRemaining;
        if (credits !== undefined) m.creditsRemaining = credits;
        return m;
      };

      if (operation === "get") {
        const module = moduleName(await property("module", def.module, def.moduleType, msg));
        const id = recordIdOf(await property("recordId", def.recordId, def.recordIdType, msg));
        const fields = fieldList(await property("fields", def.fields, def.fieldsType, msg));
        node.status({ fill: "blue", shape: "dot", text: "zoho-crm-read.status.reading" });
        const record = await getRecord(client, module, id, fields, { signal });
        const out = msg as PartsMsg;
        out.payload = record ?? null;
        out.zoho = meta({ module, count: record ? 1 : 0, capped: false });
        send(out);
        doneStatus(record ? 1 : 0);
        return;
      }

      const { module, pages } = await openRead(msg, client, signal);
      let count = 0;
      let lastStatus = 0;
      const progress = (force = false) => {
        const now = Date.now();
        if (!force && now - lastStatus < STATUS_INTERVAL_MS) return;
        lastStatus = now;
        node.status({ fill: "blue", shape: "dot", text: RED._("zoho-crm-read.status.progress", { count }) });
      };
      node.status({ fill: "blue", shape: "dot", text: "zoho-crm-read.status.reading" });

      let cap: ReadCap | undefined;
      if (output === "array") {
        const all: ZohoRecord[] = [];
        let last: RecordsPage | undefined;
        for await (const page of pages) {
          for (const r of page.records) all.push(r);
          count = all.length;
          last = page;
          cap = page.capped ?? cap;
          progress();
        }
        const out = msg as PartsMsg;
        out.payload = all;
        out.zoho = meta({
          module,
          page: last?.page ?? 0,
          info: last ? publicInfo(last.info) : undefined,
          count,
          totalCount: last?.totalCount,
          capped: !!cap,
          cap: cap && capFor(cap),
        });
        send(out);
      } else {
        // One message is held back until the next one exists, so the last one can carry parts.count.
        const partsId = RED.util.generateId();
        const { payload: _payload, parts: outerParts, ...base } = msg as PartsMsg;
        let pending: PartsMsg | undefined;
        let index = 0;
        const emit = (payload: unknown, page: RecordsPage, len: number) => {
          const m = RED.util.cloneMessage(base as NodeMessage) as PartsMsg;
          m.payload = payload;
          m.parts = { id: partsId, index: index++, type: "array", len };
          if (outerParts) m.parts.parts = outerParts;
          m.zoho = meta({
            module,
            page: page.page,
            info: publicInfo(page.info),
            count,
            totalCount: page.totalCount,
            capped: !!page.capped,
            cap: page.capped && capFor(page.capped),
          });
          if (pending) send(pending);
          pending = m;
        };
        try {
          for await (const page of pages) {
            cap = page.capped ?? cap;
            if (output === "page") {
              count += page.records.length;
              // len > 1 tells a Join node to concatenate the pages into one array of records.
              emit(page.records, page, Math.max(2, page.records.length));
            } else {
              for (const record of page.records) {
                count++;
                emit(record, page, 1);
              }
            }
            progress();
            // Let Node-RED deliver this page's messages before the next page is turned into more.
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        } catch (err) {
          // Records already read still go out (without parts.count: the sequence is incomplete).
          if (pending && !jobs.closing) send(pending);
          throw err;
        }
        if (pending) {
          const last: PartsMsg = pending;
          last.parts!.count = index;
          send(last);
        }
      }
      if (cap) {
        node.status({ fill: "yellow", shape: "dot", text: RED._("zoho-crm-read.status.capped", { count, limit: cap.limit }) });
      } else {
        doneStatus(count);
      }
    }

    /** A read's cap for msg.zoho, its message in the runtime's language. */
    const capFor = (cap: ReadCap) => ({ ...cap, message: render({ key: `caps.${cap.reason}` }, translate) });

    /** The paged read this node's operation asks for, with its settings evaluated against msg. */
    async function openRead(msg: NodeMessageInFlow, client: ZohoClient, signal: AbortSignal): Promise<{ module?: string; pages: AsyncIterable<RecordsPage> }> {
      const maxRecords = parseMaxRecords((msg as { maxRecords?: unknown }).maxRecords ?? def.maxRecords);
      if (operation === "coql") {
        const written = await property("query", def.query, def.queryType, msg);
        if (typeof written !== "string" || !written.trim()) throw invalidInput("noCoqlQueryInNode");
        // Values for :name placeholders come quoted from msg.queryParams, never pasted into the text.
        const params = (msg as { queryParams?: unknown }).queryParams;
        const query = params === undefined ? written : bindCoqlParams(written, params);
        if (query.length > MAX_TEXT) throw invalidInput("queryTooLong", { length: query.length });
        return { module: /\bfrom\s+([A-Za-z][A-Za-z0-9_]*)/i.exec(query)?.[1], pages: coqlPages(client, { query, maxRecords, signal }) };
      }
      const module = moduleName(await property("module", def.module, def.moduleType, msg));
      const fields = fieldList(await property("fields", def.fields, def.fieldsType, msg));
      if (operation === "search") {
        const by = (SEARCH_BY as readonly string[]).includes(def.searchBy ?? "") ? (def.searchBy as (typeof SEARCH_BY)[number]) : "criteria";
        const value = await property("search value", def.searchValue, def.searchValueType, msg);
        if (value === undefined || value === null || (typeof value === "string" && !value.trim())) {
          throw invalidInput("noSearchValue", { by });
        }
        if (by !== "criteria" && typeof value !== "string" && typeof value !== "number") throw invalidInput("searchValueNotText", { by });
        if (by === "criteria" && typeof value !== "string" && (typeof value !== "object" || value === null)) {
          throw invalidInput("searchCriteriaType");
        }
        return { module, pages: searchPages(client, { module, [by]: by === "criteria" ? value : String(value), fields, maxRecords, signal }) };
      }
      const modifiedSince = await property("modifiedSince", def.modifiedSince, def.modifiedSinceType, msg);
      if (modifiedSince !== undefined && modifiedSince !== null && modifiedSince !== "" && !(modifiedSince instanceof Date) && typeof modifiedSince !== "string" && typeof modifiedSince !== "number") {
        throw invalidInput("modifiedSinceType");
      }
      return {
        module,
        pages: listPages(client, {
          module,
          fields,
          sortBy: def.sortBy || undefined,
          sortOrder: def.sortOrder || undefined,
          cvid: def.cvid || undefined,
          modifiedSince: modifiedSince as string | number | Date | undefined,
          maxRecords,
          signal,
        }),
      };
    }

    node.on("input", (msg: NodeMessageInFlow, send: Send, done: Done) => {
      jobs.run(credits, done, () => handle(msg, send));
    });

    node.on("close", (closed: () => void) => jobs.close(credits, closed));
  }

  RED.nodes.registerType("zoho-crm-read", ZohoCrmRead as unknown as (this: Node, def: NodeDef) => void);
};

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

