/**
 * zoho-api: call any Zoho API with a connection — Zoho CRM (notes, attachments, related lists,
 * conversion, tags, users…) or Zoho Desk. The request building, host confinement, retry policy and
 * paging live in zoho/api.ts; this file reads the settings, evaluates TypedInputs, sends the answer.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { ApiMethod, ZohoService, callApi, fillPath, invalidInput, isApiMethod } from "./zoho";
import { CreditsWatch, NodeJobs, catalogTranslator, connectionClient, connectionNode, evaluate } from "./common/node-helpers";

interface ApiDef extends NodeDef {
  connection?: string;
  service?: string;
  orgId?: string;
  orgIdType?: string;
  method?: string;
  path?: string;
  pathType?: string;
  paginate?: boolean | string;
}

type Send = (msg: NodeMessage) => void;
type Done = (err?: Error) => void;
type ApiMsg = NodeMessageInFlow & { method?: unknown; query?: unknown; headers?: unknown; statusCode?: number };

export = function register(RED: NodeAPI): void {
  function ZohoApi(this: Node, def: ApiDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const service: ZohoService = def.service === "desk" ? "desk" : "crm";
    const paginate = def.paginate === true || def.paginate === "true";
    const translate = catalogTranslator(RED);
    const jobs = new NodeJobs(node, { quietWhenClosing: true, translate });
    const credits = new CreditsWatch(node, connectionNode(RED, def.connection), (left) => RED._("zoho-api.status.creditsLeft", { credits: left }), () => jobs.busy);

    async function handle(msg: ApiMsg, send: Send): Promise<void> {
      const { client } = connectionClient(RED, def.connection);
      const rawMethod = def.method === "msg" ? msg.method : def.method || "GET";
      if (!isApiMethod(rawMethod)) throw invalidInput("apiMethod", { method: String(rawMethod).slice(0, 20) });
      const method = String(rawMethod).toUpperCase() as ApiMethod;
      const template = await evaluate(RED, node, def.path, def.pathType, msg);
      if (typeof template !== "string" || !template.trim()) throw invalidInput("apiPathInvalid");
      // {{name}} placeholders take msg properties, URL-encoded, like the core http request node's URL.
      const path = fillPath(template.trim(), (name) => RED.util.getMessageProperty(msg, name));
      const orgId = service === "desk" ? await evaluate(RED, node, def.orgId, def.orgIdType, msg) : undefined;
      node.status({ fill: "blue", shape: "dot", text: `${method} ${path.length > 30 ? path.slice(0, 29) + "…" : path}` });
      const result = await callApi(client, {
        service,
        method,
        path,
        query: msg.query,
        headers: msg.headers,
        body: method === "GET" || method === "DELETE" ? undefined : msg.payload,
        orgId: orgId === undefined || orgId === null || orgId === "" ? undefined : String(orgId),
        paginate: paginate && method === "GET",
        signal: jobs.signal,
      });
      const out = msg as ApiMsg;
      out.payload = result.payload;
      out.statusCode = result.statusCode;
      out.headers = result.headers;
      send(out);
      const low = credits.low();
      if (low === undefined) node.status({ fill: "green", shape: "dot", text: `${result.statusCode}` });
      else node.status({ fill: "yellow", shape: "dot", text: RED._("zoho-api.status.lowCredits", { status: result.statusCode, credits: low }) });
    }

    node.on("input", (msg: NodeMessageInFlow, send: Send, done: Done) => {
      jobs.run(credits, done, () => handle(msg as ApiMsg, send));
    });
    node.on("close", (closed: () => void) => jobs.close(credits, closed));
  }

  RED.nodes.registerType("zoho-api", ZohoApi as unknown as (this: Node, def: NodeDef) => void);
};
