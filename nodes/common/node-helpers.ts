/** Glue shared by the flow nodes: TypedInput evaluation, connection lookup, error reporting. */
import { setMaxListeners } from "events";
import type { Node, NodeAPI, NodeMessage } from "node-red";
import { ZohoClient, ZohoError, isModuleName } from "../zoho";
import { Translator, render } from "../zoho/texts";
import { ZohoConfigNode, lowCredits } from "./config-node";

export const TYPED_INPUT_TYPES = ["str", "msg", "flow", "global", "env"] as const;

/** Evaluate a TypedInput property (async: flow/global context stores may be async). */
export function evaluate(RED: NodeAPI, node: Node, value: unknown, type: unknown, msg: NodeMessage): Promise<unknown> {
  const t = typeof type === "string" && type ? type : "str";
  if (!(TYPED_INPUT_TYPES as readonly string[]).includes(t) && t !== "num" && t !== "json" && t !== "jsonata") {
    return Promise.reject(new ZohoError({ code: "INVALID_INPUT", key: "propertyType", params: { type: t }, advice: "" }));
  }
  return new Promise((resolve, reject) => {
    try {
      RED.util.evaluateNodeProperty(String(value ?? ""), t, node, msg, (err: Error | null, result: unknown) => {
        if (err) reject(new ZohoError({ code: "INVALID_INPUT", message: err.message, advice: "" }));
        else resolve(result);
      });
    } catch (err) {
      reject(new ZohoError({ code: "INVALID_INPUT", message: err instanceof Error ? err.message : String(err), advice: "" }));
    }
  });
}

/** The connection's shared client, or a ZohoError saying what is missing. */
export function connectionClient(RED: NodeAPI, connectionId: unknown): { config: ZohoConfigNode; client: ZohoClient } {
  const config = connectionNode(RED, connectionId);
  if (!config) {
    throw new ZohoError({ code: "NO_CONNECTION", key: "noConnection" });
  }
  return { config, client: config.getClient() };
}

/** Short status text for an error: Zoho's code, within Node-RED's ~20-character guideline where possible. */
export function errorStatus(err: unknown): { fill: "red"; shape: "ring"; text: string } {
  const code = err instanceof ZohoError ? err.code : "error";
  return { fill: "red", shape: "ring", text: code.length > 32 ? code.slice(0, 32) : code };
}

/**
 * Our texts (TEXTS in zoho/texts.ts) in the runtime's language: `zoho.<key>` in the node's catalog,
 * where the build merges locales/<lang>/zoho-errors.json into every node's catalog. A key the
 * catalog lacks comes back as the key itself (from i18next, or from a test helper's RED._), and
 * then the English is used.
 */
export function catalogTranslator(RED: NodeAPI): Translator {
  return (key, params) => {
    const id = `zoho.${key}`;
    const text = RED._(id, params);
    return typeof text === "string" && text && text !== id ? text : undefined;
  };
}

/**
 * Any thrown value as an Error for done(), whose message is safe to show (ZohoErrors never hold
 * secrets): a ZohoError with our message and advice in the runtime's language, its code kept.
 */
export function asError(err: unknown, translate?: Translator): Error {
  if (err instanceof ZohoError) return translate ? err.translated(translate) : err;
  if (err instanceof Error) return err;
  return new Error(typeof err === "string" ? err : render({ key: "errors.unexpected" }, translate));
}

/** Non-empty trimmed string or undefined. */
export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const s = String(value).trim();
  return s ? s : undefined;
}


export function moduleName(value: unknown): string {
  const name = text(value);
  if (!name) throw new ZohoError({ code: "INVALID_INPUT", key: "noModule", advice: "setModuleNodeOrMsg" });
  if (!isModuleName(name)) {
    throw new ZohoError({ code: "INVALID_MODULE", key: "notModuleName", params: { name: name.length > 60 ? name.slice(0, 60) + "…" : name } });
  }
  return name;
}

/**
 * Keeps a node's status honest about the connection's API credits: while the node is idle and not
 * showing an error, a report of low credits (from any node on the connection) turns its status
 * into a yellow "credits left" warning, and a recovery clears that warning again.
 */
export class CreditsWatch {
  private errorShown = false;
  private warningShown = false;
  private readonly onCredits = () => this.update();

  constructor(
    private readonly node: Node,
    private readonly config: ZohoConfigNode | null,
    private readonly warningText: (credits: number) => string,
    private readonly busy: () => boolean,
  ) {
    (config as unknown as NodeJS.EventEmitter | null)?.on("credits", this.onCredits);
  }

  /** The credits left when they are below the threshold (for the node's own final status). */
  low(): number | undefined {
    return lowCredits(this.config ?? undefined);
  }

  /** Tell the watch what the node's status shows now. */
  shown(kind: "error" | "result"): void {
    this.errorShown = kind === "error";
    this.warningShown = false;
  }

  dispose(): void {
    (this.config as unknown as NodeJS.EventEmitter | null)?.removeListener("credits", this.onCredits);
  }

  private update(): void {
    if (this.busy() || this.errorShown) return;
    const low = this.low();
    if (low !== undefined) {
      this.node.status({ fill: "yellow", shape: "ring", text: this.warningText(low) });
      this.warningShown = true;
    } else if (this.warningShown) {
      this.node.status({});
      this.warningShown = false;
    }
  }
}

/** The connection node a flow node's `connection` property names, if deployed. */
export function connectionNode(RED: NodeAPI, connectionId: unknown): ZohoConfigNode | null {
  const config = typeof connectionId === "string" && connectionId ? (RED.nodes.getNode(connectionId) as ZohoConfigNode | null) : null;
  return config && typeof config.getClient === "function" ? config : null;
}

/**
 * The life of a flow node's input messages: each runs as a job under the node's one abort signal;
 * on close the jobs are aborted and awaited (so every record is reported) before the node closes.
 */
export class NodeJobs {
  private readonly abort = new AbortController();
  private readonly jobs = new Set<Promise<void>>();
  /** Set on close: a read stopped by a redeploy is not an error to catch. */
  closing = false;

  constructor(
    private readonly node: Node,
    private readonly options: { quietWhenClosing: boolean; translate: Translator },
  ) {
    setMaxListeners(0, this.abort.signal); // every read/batch in flight listens to it
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get busy(): boolean {
    return this.jobs.size > 0;
  }

  /**
   * Run one message. `run` resolves with an error for Catch nodes (its status already shown) or
   * nothing; a rejection shows a red status and goes to Catch. Catch nodes get our texts in the
   * runtime's language, with the same msg.error.code in every language.
   */
  run(credits: CreditsWatch, done: (err?: Error) => void, run: () => Promise<Error | void>): void {
    const job = run()
      .then(
        (requestError) => {
          credits.shown(requestError ? "error" : "result");
          if (requestError) done(asError(requestError, this.options.translate));
          else done();
        },
        (err: unknown) => {
          if (this.closing && this.options.quietWhenClosing) return done();
          this.node.status(errorStatus(err));
          credits.shown("error");
          done(asError(err, this.options.translate));
        },
      )
      .finally(() => this.jobs.delete(job));
    this.jobs.add(job);
  }

  /** Wire to node.on("close"): abort everything, wait for the jobs, clear the status. */
  close(credits: CreditsWatch, closed: () => void): void {
    this.closing = true;
    credits.dispose();
    this.abort.abort();
    Promise.allSettled([...this.jobs]).then(() => {
      this.node.status({});
      closed();
    });
  }
}
