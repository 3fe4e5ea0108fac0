#!/usr/bin/env node
// Read benchmark: the zoho-crm-read node in an embedded Node-RED, against the Zoho simulator running
// in a child process (so the memory figures are the reader's alone).
//
// Part 1 (speed): N Leads at a fixed latency per call; list in each output mode (array, page,
// record), every field (field chunks), and COQL. Prints calls made vs ceil(N/200) and wall time vs
// the ideal critical path (see docs/benchmarks-read.md).
// Part 2 (memory): M Leads read one record per message (and one page per message, and one array,
// for comparison); prints the peak RSS and heap while reading.
// Bounded: every read has a time limit and the whole run stops itself.
//
//   node scripts/bench-read.js [--records 20000] [--latency 50] [--concurrency 5] [--big 100000] [--markdown]
// (or BENCH_RECORDS, BENCH_LATENCY_MS, BENCH_CONCURRENCY, BENCH_BIG_RECORDS)
"use strict";
const { table } = require("./bench-table");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn, spawnSync } = require("child_process");

// Peak-memory figures need a clean start: run again with --expose-gc when it is missing.
if (typeof global.gc !== "function") {
  const run = spawnSync(process.execPath, ["--expose-gc", __filename, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}

const repoRoot = path.resolve(__dirname, "..");
const dist = path.join(repoRoot, "dist");

function option(name, env, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[env];
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

const RECORDS = option("records", "BENCH_RECORDS", 20000);
const LATENCY_MS = option("latency", "BENCH_LATENCY_MS", 50);
const CONCURRENCY = option("concurrency", "BENCH_CONCURRENCY", 5);
const BIG = option("big", "BENCH_BIG_RECORDS", 100000);
const EXPORT = option("export", "BENCH_EXPORT_RECORDS", 250000);
const TIME_LIMIT_MS = 270_000;
const READ_LIMIT_MS = 120_000;
const FIELDS = "Last_Name,First_Name,Email,Company,Lead_Source,Created_Time";
const CLIENT_ID = "1000.BENCHCLIENT";
const CLIENT_SECRET = "bench-secret";

// ---------------------------------------------------------------------------------------------
// The simulator in a child process
// ---------------------------------------------------------------------------------------------

const SIM_CHILD = `
const { ZohoSimulator } = require(${JSON.stringify(path.join(dist, "simulator"))});
(async () => {
  const [records, latency] = process.argv.slice(1).map(Number);
  const { DEFAULT_SCOPE } = require(${JSON.stringify(path.join(dist, "simulator", "accounts"))});
  const sim = new ZohoSimulator({ latencyMs: latency });
  sim.addClient(${JSON.stringify(CLIENT_ID)}, ${JSON.stringify(CLIENT_SECRET)});
  sim.seedRecords("Leads", records);
  sim.bulk.stepMs = 100;
  await sim.start();
  const refreshToken = sim.issueRefreshToken(${JSON.stringify(CLIENT_ID)}, DEFAULT_SCOPE + " ZohoCRM.bulk.ALL");
  process.stdout.write(JSON.stringify({ url: sim.url, refreshToken }) + "\\n");
  process.stdin.on("data", () => undefined);
  process.stdin.on("end", () => sim.stop().then(() => process.exit(0)));
})();
`;

async function startSimulator(records, latency) {
  const child = spawn(process.execPath, ["-e", SIM_CHILD, String(records), String(latency)], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on("exit", (code) => reject(new Error(`simulator exited (${code})`)));
  });
  const info = JSON.parse(line);
  return {
    ...info,
    stats: async () => (await fetch(info.url + "/__sim/stats")).json(),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.stdin.end();
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Node-RED, embedded
// ---------------------------------------------------------------------------------------------

async function startNodeRed() {
  const RED = require("node-red");
  const http = require("http");
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "zoho-bench-read-"));
  RED.init(http.createServer(), {
    userDir,
    nodesDir: [repoRoot],
    flowFile: "flows.json",
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    logging: { console: { level: "warn", metrics: false, audit: false } },
    editorTheme: { projects: { enabled: false } },
  });
  await RED.start();
  return {
    RED,
    stop: async () => {
      await RED.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

let flowSeq = 0;

/** Deploy conn + read node (+ sinks), send one message, wait for the node's done. */
async function runRead(RED, sim, props, { perMessage, concurrency = CONCURRENCY } = {}) {
  const id = `b${++flowSeq}`;
  // The connection keeps its id for the whole run on one simulator, so its access token is reused.
  const conn = `conn${new URL(sim.url).port}c${concurrency}`;
  const flow = [
    { id: `${id}tab`, type: "tab", label: "bench" },
    {
      id: conn,
      type: "zoho-config",
      name: "sim",
      dataCenter: "us",
      environment: "production",
      accountsUrl: sim.url,
      concurrency,
      credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: sim.refreshToken },
    },
    {
      id: `${id}read`,
      type: "zoho-crm-read",
      z: `${id}tab`,
      connection: conn,
      operation: "list",
      module: "Leads",
      moduleType: "str",
      fields: FIELDS,
      fieldsType: "str",
      output: "array",
      wires: [[`${id}sink`]],
      ...props,
    },
    { id: `${id}sink`, type: "debug", z: `${id}tab`, active: false, tosidebar: false, console: false, complete: "false", targetType: "msg" },
    { id: `${id}done`, type: "complete", z: `${id}tab`, scope: [`${id}read`], wires: [[`${id}doneSink`]] },
    { id: `${id}doneSink`, type: "debug", z: `${id}tab`, active: false, tosidebar: false, complete: "false", targetType: "msg" },
    { id: `${id}catch`, type: "catch", z: `${id}tab`, scope: [`${id}read`], uncaught: false, wires: [[`${id}errSink`]] },
    { id: `${id}errSink`, type: "debug", z: `${id}tab`, active: false, tosidebar: false, complete: "false", targetType: "msg" },
  ];
  await RED.runtime.flows.setFlows({ flows: { flows: flow }, deploymentType: "nodes" });
  const node = (suffix) => RED.nodes.getNode(`${id}${suffix}`);
  // setFlows answers before the new flows have started
  for (let i = 0; !(node("read") && node("errSink")); i++) {
    if (i > 500) throw new Error("the benchmark flow did not start");
    await new Promise((r) => setTimeout(r, 10));
  }
  let messages = 0;
  let records = 0;
  node("sink").on("input", (msg) => {
    messages++;
    records += Array.isArray(msg.payload) ? msg.payload.length : 1;
    if (perMessage) perMessage(msg);
  });
  const finished = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("read did not finish in time")), READ_LIMIT_MS);
    node("doneSink").on("input", () => {
      clearTimeout(timer);
      resolve();
    });
    node("errSink").on("input", (msg) => {
      clearTimeout(timer);
      reject(new Error(msg.error && msg.error.message));
    });
  });
  const before = await sim.stats();
  const started = process.hrtime.bigint();
  node("read").receive({ payload: "go" });
  await finished;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((r) => setTimeout(r, 20));
  const after = await sim.stats();
  const diff = (key) => (after.by_endpoint[key] ?? 0) - (before.by_endpoint[key] ?? 0);
  return {
    ms,
    messages,
    records,
    listCalls: diff("GET /crm/v8/Leads"),
    countCalls: diff("GET /crm/v8/Leads/actions/count"),
    metaCalls: diff("GET /crm/v8/settings/fields"),
    coqlCalls: diff("POST /crm/v8/coql"),
    maxInFlight: after.max_in_flight,
  };
}

