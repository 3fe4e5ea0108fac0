#!/usr/bin/env node
// Trigger benchmark: zoho-crm-trigger in a real Node-RED (child process) against the simulator.
// 1. What a poll costs: an idle poll, and a poll that finds N changes (calls by endpoint).
// 2. Instant mode: how long from the simulator's callback until the change reaches the flow.
// Bounded: stops itself after a time limit.
//
//   node scripts/bench-trigger.js [--changes 5000] [--latency 200] [--instant 20] [--markdown]
"use strict";
const { table } = require("./bench-table");
const http = require("http");
const path = require("path");
const dist = path.join(__dirname, "..", "dist");
const { ZohoSimulator } = require(path.join(dist, "simulator"));
const { DEFAULT_SCOPE } = require(path.join(dist, "simulator", "accounts"));
const { startNodeRed } = require("./node-red-runtime");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const n = Number(i >= 0 ? process.argv[i + 1] : NaN);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

const CHANGES = option("changes", 5000);
const LATENCY_MS = option("latency", 200);
const INSTANT = option("instant", 20);
const TIME_LIMIT_MS = 240_000;
const CLIENT_ID = "1000.BENCHCLIENT";
const CLIENT_SECRET = "bench-secret";


async function waitFor(predicate, what, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A tiny HTTP server the flow posts each change to, noting when it arrived. */
async function collector() {
  const arrivals = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      arrivals.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/got`, arrivals, close: () => new Promise((r) => server.close(r)) };
}

async function main() {
  const guard = setTimeout(() => {
    console.error(`bench-trigger: gave up after ${TIME_LIMIT_MS / 1000} s`);
    process.exit(1);
  }, TIME_LIMIT_MS);
  guard.unref();
  console.log(`Trigger benchmark: zoho-crm-trigger in Node-RED (child process), simulator at ${LATENCY_MS} ms per call (Node ${process.version}).`);

  const sim = new ZohoSimulator({ latencyMs: LATENCY_MS });
  sim.addClient(CLIENT_ID, CLIENT_SECRET);
  await sim.start();
  const got = await collector();
  const nr = await startNodeRed();
  try {
    const refreshToken = sim.issueRefreshToken(CLIENT_ID, `${DEFAULT_SCOPE} ZohoCRM.notifications.ALL`);
    const flow = (mode) => [
      { id: "bt", type: "tab", label: "bench" },
      { id: "bconn", type: "zoho-config", name: "sim", dataCenter: "us", environment: "production", accountsUrl: sim.url, concurrency: 5, credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken } },
      { id: "bgo", type: "inject", z: "bt", props: [{ p: "payload" }], payload: "", payloadType: "date", once: false, wires: [["btrig"]] },
      { id: "btrig", type: "zoho-crm-trigger", z: "bt", connection: "bconn", module: "Leads", events: ["create", "update", "delete"], mode, interval: 3600, fields: "Last_Name,Company", startFrom: "now", output: "record", publicUrl: nr.url, wires: [["bshape"]] },
      { id: "bshape", type: "change", z: "bt", rules: [{ t: "set", p: "payload", pt: "msg", to: "zoho", tot: "msg" }], wires: [["bpost"]] },
      { id: "bpost", type: "http request", z: "bt", method: "POST", ret: "txt", url: got.url, tls: "", persist: false, wires: [[]] },
    ];
    const deploy = async (mode) => {
      const res = await fetch(`${nr.url}/flows`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Node-RED-API-Version": "v2", "Node-RED-Deployment-Type": "full" },
        body: JSON.stringify({ flows: flow(mode) }),
      });
      if (res.status !== 200) throw new Error(`deploy answered ${res.status}`);
    };
    const byEndpoint = () => {
      const counts = {};
      for (const r of sim.requests) if (r.path.startsWith("/crm/")) counts[`${r.method} ${r.path}`] = (counts[`${r.method} ${r.path}`] || 0) + 1;
      return counts;
    };
    const pollNow = async () => {
      const before = sim.requests.length;
      await waitFor(async () => (await fetch(`${nr.url}/inject/bgo`, { method: "POST" })).status === 200, "the inject node");
      await waitFor(() => sim.requests.slice(before).some((r) => r.path === "/crm/v8/Leads/deleted" && r.status !== undefined), "the poll");
    };

    // ---- 1. cost of a poll ----------------------------------------------------------------
    await deploy("poll");
    await waitFor(() => sim.count({ path: "/crm/v8/Leads/deleted" }) > 0, "the first poll");
    await new Promise((r) => setTimeout(r, 2 * LATENCY_MS));
    const cost = [];
    sim.requests = [];
    await pollNow();
    const idle = byEndpoint();
    cost.push(["idle (nothing changed)", idle["GET /crm/v8/Leads"] || 0, idle["GET /crm/v8/Leads/deleted"] || 0, "1 + 1"]);

    for (let i = 0; i < CHANGES; i++) sim.ui.create("Leads", { Last_Name: `bench ${i}`, Company: "Bench" });
    await new Promise((r) => setTimeout(r, 1100)); // a later second than the position
    got.arrivals.length = 0;
    sim.requests = [];
    const started = Date.now();
    await pollNow();
    await waitFor(() => got.arrivals.length >= CHANGES, `${CHANGES} changes to reach the flow`, 120000);
    const busy = byEndpoint();
    cost.push([
      `${CHANGES.toLocaleString("en-US")} records created since the last poll`,
      busy["GET /crm/v8/Leads"] || 0,
      busy["GET /crm/v8/Leads/deleted"] || 0,
      `${Math.ceil(CHANGES / 200)} + 1 (${((Date.now() - started) / 1000).toFixed(1)} s, ${got.arrivals.length.toLocaleString("en-US")} messages)`,
    ]);
    table("Cost of a poll (events create, update, delete; 2 fields)", ["poll", "record calls", "deleted-record calls", "expected"], cost);

    // ---- 2. instant mode: callback to flow -------------------------------------------------
    sim.requests = [];
    await deploy("instant");
    await waitFor(() => sim.channels.size === 1, "the watch channel");
    // The catch-up poll on start re-reads the last minute (the overlap): callbacks that arrive
    // meanwhile wait for it, so the measurement starts once it is done.
    await waitFor(() => sim.requests.some((r) => r.path === "/crm/v8/Leads/deleted" && r.status !== undefined), "the catch-up poll", 120000);
    got.arrivals.length = 0;
    sim.callbacks.length = 0;
    const delays = [];
    for (let i = 0; i < INSTANT; i++) {
      const rec = sim.ui.create("Leads", { Last_Name: `instant ${i}`, Company: "Bench" });
      await waitFor(() => got.arrivals.some((a) => a.body.id === rec.id), "the change by callback", 10000);
      const callback = sim.callbacks.find((c) => Array.isArray(c.body.ids) && c.body.ids.includes(rec.id));
      const arrival = got.arrivals.find((a) => a.body.id === rec.id);
      // sim.callbacks[].at is the simulator's clock (real time here): when the callback was sent.
      delays.push(arrival.at - callback.at);
    }
    delays.sort((a, b) => a - b);
    const pct = (p) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))];
    table(
      `Instant mode: from the simulator's callback to the flow (${INSTANT} changes, one GET ?ids= each at ${LATENCY_MS} ms)`,
      ["median", "90th percentile", "max", "target"],
      [[`${pct(50)} ms`, `${pct(90)} ms`, `${delays[delays.length - 1]} ms`, "< 1000 ms"]],
    );
  } finally {
    await nr.stop();
    await got.close();
    await sim.stop();
  }
  clearTimeout(guard);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench-trigger failed: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
