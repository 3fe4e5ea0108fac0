/**
 * zoho-crm-write: create, update, upsert or delete the records in msg.payload. Output 1 gets the
 * records Zoho accepted, output 2 the ones it did not (or whose outcome is unknown), each paired
 * with Zoho's answer. The batching and the no-double-write policy live in zoho/writes.ts.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import {
  WriteOperation,
  WriteResult,
  ZohoError,
  invalidInput,
  isRecordObject,
  isWriteOperation,
  normaliseFieldList,
  normaliseTrigger,
  writeRecords,
} from "./zoho";
import { bulkWriteRecords } from "./zoho/bulk";
import { CreditsWatch, NodeJobs, catalogTranslator, connectionClient, connectionNode, errorStatus, evaluate, moduleName } from "./common/node-helpers";
import { Text, Translator, translateTexts } from "./zoho/texts";

interface WriteDef extends NodeDef {
  connection?: string;
  operation?: string;
  module?: string;
  moduleType?: string;
  duplicateCheckFields?: string;
  trigger?: unknown;
  /** create/update/upsert through Zoho's Bulk Write (a zipped CSV, one job per 25,000 records). */
  bulk?: boolean | string;
}

interface WriteSummary {
  module: string;
  operation: WriteOperation;
  total: number;
  succeeded: number;
  failed: number;
  /** API credits Zoho says are left, once it reports them. */
  creditsRemaining?: number;
}

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

export = function register(RED: NodeAPI): void {
  function ZohoCrmWrite(this: Node, def: WriteDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const translate = catalogTranslator(RED);
    const jobs = new NodeJobs(node, { quietWhenClosing: false, translate });
    /** Progress of the messages being written, for one status line across all of them. */
    const progress = new Map<object, { done: number; total: number }>();
    const credits = new CreditsWatch(
      node,
      connectionNode(RED, def.connection),
      (left) => RED._("zoho-crm-write.status.creditsLeft", { credits: left }),
      () => jobs.busy,
    );

    const showProgress = () => {
      let done = 0;
      let total = 0;
      for (const p of progress.values()) {
        done += p.done;
        total += p.total;
      }
      node.status({ fill: "blue", shape: "dot", text: RED._("zoho-crm-write.status.writing", { done, total }) });
    };

    async function handle(msg: NodeMessageInFlow, send: Send): Promise<ZohoError | undefined> {
      const operation = def.operation;
      if (!isWriteOperation(operation)) throw invalidInput("unknownOperation", { operation: String(operation) });
      const trigger = normaliseTrigger(def.trigger);
      const duplicateCheckFields = operation === "upsert" ? normaliseFieldList(def.duplicateCheckFields) : undefined;
      const { records, single } = payloadRecords(msg.payload, operation);
      const { config, client } = connectionClient(RED, def.connection);
      const module = moduleName(await evaluate(RED, node, def.module, def.moduleType, msg));
      if (records.length === 0) {
        // An empty array is nothing to do, not an error: no call, no output, done().
        node.status({ fill: "grey", shape: "ring", text: RED._("zoho-crm-write.status.nothing") });
        return undefined;
      }

      const key = {};
      progress.set(key, { done: 0, total: records.length });
      showProgress();
      let results: WriteResult[];
      const bulk = (def.bulk === true || def.bulk === "true") && operation !== "delete";
      try {
        results = bulk
          ? await bulkWriteRecords(client, {
              operation,
              module,
              records,
              findBy: operation === "upsert" ? duplicateCheckFields?.[0] ?? defaultFindBy(module) : undefined,
              signal: jobs.signal,
              onState: (state, id) => {
                if (state === "COMPLETED") return;
                node.status({ fill: "blue", shape: "ring", text: RED._("zoho-crm-write.status.bulkJob", { id, state: state.toLowerCase() }) });
              },
            })
          : await writeRecords(client, {
          operation,
          module,
          records,
          duplicateCheckFields,
          trigger,
          signal: jobs.signal,
          onProgress: (done, total) => {
            progress.set(key, { done, total });
            showProgress();
          },
        });
      } finally {
        progress.delete(key);
      }

      // Stopped while a bulk job ran: nothing waits for it, but the log says which job goes on in Zoho.
      const leftJobs = new Set(results.map((r) => (r.details as { jobId?: string } | undefined)?.jobId).filter((id): id is string => !!id));
      for (const id of leftJobs) node.warn(RED._("zoho-crm-write.warn.bulkLeft", { id }));
      const succeeded = results.filter((r) => r.ok).map((r) => resultForOutput(r, translate));
      const failed = results.filter((r) => !r.ok).map((r) => resultForOutput(r, translate));
      const summary: WriteSummary = { module, operation, total: records.length, succeeded: succeeded.length, failed: failed.length };
      const creditsRemaining = client.creditsRemaining ?? config.creditsRemaining;
      if (creditsRemaining !== undefined) summary.creditsRemaining = creditsRemaining;
      (msg as NodeMessage & { zoho?: WriteSummary }).zoho = summary;
      const out = (payload: unknown[]): NodeMessage | null =>
        payload.length ? ({ ...msg, payload: single ? payload[0] : payload, zoho: { ...summary } } as NodeMessage) : null;
      send([out(succeeded), out(failed)]);

      // A batch that failed as a whole is reported to Catch nodes, once per message.
      let requestError = results.find((r) => r.requestError)?.requestError;
      if (jobs.signal.aborted && failed.length > 0) requestError = stoppedError(results);
      if (requestError) {
        node.status(errorStatus(requestError));
      } else if (failed.length === 0) {
        const low = credits.low();
        if (low === undefined) node.status({ fill: "green", shape: "dot", text: RED._("zoho-crm-write.status.ok", { ok: succeeded.length }) });
        else node.status({ fill: "yellow", shape: "dot", text: RED._("zoho-crm-write.status.okLowCredits", { ok: succeeded.length, credits: low }) });
      } else {
        node.status({ fill: "yellow", shape: "ring", text: RED._("zoho-crm-write.status.partial", { ok: succeeded.length, failed: failed.length }) });
      }
      return requestError;
    }

    node.on("input", (msg: NodeMessageInFlow, send: Send, done: Done) => {
      jobs.run(credits, done, () => handle(msg, send));
    });

    // Stop promptly: batches not yet sent come out as ABORTED, batches in flight as OUTCOME_UNKNOWN,
    // and each message still reports every record (outputs and the log) before the node goes.
    node.on("close", (closed: () => void) => jobs.close(credits, closed));
  }

  RED.nodes.registerType("zoho-crm-write", ZohoCrmWrite as unknown as (this: Node, def: NodeDef) => void);
};