// ---------------------------------------------------------------------------------------------
// Ideal times: the critical path of round trips
// ---------------------------------------------------------------------------------------------

/**
 * A list of n records: page 1; then page 2 with the count call beside it (asked only once page 1
 * says there are more); then pages 3..10 `concurrency` at a time; then one page_token page after
 * another. `chunks` calls per page when fields are split.
 */
function idealListRoundTrips(n, concurrency, chunks = 1) {
  const pages = Math.max(1, Math.ceil(n / 200));
  const numbered = Math.min(pages, 10);
  const perRound = Math.max(1, Math.floor(concurrency / chunks));
  if (numbered <= 2) return numbered + Math.max(0, pages - 10);
  return 2 + Math.ceil((numbered - 2) / perRound) + Math.max(0, pages - 10);
}

function idealCoqlRoundTrips(n) {
  return n <= 200 ? 1 : 1 + Math.ceil((n - 200) / 2000);
}

// ---------------------------------------------------------------------------------------------
// Memory sampling
// ---------------------------------------------------------------------------------------------

/**
 * Peak RSS and heap as sampled, plus the live heap: measured after a forced garbage collection
 * every 10,000 records (and when the array arrives), so garbage not yet collected does not count.
 */
function memorySampler() {
  global.gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let peakLive = base.heapUsed;
  let records = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  }, 5);
  return {
    onRecords: (n) => {
      const before = records;
      records += n;
      if (Math.floor(records / 10000) === Math.floor(before / 10000)) return;
      global.gc();
      const m = process.memoryUsage();
      if (m.heapUsed > peakLive) peakLive = m.heapUsed;
      if (m.rss > peakRss) peakRss = m.rss;
    },
    stop: () => {
      clearInterval(timer);
      return { baseRss: base.rss, baseHeap: base.heapUsed, peakRss, peakHeap, peakLive };
    },
  };
}

