#!/usr/bin/env node
// Write benchmark against the simulator at a fixed latency: N records created, then upserted.
// Prints calls made vs the minimum ceil(N/100), and wall time vs the ideal at the configured
// concurrency (ceil(calls / concurrency) round trips). Bounded: stops itself after a time limit.
//
//   node scripts/bench-write.js [--records 5000] [--latency 200] [--concurrency 5] [--markdown]
// (the same settings as env: BENCH_RECORDS, BENCH_LATENCY_MS, BENCH_CONCURRENCY)
"use strict";
const path = require("path");
const dist = path.join(__dirname, "..", "dist");
const { ZohoSimulator } = require(path.join(dist, "simulator"));
const { ZohoClient } = require(path.join(dist, "nodes", "zoho"));
const { writeRecords, MAX_BATCH_SIZE } = require(path.join(dist, "nodes", "zoho", "writes"));
const { bulkWriteRecords } = require(path.join(dist, "nodes", "zoho", "bulk"));
const { DEFAULT_SCOPE } = require(path.join(dist, "simulator", "accounts"));
const { table } = require("./bench-table");

function option(name, env, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[env];
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

const RECORDS = option("records", "BENCH_RECORDS", 5000);
const BULK_RECORDS = option("bulk-records", "BENCH_BULK_RECORDS", 50000);
const LATENCY_MS = option("latency", "BENCH_LATENCY_MS", 200);
const CONCURRENCY = option("concurrency", "BENCH_CONCURRENCY", 5);
const MARKDOWN = process.argv.includes("--markdown");
const TIME_LIMIT_MS = 120_000;

const CLIENT_ID = "1000.BENCHCLIENT";
const CLIENT_SECRET = "bench-secret";

async function main() {
  const guard = setTimeout(() => {
    console.error(`bench-write: gave up after ${TIME_LIMIT_MS / 1000} s`);
    process.exit(1);
  }, TIME_LIMIT_MS);
  guard.unref();

  const sim = new ZohoSimulator({ latencyMs: LATENCY_MS, seedDemo: true });
  await sim.start();
  try {
    sim.addClient(CLIENT_ID, CLIENT_SECRET);
    const client = new ZohoClient({
      accountsUrl: sim.url,
      trustAnyApiDomain: true,
      environment: "production",
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      refreshToken: sim.issueRefreshToken(CLIENT_ID, `${DEFAULT_SCOPE} ZohoCRM.bulk.ALL ZohoFiles.files.ALL`),
      concurrency: CONCURRENCY,
    });
    await client.tokens.getAccessToken(); // the token exchange is not part of the write figures
    sim.clearRecords("Leads");

    const records = Array.from({ length: RECORDS }, (_, i) => ({ Last_Name: `Bench ${i}`, Company: "Bench Inc", Email: `bench.${i}@example.com` }));
    const rows = [];
    for (const [operation, extra] of [
      ["create", {}],
      ["upsert", { duplicateCheckFields: ["Email"] }],
    ]) {
      const path = operation === "upsert" ? "/crm/v8/Leads/upsert" : "/crm/v8/Leads";
      const before = sim.count({ method: "POST", path });
      sim.maxInFlight = 0;
      const input = operation === "upsert" ? records.map((r) => ({ ...r, Last_Name: `${r.Last_Name} (upserted)` })) : records;
      const started = process.hrtime.bigint();
      const results = await writeRecords(client, { operation, module: "Leads", records: input, ...extra });
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const calls = sim.count({ method: "POST", path }) - before;
      const ok = results.filter((r) => r.ok).length;
      const minCalls = Math.ceil(RECORDS / MAX_BATCH_SIZE);
      const effective = Math.min(CONCURRENCY, 10); // bulk writes of >10 records count against Zoho's sub-concurrency of 10
      const idealMs = Math.ceil(minCalls / effective) * LATENCY_MS;
      rows.push({ operation, records: RECORDS, ok, calls, minCalls, maxInFlight: sim.maxInFlight, wallMs, idealMs });
    }
    const held = sim.records("Leads").length;
    print(rows, held);

    // Bulk Write: the same kind of records through Zoho's import jobs (25,000 per job).
    sim.clearRecords("Leads");
    sim.bulk.stepMs = 50;
    const bulkInput = Array.from({ length: BULK_RECORDS }, (_, i) => ({ Last_Name: `Bulk ${i}`, Company: "Bench Inc", Email: `bulk.${i}@example.com` }));
    sim.requests = [];
    const started = process.hrtime.bigint();
    const bulkResults = await bulkWriteRecords(client, { operation: "create", module: "Leads", records: bulkInput, pollMs: 100, maxPollMs: 500 });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const crm = sim.requests.filter((r) => !r.path.startsWith("/oauth/"));
    const jobs = crm.filter((r) => r.method === "POST" && r.path === "/crm/bulk/v8/write").length;
    table(
      `Bulk Write: ${BULK_RECORDS.toLocaleString("en-US")} Leads created through import jobs (simulator ${LATENCY_MS} ms per call, jobs move a state every 50 ms)`,
      ["records written", "jobs", "uploads", "calls in all (org, upload, job, polls, result)", "REST calls it replaces", "wall time"],
      [[
        `${bulkResults.filter((r) => r.ok).length.toLocaleString("en-US")} / ${BULK_RECORDS.toLocaleString("en-US")}`,
        jobs,
        crm.filter((r) => r.path === "/crm/v8/upload").length,
        crm.length,
        Math.ceil(BULK_RECORDS / MAX_BATCH_SIZE),
        `${(wallMs / 1000).toFixed(2)} s`,
      ]],
      MARKDOWN,
    );
    const bulkHeld = sim.records("Leads").length;
    if (bulkHeld !== BULK_RECORDS) throw new Error(`bulk write: the simulator holds ${bulkHeld} of ${BULK_RECORDS}`);
  } finally {
    await sim.stop();
    clearTimeout(guard);
  }
}

function print(rows, held) {
  const head = `Zoho write benchmark: ${RECORDS} Leads, simulator latency ${LATENCY_MS} ms per call, connection concurrency ${CONCURRENCY}`;
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  if (MARKDOWN) {
    console.log(`${head}\n`);
    console.log("| operation | records written | calls | ceil(N/100) | max in flight | wall time | ideal | overhead |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
      console.log(`| ${r.operation} | ${r.ok} / ${r.records} | ${r.calls} | ${r.minCalls} | ${r.maxInFlight} | ${fmt(r.wallMs)} | ${fmt(r.idealMs)} | ${((r.wallMs / r.idealMs - 1) * 100).toFixed(0)} % |`);
    }
    console.log(`\nRecords held by the simulator afterwards: ${held} (each once).`);
    return;
  }
  console.log(head);
  for (const r of rows) {
    console.log(
      `  ${r.operation.padEnd(7)} ${r.ok}/${r.records} written, ${r.calls} calls (minimum ${r.minCalls}), ` +
        `max ${r.maxInFlight} in flight, ${fmt(r.wallMs)} (ideal ${fmt(r.idealMs)}, +${((r.wallMs / r.idealMs - 1) * 100).toFixed(0)} %)`,
    );
  }
  console.log(`  simulator holds ${held} Leads (each once)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