/** Zoho's default duplicate-check field of the common modules, for a bulk upsert without one set. */
function defaultFindBy(module: string): string {
  const byModule: Record<string, string> = { Leads: "Email", Contacts: "Email", Accounts: "Account_Name", Deals: "Deal_Name" };
  return byModule[module] ?? "Name";
}

/** msg.payload as a list of records, remembering whether it was a single record. */
function payloadRecords(payload: unknown, operation: WriteOperation): { records: unknown[]; single: boolean } {
  if (Array.isArray(payload)) {
    return { records: payload, single: false };
  }
  if (isRecordObject(payload)) return { records: [payload], single: true };
  if (operation === "delete" && (typeof payload === "string" || typeof payload === "number" || typeof payload === "bigint")) {
    return { records: [payload], single: true };
  }
  const got: Text =
    payload === null
      ? { key: "values.null" }
      : payload === undefined
        ? { key: "values.nothing" }
        : typeof payload === "object"
          ? { key: "values.notRecord" }
          : { key: "values.ofType", params: { type: typeof payload } };
  throw invalidInput(operation === "delete" ? "payloadDelete" : "payloadRecords", { got });
}

/** After close: what became of the message's records, for the log (nothing vanishes silently). */
function stoppedError(results: WriteResult[]): ZohoError {
  const count = (code: string) => results.filter((r) => r.code === code).length;
  const written = results.filter((r) => r.ok).length;
  return new ZohoError({
    code: "ABORTED",
    key: "stoppedWriting",
    params: {
      total: results.length,
      written,
      notSent: count("ABORTED"),
      unknown: count("OUTCOME_UNKNOWN"),
      rejected: results.length - written - count("ABORTED") - count("OUTCOME_UNKNOWN"),
    },
    advice: "",
  });
}

/** One entry of an output's payload: the input record and Zoho's answer for it, our texts in the runtime's language. */
function resultForOutput(r: WriteResult, translate: Translator): Record<string, unknown> {
  const out: Record<string, unknown> = { record: r.input, index: r.index };
  if (r.id !== undefined) out.id = r.id;
  if (r.action !== undefined) out.action = r.action;
  if (r.duplicateField !== undefined) out.duplicateField = r.duplicateField;
  out.code = r.code;
  const { message, advice } = translateTexts(r, translate);
  out.message = message;
  if (r.details !== undefined) out.details = r.details;
  if (!r.ok && advice) out.advice = advice;
  if (r.status !== undefined) out.httpStatus = r.status;
  return out;
}
