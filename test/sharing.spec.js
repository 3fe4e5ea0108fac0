// One connection shared by many jobs: fair slots between messages, lazy write batches, AIMD back-off
// after repeated 429s, and never more calls in flight than the connection promises, even when
// calls are given up on while Zoho is still working on them.
"use strict";
require("should");
const { startSimulator, simClient, waitFor, CLIENT_ID } = require("./fixtures");
const { writeRecords } = require("../dist/nodes/zoho/writes");
const { listPages } = require("../dist/nodes/zoho");

const LEADS = "/crm/v8/Leads";

function leads(n, tag) {
  return Array.from({ length: n }, (_, i) => ({ Last_Name: `${tag} ${i}`, Email: `${tag}.${i}@example.com` }));
}

async function collect(iterable) {
  const pages = [];
  for await (const page of iterable) pages.push(page);
  return pages;
}


describe("sharing one connection", function () {
  let sim;
  afterEach(async () => sim.stop());

  it("a 1-page read started while a 10,000-record create runs finishes within a few calls' time", async () => {
    ({ sim } = await startSimulator({ latencyMs: 15 }));
    sim.seedRecords("Accounts", 50);
    const client = simClient(sim, sim.issueRefreshToken(CLIENT_ID), { concurrency: 5 });
    const writes = () => sim.requests.filter((r) => r.method === "POST" && r.path === LEADS).length;
    const stop = new AbortController();
    const writing = writeRecords(client, { operation: "create", module: "Leads", records: leads(10_000, "big"), signal: stop.signal });
    // Lazily queued: with 100 batches to go, the connection holds only a handful of them at a time.
    await waitFor(() => writes() >= 10, { what: "the write to be under way" });
    client.load.waiting.should.be.belowOrEqual(client.concurrency);
    const before = writes();
    const pages = await collect(listPages(client, { module: "Accounts", fields: ["Account_Name"] }));
    const during = writes() - before;
    pages[0].records.should.have.length(50);
    // Behind all of the write's batches the read would have waited for ~90 calls.
    during.should.be.belowOrEqual(2 * client.concurrency);
    stop.abort();
    const results = await writing;
    results.should.have.length(10_000);
    results.filter((r) => r.code === "ABORTED").length.should.be.above(5000); // stopped long before the end
  });

  it("waiting calls are served round-robin between owners", async () => {
    const { Semaphore } = require("../dist/nodes/zoho");
    const gate = new Semaphore(1);
    const hold = await gate.acquire();
    const order = [];
    const big = {};
    const small = {};
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(gate.run(async () => order.push(`big${i}`), undefined, big));
    jobs.push(gate.run(async () => order.push("small0"), undefined, small));
    jobs.push(gate.run(async () => order.push("small1"), undefined, small));
    hold();
    await Promise.all(jobs);
    order.should.eql(["big0", "small0", "big1", "small1", "big2", "big3", "big4"]);
  });

  it("after repeated 429s lowers its own in-flight limit, then raises it again slowly (AIMD)", async () => {
    ({ sim } = await startSimulator({ concurrencyLimit: 2, latencyMs: 20 }));
    sim.seedRecords("Accounts", 5);
    const client = simClient(sim, sim.issueRefreshToken(CLIENT_ID), { concurrency: 12, retry: { baseDelayMs: 5, maxDelayMs: 40, rateLimitRetries: 10 } });
    let lowest = client.concurrencyLimit;
    const watch = setInterval(() => (lowest = Math.min(lowest, client.concurrencyLimit)), 1);
    const read = () => client.request({ method: "GET", path: "/Accounts", query: { fields: "Account_Name", per_page: 1 } });
    try {
      const answers = await Promise.all(Array.from({ length: 60 }, read));
      answers.forEach((a) => a.status.should.equal(200));
    } finally {
      clearInterval(watch);
    }
    lowest.should.be.belowOrEqual(3); // halved from 12 towards the org's 2
    const rejected = sim.requests.filter((r) => r.status === 429).length;
    // Without the back-off 10 of every 12 calls in each round were refused, over and over.
    rejected.should.be.below(60);
    // Once Zoho stops refusing, the limit climbs back one step per limit's worth of successes, never past Concurrency.
    sim.opts.concurrencyLimit = 0;
    const start = client.concurrencyLimit;
    for (let i = 0; i < 40; i++) await read();
    client.concurrencyLimit.should.be.above(start);
    client.concurrencyLimit.should.be.belowOrEqual(start + 40);
    for (let i = 0; i < 200; i++) await read();
    client.concurrencyLimit.should.equal(12);
  });

  it("never more calls in flight than Concurrency: six reads and two writes, 429s, and calls given up on mid-flight", async () => {
    ({ sim } = await startSimulator({ latencyMs: 10 }));
    sim.seedRecords("Leads", 1200);
    sim.seedRecords("Contacts", 401);
    const client = simClient(sim, sim.issueRefreshToken(CLIENT_ID), { concurrency: 5 });
    // Each read of Contacts needs 3 pages; its count call is slow, so the read ends while the count
    // is still on the network and gives it up: that call must keep its slot until its socket closes.
    sim.inject({ match: { path: "/crm/v8/Contacts/actions/count" }, delayMs: 150 });
    sim.inject({ match: { method: "GET", path: LEADS }, status: 429, times: 3, afterRequests: 4 });
    sim.inject({ match: { method: "POST", path: LEADS }, status: 429, times: 2, afterRequests: 1 });
    sim.maxInFlight = 0;
    const reads = [
      ...Array.from({ length: 3 }, () => listPages(client, { module: "Contacts", fields: ["Last_Name"] })),
      ...Array.from({ length: 3 }, () => listPages(client, { module: "Leads", fields: ["Last_Name"] })),
    ].map(collect);
    const writes = [writeRecords(client, { operation: "create", module: "Leads", records: leads(300, "w1") }), writeRecords(client, { operation: "create", module: "Leads", records: leads(300, "w2") })];
    const contactReadsEnded = [];
    reads.slice(0, 3).forEach((read) => read.then(() => contactReadsEnded.push(Date.now())));
    const [readResults, writeResults] = await Promise.all([Promise.all(reads), Promise.all(writes)]);
    readResults.slice(0, 3).forEach((pages) => pages.flatMap((p) => p.records).should.have.length(401));
    readResults.slice(3).forEach((pages) => pages.flatMap((p) => p.records).length.should.be.aboveOrEqual(1200));
    writeResults.forEach((results) => results.every((r) => r.ok).should.be.true());
    sim.requests.filter((r) => r.status === 429).length.should.be.above(0);
    // Given-up count calls: the reads ended before their answers came.
    const countAnswers = sim.requests.filter((r) => r.path === "/crm/v8/Contacts/actions/count").map((r) => r.at + 150);
    Math.min(...contactReadsEnded).should.be.below(Math.max(...countAnswers));
    await waitFor(() => sim.inFlight === 0, { what: "every call to end at the simulator" });
    sim.maxInFlight.should.be.belowOrEqual(5);
  });
});
