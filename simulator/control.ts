/**
 * Control and faults: the test-control API behind inject/count/reset, the `/__sim/*` helper routes, fault picking,
 * the request log's bodies, in-flight counting and credits.
 *
 * Simulator helpers (loopback only, not recorded in sim.requests, not subject to faults/latency):
 *   GET /__sim/grant-token?client_id=…&scope=…[&ttl_ms=…]  -> {"grant_token":"1000.…","expires_in_ms":180000}
 *                                                           (client_id may be omitted when exactly one client exists)
 *   GET /__sim/stats                                        -> request counts, in-flight, token refreshes, credits, record counts
 *   GET /__sim/clock                                        -> {"now":ms,"time":"…+05:30","frozen":bool,"utc_offset_minutes":330}
 *   POST /__sim/clock?set=<ms|ISO>|advance=<ms>|real=true   -> the same, after changing sim.clock
 *
 * Choices where the doc is silent or unsure:
 *   - Credits: every authenticated CRM call costs 1 credit, counted since start/reset (no rolling window).
 *   - Fault.afterRequests counts every matching request that arrives while the fault is queued.
 */
import * as http from "http";
import { ApiError, DEFAULT_UTC_OFFSET_MIN, ORG_TIME_ZONE } from "./util";
import { issueGrantToken } from "./accounts";
import { clearRecords } from "./data";
import { resetNotifications } from "./notifications";
import { stamp } from "./clock";
import { Fault, FaultState, JSON_TYPE, SimState, isCrmPath, serviceOf } from "./state";
import { multipartSummary } from "./multipart";

// ---- test-control API ------------------------------------------------------------------
export function inject(sim: SimState, fault: Fault): void {
  sim.faults.push({ fault, timesLeft: fault.times ?? 1, skipLeft: fault.afterRequests ?? 0 });
}

export function count(sim: SimState, filter: { method?: string; path?: string | RegExp }): number {
  return sim.requests.filter((r) => matchReq(filter, r.method, r.path)).length;
}

export function reset(sim: SimState): void {
  clearRecords(sim);
  sim.faults = [];
  sim.requests = [];
  sim.maxInFlight = sim.inFlight;
  sim.tokenRefreshCount = 0;
  sim.creditsUsed = 0;
  sim.grants.clear();
  sim.refreshTokens.clear();
  sim.accessTokens.clear();
  resetNotifications(sim);
  sim.bulk.reset();
  sim.hidden.clear();
  sim.views.clear();
  sim.clock.real();
  sim.utcOffsetMinutes = DEFAULT_UTC_OFFSET_MIN;
  sim.timeZone = ORG_TIME_ZONE;
  sim.desk.reset();
}

// ---- faults ----------------------------------------------------------------------------
function matchReq(m: { method?: string; path?: string | RegExp } | undefined, method: string, path: string): boolean {
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== method.toUpperCase()) return false;
  if (m.path !== undefined) {
    if (typeof m.path === "string") return m.path === path;
    m.path.lastIndex = 0;
    return m.path.test(path);
  }
  return true;
}

/** The fault for this request, if any. A fault without a path applies to API calls (CRM or Desk: `isApi`), or with
 *  tokenThrottle to token calls. */
export function pickFault(sim: SimState, method: string, path: string, isApi: boolean, isToken: boolean): Fault | undefined {
  let chosen: FaultState | undefined;
  for (const fs of sim.faults) {
    const f = fs.fault;
    if (fs.timesLeft <= 0) continue;
    if (f.match?.path === undefined) {
      if (f.tokenThrottle ? !isToken : !isApi) continue;
    }
    if (!matchReq(f.match, method, path)) continue;
    if (fs.skipLeft > 0) {
      fs.skipLeft--;
      continue;
    }
    if (!chosen) {
      chosen = fs;
      fs.timesLeft--;
    }
  }
  sim.faults = sim.faults.filter((fs) => fs.timesLeft > 0);
  return chosen?.fault;
}

// ---- request log, in-flight counting, credits ------------------------------------------
/**
 * Count an API request (CRM or Desk; `desk` counts it in sim.deskInFlight too) in flight until Zoho
 * is done with it: until its answer is written (or the connection dropped on purpose), even when the
 * client has given up and closed its socket first, because a real server goes on working on a request
 * whose client went away. A request whose client left before it was even read in full ends with its
 * connection. Returns `finish`.
 */
