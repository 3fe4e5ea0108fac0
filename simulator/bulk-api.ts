/**
 * Routing of the Bulk APIs (called by crm.ts after authentication): method checks, the bulk scopes, credits.
 *
 *   POST /crm/bulk/v8/read                  bulk-read.ts createRead   ZohoCRM.bulk.READ|ALL (+ module READ)
 *   GET  /crm/bulk/v8/read/{job_id}         bulk-read.ts readStatus   ZohoCRM.bulk.READ|ALL (+ module READ)
 *   GET  /crm/bulk/v8/read/{job_id}/result  bulk-read.ts readResult   ZohoCRM.bulk.READ|ALL (+ module READ)
 *   POST /crm/v8/upload                     bulk-write.ts upload      ZohoFiles.files.ALL
 *   POST /crm/bulk/v8/write                 bulk-write.ts createWrite ZohoCRM.bulk.CREATE|ALL (+ module CREATE/UPDATE)
 *   GET  /crm/bulk/v8/write/{job_id}        bulk-write.ts writeStatus ZohoCRM.bulk.CREATE|ALL
 *   GET  /v8/crm/{org}/bulk-write/{job_id}/{job_id}.zip   writeResult ZohoCRM.bulk.CREATE|ALL
 * Any other /crm/bulk/ path -> 404 INVALID_URL_PATTERN; a wrong verb -> 400 INVALID_REQUEST_METHOD. Every call is a
 * CRM call: latency, fault injection, the request log, in-flight counting and 1 credit each (index.ts, control.ts).
 */
import { ApiError } from "./util";
import { requireScope } from "./accounts";
import { charge } from "./control";
import { createRead, readResult, readStatus } from "./bulk-read";
import { createWrite, upload, writeResult, writeStatus } from "./bulk-write";
import { AccessRec, Ctx, Result, SimState, WRITE_RESULT_PATH } from "./state";

export type BulkRoute =
  | { kind: "read" | "write"; id?: string; result?: boolean }
  | { kind: "upload" }
  | { kind: "write-result"; id: string; org: string };

const READ_SCOPES = ["ZohoCRM.bulk.READ", "ZohoCRM.bulk.ALL"];
const WRITE_SCOPES = ["ZohoCRM.bulk.CREATE", "ZohoCRM.bulk.ALL"];

/** The bulk endpoint a path names; undefined when it is no bulk path; 404 for an unknown path under /crm/bulk/. */
export function bulkRoute(path: string): BulkRoute | undefined {
  if (path === "/crm/v8/upload" || path === "/crm/v8/upload/") return { kind: "upload" };
  const w = WRITE_RESULT_PATH.exec(path);
  if (w && w[2] === w[3]) return { kind: "write-result", id: w[2], org: w[1] };
  if (!path.startsWith("/crm/bulk/")) return undefined;
  const m = /^\/crm\/bulk\/v8\/(read|write)(?:\/([^/]+)(\/result)?)?\/?$/.exec(path);
  if (!m || (m[1] === "write" && m[3])) throw new ApiError(404, "INVALID_URL_PATTERN", {}, "Please check if the URL trying to access is a correct one");
  return { kind: m[1] as "read" | "write", id: m[2], result: !!m[3] };
}

export function processBulk(sim: SimState, ctx: Ctx, at: AccessRec, route: BulkRoute): Result {
  const method = (want: string) => {
    if (ctx.method !== want) throw new ApiError(400, "INVALID_REQUEST_METHOD", {}, "The http request method type is not a valid one");
  };
  let run: () => Result;
  if (route.kind === "upload") {
    method("POST");
    requireScope(at, ["ZohoFiles.files.ALL"]);
    run = () => upload(sim, ctx);
  } else if (route.kind === "write-result") {
    method("GET");
    if (route.org !== sim.org.domain_name) throw new ApiError(404, "RESOURCE_NOT_FOUND", { id: route.id }, "The requested resource doesn't exist.");
    requireScope(at, WRITE_SCOPES);
    run = () => writeResult(sim, route.id);
  } else if (route.id === undefined) {
    method("POST");
    requireScope(at, route.kind === "read" ? READ_SCOPES : WRITE_SCOPES);
    run = route.kind === "read" ? () => createRead(sim, ctx, at) : () => createWrite(sim, ctx, at);
  } else {
    method("GET");
    const id = route.id;
    requireScope(at, route.kind === "read" ? READ_SCOPES : WRITE_SCOPES);
    run = route.kind === "write" ? () => writeStatus(sim, id) : route.result ? () => readResult(sim, id, at) : () => readStatus(sim, id, at);
  }
  const headers = charge(sim);
  const r = run();
  return { ...r, headers: { ...(r.headers ?? {}), ...headers } };
}