const mb = (bytes) => (bytes / 1048576).toFixed(0);
const secs = (ms) => (ms / 1000).toFixed(2);


// ---------------------------------------------------------------------------------------------

async function main() {
  const guard = setTimeout(() => {
    console.error(`bench-read: gave up after ${TIME_LIMIT_MS / 1000} s`);
    process.exit(1);
  }, TIME_LIMIT_MS);
  guard.unref();

  console.log(`Read benchmark: zoho-crm-read in an embedded Node-RED, Zoho simulator in a child process (Node ${process.version}).`);
  const { RED, stop } = await startNodeRed();
  try {
    // ---- part 0: what a read costs, by size -----------------------------------------------
    const sizes = [0, 1, 200, 201, 400, 401, 2000, 2001, 5000];
    const costs = [];
    for (const n of sizes) {
      const small = await startSimulator(n, 0);
      try {
        await runRead(RED, small, { maxRecords: 1 }); // the access token is not part of the figures
        const r = await runRead(RED, small, { output: "array" });
        if (r.records !== n) throw new Error(`${n} records: read ${r.records}`);
        costs.push([n.toLocaleString("en-US"), r.listCalls, r.countCalls, r.listCalls + r.countCalls, Math.max(1, Math.ceil(n / 200))]);
      } finally {
        await small.stop();
      }
    }
    table(
      `Calls per read (list, explicit fields, concurrency ${CONCURRENCY}): a read that fits in one page or finds nothing is one call`,
      ["records", "list calls", "count calls", "credits", "minimum list calls"],
      costs,
    );

    // ---- part 0b: 2,000 and 20,000 records at a realistic 200 ms per call ---------------
    const realistic = [];
    let coqlRow;
    for (const n of [2000, 20000]) {
      const slow = await startSimulator(n, 200);
      try {
        await runRead(RED, slow, { maxRecords: 1 });
        const r = await runRead(RED, slow, { output: "page" });
        if (r.records !== n) throw new Error(`${n} records: read ${r.records}`);
        if (n === 20000) {
          // COQL: the row count beside the first call, then the pages several at a time.
          const coql = { operation: "coql", query: `select ${FIELDS} from Leads where id is not null`, queryType: "str", output: "page" };
          const q = await runRead(RED, slow, coql);
          if (q.records !== n) throw new Error(`COQL: read ${q.records} of ${n}`);
          // Its sequential time: the same read on a connection that allows one call at a time.
          await runRead(RED, slow, { maxRecords: 1 }, { concurrency: 1 });
          const one = await runRead(RED, slow, coql, { concurrency: 1 });
          coqlRow = [
            n.toLocaleString("en-US"),
            `${q.coqlCalls} (incl. 1 COUNT(id))`,
            `${secs(q.ms)} s`,
            `${secs(one.ms)} s`,
            `${(q.ms / one.ms).toFixed(2)}× of sequential (target ≤ 0.35×)`,
          ];
        }
        const sequential = (r.listCalls + r.countCalls) * 200;
        const trips = idealListRoundTrips(n, CONCURRENCY);
        realistic.push([
          n.toLocaleString("en-US"),
          `${r.listCalls} + ${r.countCalls} count`,
          `${secs(r.ms)} s`,
          `${secs(trips * 200)} s (${trips} × 200 ms)`,
          `${secs(sequential)} s`,
          n === 2000 ? `${(r.ms / (10 * 200)).toFixed(2)}× of ten sequential calls (target ≤ 0.45×)` : `${(r.ms / sequential).toFixed(2)}× of sequential`,
        ]);
      } finally {
        await slow.stop();
      }
    }
    table(
      `At 200 ms per call, concurrency ${CONCURRENCY}, output page`,
      ["records", "calls", "wall time", "ideal (critical path)", "all sequential", "ratio"],
      realistic,
    );
    if (coqlRow) table(`COQL at 200 ms per call, concurrency ${CONCURRENCY}, output page`, ["rows", "calls", "wall time", "one call at a time (concurrency 1)", "ratio"], [coqlRow]);

    // ---- part 1: calls and wall time ------------------------------------------------------
    let sim = await startSimulator(RECORDS, LATENCY_MS);
    const speed = [];
    try {
      const cases = [
        ["list, output array", { output: "array" }, 1],
        ["list, output page", { output: "page" }, 1],
        ["list, output record", { output: "record" }, 1],
        ["list, every field (2 calls per page)", { output: "page", fields: "" }, 2],
        ["COQL, output page", { operation: "coql", query: `select ${FIELDS} from Leads where id is not null`, queryType: "str", output: "page" }, 0],
      ];
      await runRead(RED, sim, { maxRecords: 10 }); // warm-up: the access token and the JIT are not part of the figures
      for (const [name, props, chunks] of cases) {
        const r = await runRead(RED, sim, props);
        if (r.records !== RECORDS) throw new Error(`${name}: read ${r.records} of ${RECORDS} records`);
        const minimum = chunks ? Math.ceil(RECORDS / 200) * chunks : idealCoqlRoundTrips(RECORDS);
        // every field: the field list is read first (one round trip), then 2 calls per page
        const trips = chunks ? idealListRoundTrips(RECORDS, CONCURRENCY, chunks) + (r.metaCalls ? 1 : 0) : idealCoqlRoundTrips(RECORDS);
        const calls = chunks ? r.listCalls : r.coqlCalls;
        const extra = chunks ? `${r.countCalls} count${r.metaCalls ? ` + ${r.metaCalls} fields` : ""}` : "-";
        const idealMs = trips * LATENCY_MS;
        speed.push([
          name,
          r.records.toLocaleString("en-US"),
          r.messages.toLocaleString("en-US"),
          calls,
          minimum,
          extra,
          `${secs(r.ms)} s`,
          `${secs(idealMs)} s (${trips} × ${LATENCY_MS} ms)`,
          `${secs((calls * LATENCY_MS) / CONCURRENCY)} s`,
          `${secs(calls * LATENCY_MS)} s`,
        ]);
      }
    } finally {
      await sim.stop();
    }
    table(
      `Speed: ${RECORDS.toLocaleString("en-US")} Leads, ${FIELDS.split(",").length} fields, ${LATENCY_MS} ms per call, concurrency ${CONCURRENCY}`,
      ["read", "records", "messages", "data calls", "minimum", "other calls", "wall time", "ideal (critical path)", "calls × latency / concurrency", "all sequential"],
      speed,
    );

    // ---- part 2: memory ------------------------------------------------------------------
    sim = await startSimulator(BIG, 0);
    const memory = [];
    try {
      await runRead(RED, sim, { maxRecords: 10 });
      const busy = (us) => () => {
        const end = process.hrtime.bigint() + BigInt(us * 1000);
        while (process.hrtime.bigint() < end);
      };
      const cases = [
        ["record", { output: "record" }, undefined],
        ["record, slow consumer (50 µs per record)", { output: "record" }, busy(50)],
        ["page", { output: "page" }, undefined],
        ["array (for comparison)", { output: "array" }, undefined],
      ];
      for (const [name, props, consumer] of cases) {
        const sampler = memorySampler();
        const r = await runRead(RED, sim, props, {
          perMessage: (msg) => {
            if (consumer) consumer(msg);
            sampler.onRecords(Array.isArray(msg.payload) ? msg.payload.length : 1);
          },
        });
        const m = sampler.stop();
        if (r.records !== BIG) throw new Error(`${name}: read ${r.records} of ${BIG} records`);
        memory.push([
          name,
          r.records.toLocaleString("en-US"),
          r.messages.toLocaleString("en-US"),
          r.listCalls,
          `${secs(r.ms)} s`,
          `${mb(m.baseRss)} → ${mb(m.peakRss)} MB`,
          `${mb(m.baseHeap)} → ${mb(m.peakHeap)} MB`,
          `+${mb(m.peakLive - m.baseHeap)} MB`,
        ]);
      }
    } finally {
      await sim.stop();
    }
    table(
      `Memory: ${BIG.toLocaleString("en-US")} Leads, ${FIELDS.split(",").length} fields, no latency, concurrency ${CONCURRENCY}`,
      ["output", "records", "messages", "list calls", "wall time", "RSS (start → peak)", "heap used (start → peak, with garbage)", "live heap growth (after GC)"],
      memory,
    );

    // ---- part 3: bulk export, past the list's 100,000 -------------------------------------
    sim = await startSimulator(EXPORT, 0);
    try {
      await runRead(RED, sim, { maxRecords: 1 });
      const sampler = memorySampler();
      const ids = new Set();
      let duplicates = 0;
      const r = await runRead(RED, sim, { operation: "bulk", fields: FIELDS, output: "record" }, {
        perMessage: (msg) => {
          if (ids.has(msg.payload.id)) duplicates++;
          ids.add(msg.payload.id);
          sampler.onRecords(1);
        },
      });
      const m = sampler.stop();
      if (r.records !== EXPORT || ids.size !== EXPORT || duplicates) throw new Error(`bulk export: ${r.records} records, ${ids.size} distinct, ${duplicates} twice`);
      table(
        `Bulk export (Bulk Read): ${EXPORT.toLocaleString("en-US")} Leads, ${FIELDS.split(",").length} fields, output record`,
        ["records (each once)", "messages", "wall time", "RSS (start → peak)", "RSS growth", "live heap growth (after GC)"],
        [[ids.size.toLocaleString("en-US"), r.messages.toLocaleString("en-US"), `${secs(r.ms)} s`, `${mb(m.baseRss)} → ${mb(m.peakRss)} MB`, `+${mb(m.peakRss - m.baseRss)} MB (target ≤ 100 MB)`, `+${mb(m.peakLive - m.baseHeap)} MB`]],
      );
    } finally {
      await sim.stop();
    }
  } finally {
    await stop();
  }
  clearTimeout(guard);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench-read failed: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