export function trackInFlight(sim: SimState, req: http.IncomingMessage, res: http.ServerResponse, desk = false): () => void {
  sim.inFlight++;
  if (desk) sim.deskInFlight++;
  sim.requestsOpen++;
  if (sim.inFlight > sim.maxInFlight) sim.maxInFlight = sim.inFlight;
  let done = false;
  let received = false;
  const finish = () => {
    if (!done) {
      done = true;
      sim.inFlight--;
      if (desk) sim.deskInFlight--;
    }
  };
  req.on("end", () => (received = true));
  res.on("close", () => {
    sim.requestsOpen--;
    if (!received) finish();
  });
  return finish;
}

export function logBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const ct = (contentType ?? "").toLowerCase();
  if (ct.includes("multipart/form-data")) return multipartSummary(raw, contentType ?? "");
  const text = raw.toString("utf8");
  if (ct.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function charge(sim: SimState): Record<string, string> {
  const limit = sim.opts.creditsPerDay;
  if (limit <= 0) return {};
  if (sim.creditsUsed >= limit) throw new ApiError(429, "TOO_MANY_REQUESTS", {}, "too many requests: API credit limit exhausted");
  sim.creditsUsed++;
  return sim.creditsUsed * 2 >= limit ? { "X-API-CREDITS-REMAINING": String(limit - sim.creditsUsed) } : {};
}

// ---- /__sim/* helper routes ------------------------------------------------------------
export function handleSim(sim: SimState, req: http.IncomingMessage, res: http.ServerResponse, path: string, query: Record<string, string>): void {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": JSON_TYPE, "Content-Length": String(Buffer.byteLength(text)), "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" });
    res.end(text);
  };
  const remote = req.socket.remoteAddress ?? "";
  if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(remote)) return send(403, { error: "loopback only" });
  if (req.method !== "GET" && req.method !== "POST") return send(405, { error: "method not allowed" });
  if (path === "/__sim/grant-token") {
    let clientId = query.client_id;
    if (!clientId && sim.clients.size === 1) clientId = [...sim.clients.keys()][0];
    if (!clientId || !sim.clients.has(clientId)) return send(400, { error: "invalid_client" });
    const ttlMs = query.ttl_ms ? Number(query.ttl_ms) : undefined;
    const code = issueGrantToken(sim, clientId, { scope: query.scope, ttlMs: ttlMs && ttlMs > 0 ? ttlMs : undefined });
    return send(200, { grant_token: code, expires_in_ms: ttlMs && ttlMs > 0 ? ttlMs : sim.opts.grantTokenTtlMs });
  }
  if (path === "/__sim/stats") {
    const byEndpoint: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    for (const r of sim.requests) {
      const k = `${r.method} ${r.path}`;
      byEndpoint[k] = (byEndpoint[k] ?? 0) + 1;
      const s = r.status === undefined ? "none" : String(r.status);
      byStatus[s] = (byStatus[s] ?? 0) + 1;
    }
    const records: Record<string, number> = {};
    for (const m of sim.modules.values()) if (m.apiSupported) records[m.apiName] = m.byId.size;
    return send(200, {
      requests: sim.requests.length,
      crm_requests: sim.requests.filter((r) => isCrmPath(r.path)).length,
      desk_requests: sim.requests.filter((r) => serviceOf(r.path) === "desk").length,
      token_requests: sim.requests.filter((r) => r.path.startsWith("/oauth/")).length,
      by_endpoint: byEndpoint,
      by_status: byStatus,
      in_flight: sim.inFlight,
      max_in_flight: sim.maxInFlight,
      token_refresh_count: sim.tokenRefreshCount,
      credits_used: sim.creditsUsed,
      credits_per_day: sim.opts.creditsPerDay,
      faults_queued: sim.faults.length,
      records,
    });
  }
  if (path === "/__sim/clock") {
    if (req.method === "POST") {
      try {
        if (query.set !== undefined) sim.clock.set(/^-?\d+$/.test(query.set) ? Number(query.set) : query.set);
        else if (query.advance !== undefined) sim.clock.advance(Number(query.advance));
        else if (query.real === "true") sim.clock.real();
        else return send(400, { error: "give set, advance or real=true" });
      } catch (e) {
        return send(400, { error: (e as Error).message });
      }
    }
    const now = sim.clock.now();
    return send(200, { now, time: stamp(sim, now), frozen: sim.clock.frozen, utc_offset_minutes: sim.utcOffsetMinutes });
  }
  send(404, { error: "not found" });
}
