// Zoho's limits and faults, through the nodes: API credits, one concurrency limit per connection
// (and the sub-limit of 10 for heavy calls), token expiry / 429 / 500 / dropped connections / slow
// answers in the middle of reads and writes, and stopping promptly on redeploy.
"use strict";
const should = require("should");
const { startSimulator, CLIENT_ID } = require("./fixtures");
const { helper, loadNodes, watchCalls, activeResources, zohoSettings, waitFor, turns } = require("./harness");

const LEADS = "/crm/v8/Leads";
const CRM = /^\/crm\//;

const readDef = (id, props = {}) => ({ id, type: "zoho-crm-read", name: "", operation: "list", module: "Leads", moduleType: "str", fields: "Last_Name,Email", fieldsType: "str", output: "array", ...props });
const writeDef = (id, props = {}) => ({ id, type: "zoho-crm-write", name: "", operation: "create", module: "Leads", moduleType: "str", ...props });
const leads = (n, tag) => Array.from({ length: n }, (_, i) => ({ Last_Name: `${tag} ${i}`, Email: `${tag}.${i}@example.com` }));

/** Which page of a list read a request asks for. */
const pageKey = (r) => (r.query.page_token ? `token:${r.query.page_token}` : `page:${r.query.page}/${r.query.per_page}`);

/** Every page of the read was answered exactly once with success; other attempts are the failed ones. */
function assertEachPageOnce(sim, path) {
  const byPage = new Map();
  for (const r of sim.requests.filter((q) => q.method === "GET" && q.path === path)) {
    const list = byPage.get(pageKey(r)) || [];
    list.push(r.status);
    byPage.set(pageKey(r), list);
  }
  for (const [key, statuses] of byPage) {
    statuses.filter((s) => s === 200).length.should.equal(1, `${key} answered ${statuses.join(",")}`);
    statuses[statuses.length - 1].should.equal(200, `${key}: the last attempt succeeded`);
  }
  return byPage;
}

/** Every input record is on exactly one output, and the simulator holds each written email once. */
function assertWriteAccounted(seen, sim, input, tag, module = "Leads") {
  const ok = seen.out[0].flatMap((m) => m.payload);
  const bad = seen.out[1].flatMap((m) => m.payload);
  (ok.length + bad.length).should.equal(input.length);
  [...ok, ...bad].map((r) => r.index).sort((a, b) => a - b).should.eql(input.map((_, i) => i));
  const summary = (seen.out[0][0] || seen.out[1][0]).zoho;
  summary.should.match({ total: input.length, succeeded: ok.length, failed: bad.length });
  const held = sim.records(module).map((r) => r.Email).filter((e) => typeof e === "string" && e.startsWith(`${tag}.`));
  held.length.should.equal(new Set(held).size, "a record exists twice");
  // Every success is in Zoho; a failure is either not there or of unknown outcome.
  for (const r of ok) held.should.containEql(r.record.Email);
  for (const r of bad) if (r.code !== "OUTCOME_UNKNOWN") held.should.not.containEql(r.record.Email);
  return { ok, bad, held };
}

describe("limits and faults", function () {
  this.timeout(30000);
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    zohoSettings();
  });

  describe("API credits", function () {
    let sim;
    afterEach(() => sim.stop());

    it("the connection exposes the credits Zoho reports, as a property and a 'credits' event", async () => {
      ({ sim } = await startSimulator({ creditsPerDay: 40 }));
      sim.seedRecords("Leads", 30);
      const t = await loadNodes(sim, [readDef("r", { maxRecords: 10 })]);
      const events = [];
      t.conn.on("credits", (n) => events.push(n));
      should(t.conn.creditsRemaining).be.undefined();
      for (let i = 0; i < 24; i++) await t.run("r");
      sim.creditsUsed.should.equal(24); // Zoho reports from half of the allowance on // Zoho reports from half of the allowance on
      events.length.should.be.above(0);
      t.conn.creditsRemaining.should.equal(40 - sim.creditsUsed);
      events[events.length - 1].should.equal(t.conn.creditsRemaining);
      t.seen.r.out[0].slice(-1)[0].zoho.creditsRemaining.should.equal(t.conn.creditsRemaining);
    });

    it("read and write nodes turn yellow with the credits left when they run low (default: under 1,000)", async () => {
      ({ sim } = await startSimulator({ creditsPerDay: 30 }));
      sim.seedRecords("Leads", 10);
      const t = await loadNodes(sim, [readDef("r", { maxRecords: 5 }), writeDef("w"), readDef("idle")]);
      await t.run("r");
      t.seen.r.status.slice(-1)[0].should.eql({ fill: "green", shape: "dot", text: "zoho-crm-read.status.done" });
      while (sim.creditsUsed < 16) await t.run("r");
      t.seen.r.status.slice(-1)[0].should.eql({ fill: "yellow", shape: "dot", text: "zoho-crm-read.status.lowCredits" });
      // A node that has not run yet learns it from the connection.
      t.seen.idle.status.slice(-1)[0].should.eql({ fill: "yellow", shape: "ring", text: "zoho-crm-read.status.creditsLeft" });
      const w = await t.run("w", { payload: leads(2, "credit") });
      w.status.slice(-1)[0].should.eql({ fill: "yellow", shape: "dot", text: "zoho-crm-write.status.okLowCredits" });
      w.out[0][0].zoho.creditsRemaining.should.equal(t.conn.creditsRemaining);
    });

    it("does not hide an error behind the credits warning", async () => {
      ({ sim } = await startSimulator({ creditsPerDay: 30 }));
      const t = await loadNodes(sim, [readDef("bad", { module: "Nope" }), readDef("r", { module: "Deals", fields: "Deal_Name", maxRecords: 1 })]);
      await t.run("bad");
      while (sim.creditsUsed < 16) await t.run("r");
      t.seen.bad.status.slice(-1)[0].should.eql({ fill: "red", shape: "ring", text: "INVALID_MODULE" });
    });

    it("the threshold is the zohoCrm.lowCreditsThreshold setting", async () => {
      zohoSettings({ lowCreditsThreshold: 5 });
      ({ sim } = await startSimulator({ creditsPerDay: 30 }));
      const t = await loadNodes(sim, [readDef("r", { module: "Deals", fields: "Deal_Name", maxRecords: 1 })]);
      while (sim.creditsUsed < 20) await t.run("r");
      t.conn.creditsRemaining.should.equal(10);
      t.seen.r.status.slice(-1)[0].fill.should.equal("green");
      while (sim.creditsUsed < 26) await t.run("r");
      t.seen.r.status.slice(-1)[0].should.match({ fill: "yellow", text: "zoho-crm-read.status.lowCredits" });
    });

    it("when the credits are used up, Zoho's 429 is retried and then reported with advice", async () => {
      ({ sim } = await startSimulator({ creditsPerDay: 2 }));
      const t = await loadNodes(sim, [readDef("r", { module: "Deals", fields: "Deal_Name", maxRecords: 1 })]);
      await t.run("r");
      await t.run("r");
      const s = await t.run("r");
      s.caught.should.have.length(1);
      s.caught[0].error.code.should.equal("TOO_MANY_REQUESTS");
      s.caught[0].error.message.should.match(/credits/);
      s.status.slice(-1)[0].should.eql({ fill: "red", shape: "ring", text: "TOO_MANY_REQUESTS" });
      sim.requests.filter((r) => r.status === 429).length.should.equal(6); // 1 + 5 retries
    });
  });

  describe("one concurrency limit per connection", function () {
    let sim;
    afterEach(() => sim.stop());

    it("two read nodes and a write node on one connection share its limit", async () => {
      ({ sim } = await startSimulator({ concurrencyLimit: 3, latencyMs: 25 }));
      const leadsIn = sim.seedRecords("Leads", 1200);
      sim.seedRecords("Accounts", 900);
      const t = await loadNodes(sim, [readDef("a"), readDef("b", { module: "Accounts", fields: "Account_Name" }), writeDef("w", { module: "Contacts" })], { conn: { concurrency: 3 } });
      const input = leads(450, "shared");
      const [a, b, w] = await Promise.all([t.run("a"), t.run("b"), t.run("w", { payload: input })]);
      sim.maxInFlight.should.equal(3);
      sim.requests.filter((r) => r.status === 429).should.have.length(0);
      a.out[0][0].payload.map((r) => r.id).should.eql(leadsIn.map((r) => r.id).reverse());
      b.out[0][0].payload.should.have.length(900);
      const { ok } = assertWriteAccounted(w, sim, input, "shared", "Contacts");
      ok.should.have.length(450);
    });

    it("when the connection allows more than the org, Zoho's 429s are waited out: nothing lost, nothing doubled", async () => {
      // Backoff closer to real life than the suite's 5-50 ms, so the retries outlast the crowding.
      zohoSettings({ retryBaseDelayMs: 20, retryMaxDelayMs: 300 });
      ({ sim } = await startSimulator({ concurrencyLimit: 2, latencyMs: 20 }));
      const leadsIn = sim.seedRecords("Leads", 1000);
      const t = await loadNodes(sim, [readDef("a"), readDef("b", { output: "page" }), writeDef("w", { module: "Contacts" })], { conn: { concurrency: 4 } });
      const input = leads(500, "over");
      const [a, b, w] = await Promise.all([t.run("a"), t.run("b"), t.run("w", { payload: input })]);
      sim.requests.filter((r) => r.status === 429).length.should.be.above(0);
      a.caught.should.have.length(0);
      b.caught.should.have.length(0);
      const expected = leadsIn.map((r) => r.id).reverse();
      a.out[0][0].payload.map((r) => r.id).should.eql(expected);
      b.out[0].flatMap((m) => m.payload.map((r) => r.id)).should.eql(expected);
      const { ok } = assertWriteAccounted(w, sim, input, "over", "Contacts");
      ok.should.have.length(500);
    });

    it("COQL, search and bulk writes stay within Zoho's sub-limit of 10 even when the connection allows 20", async () => {
      ({ sim } = await startSimulator({ latencyMs: 60 }));
      sim.seedRecords("Leads", 600);
      const t = await loadNodes(
        sim,
        [
          readDef("q1", { operation: "coql", query: "select Last_Name from Leads where id is not null limit 400", queryType: "str" }),
          readDef("s1", { operation: "search", searchBy: "criteria", searchValue: "(id:greater_than:1)", maxRecords: 300 }),
          readDef("l1", { maxRecords: 200 }),
          writeDef("w"),
        ],
        { conn: { concurrency: 20 } },
      );
      const client = t.conn.getClient();
      let heavy = 0;
      let all = 0;
      let maxHeavy = 0;
      let maxAll = 0;
      const isHeavy = (req) =>
        /\/coql$|\/search\?/.test(req.url) ||
        (/\/actions\/count\?.*(criteria|email|phone|word)=/.test(req.url)) ||
        (req.method !== "GET" && typeof req.body === "string" && req.body.startsWith("{") && (JSON.parse(req.body).data || []).length > 10);
      const calls = watchCalls(client, {
        onSend: (req, call) => {
          call.heavy = isHeavy(req);
          if (/\/crm\//.test(req.url)) all++;
          if (call.heavy) heavy++;
          maxHeavy = Math.max(maxHeavy, heavy);
          maxAll = Math.max(maxAll, all);
        },
        onAnswer: (req, _res, call) => {
          if (/\/crm\//.test(req.url)) all--;
          if (call.heavy) heavy--;
        },
      });
      const jobs = [];
      for (let i = 0; i < 6; i++) jobs.push(t.run("q1"), t.run("s1"), t.run("l1"));
      jobs.push(t.run("w", { payload: leads(1500, "heavy") }));
      const results = await Promise.all(jobs);
      results.forEach((s) => s.caught.should.have.length(0));
      calls.filter((c) => c.heavy).length.should.be.above(30);
      calls.filter((c) => c.heavy && c.req.method === "POST" && !/coql/.test(c.req.url)).length.should.equal(15); // the write batches
      maxHeavy.should.be.belowOrEqual(10);
      maxHeavy.should.be.aboveOrEqual(8); // they do run side by side
      maxAll.should.be.above(10); // the light calls are not held to 10
      maxAll.should.be.belowOrEqual(20);
    });
  });

  describe("transient faults in the middle of a read", function () {
    let sim, seeded;
    before(async () => {
      ({ sim } = await startSimulator());
      seeded = sim.seedRecords("Leads", 2500);
    });
    after(() => sim.stop());
    beforeEach(() => {
      sim.requests = [];
      sim.clearFaults();
      sim.setLatency(0);
    });
    const expected = () => seeded.map((r) => r.id).reverse();

    it("an access token expiring between pages: one refresh, the read completes, only the rejected pages are asked again", async () => {
      sim.setLatency(10);
      const t = await loadNodes(sim, [readDef("r", { output: "page" })]);
      let pages = 0;
      helper.getNode("r-out0").on("input", () => {
        if (++pages === 3) sim.expireAccessTokens();
      });
      const refreshes = sim.tokenRefreshCount;
      const s = await t.run("r");
      s.caught.should.have.length(0);
      s.out[0].flatMap((m) => m.payload.map((r) => r.id)).should.eql(expected());
      sim.tokenRefreshCount.should.equal(refreshes + 2); // the first token and exactly one refresh
      const byPage = assertEachPageOnce(sim, LEADS);
      const rejected = sim.requests.filter((r) => r.status === 401);
      rejected.length.should.be.above(0);
      rejected.forEach((r) => r.path.should.match(/^\/crm\/v8\/Leads/));
      [...byPage.values()].filter((statuses) => statuses.length > 1).forEach((statuses) => statuses.should.eql([401, 200]));
    });

    it("a burst of 429s is waited out and every page comes once", async () => {
      sim.inject({ match: { method: "GET", path: LEADS }, status: 429, times: 4, afterRequests: 3 });
      const t = await loadNodes(sim, [readDef("r", { output: "record" })], { conn: { concurrency: 2 } });
      const s = await t.run("r");
      s.caught.should.have.length(0);
      s.out[0].map((m) => m.payload.id).should.eql(expected());
      s.out[0][2499].parts.count.should.equal(2500);
      sim.requests.filter((r) => r.status === 429).should.have.length(4);
      assertEachPageOnce(sim, LEADS);
    });

    it("500s and connections dropped before or after Zoho answered are retried from the failed page", async () => {
      sim.inject({ match: { method: "GET", path: LEADS }, status: 500, afterRequests: 2 });
      sim.inject({ match: { method: "GET", path: LEADS }, drop: "before", afterRequests: 5 });
      sim.inject({ match: { method: "GET", path: LEADS }, drop: "after", afterRequests: 9 });
      const t = await loadNodes(sim, [readDef("r")], { conn: { concurrency: 1 } });
      const s = await t.run("r");
      s.caught.should.have.length(0);
      s.out[0][0].payload.map((r) => r.id).should.eql(expected());
      const byPage = assertEachPageOnce(sim, LEADS);
      [...byPage.values()].filter((statuses) => statuses.length > 1).should.have.length(3);
      sim.count({ method: "GET", path: LEADS }).should.equal(13 + 3);
    });

    it("a slow answer times out after zohoCrm.requestTimeoutMs and that page is asked again", async () => {
      zohoSettings({ requestTimeoutMs: 300 });
      // The fifth call's answer would take a minute (longer than this test may run): only the
      // client's timeout can end that call.
      sim.inject({ match: { method: "GET", path: LEADS }, delayMs: 60000, afterRequests: 4 });
      const t = await loadNodes(sim, [readDef("r", { output: "page" })], { conn: { concurrency: 1 } });
      const calls = watchCalls(t.conn.getClient());
      const s = await t.run("r");
      s.caught.should.have.length(0);
      s.out[0].flatMap((m) => m.payload.map((r) => r.id)).should.eql(expected());
      const byPage = assertEachPageOnce(sim, LEADS);
      // The slow page was never answered (status undefined) yet asked again and answered: the read
      // did not wait for the slow answer.
      [...byPage.values()].filter((statuses) => statuses.length > 1).should.eql([[undefined, 200]]);
      sim.count({ method: "GET", path: LEADS }).should.equal(14);
      const failed = calls.filter((c) => c.error);
      failed.should.have.length(1);
      failed[0].error.code.should.equal("TIMEOUT");
      // The client gave the slow call up: its connection was closed, nothing is in flight at Zoho.
      await waitFor(() => sim.requestsOpen === 0, { what: "the timed-out call's connection to close" });
    });

    it("many flows reading at once share one access token: exactly one refresh per burst", async () => {
      sim.setLatency(15);
      const defs = Array.from({ length: 8 }, (_, i) => readDef(`r${i}`, { maxRecords: 300 + i }));
      const t = await loadNodes(sim, defs, { tabs: true, conn: { concurrency: 10 } });
      const before = sim.tokenRefreshCount;
      let results = await Promise.all(defs.map((d) => t.run(d.id)));
      results.forEach((s, i) => s.out[0][0].payload.should.have.length(300 + i));
      sim.tokenRefreshCount.should.equal(before + 1);
      sim.count({ path: "/oauth/v2/token" }).should.equal(1);
      sim.expireAccessTokens();
      results = await Promise.all(defs.map((d) => t.run(d.id)));
      results.forEach((s) => s.caught.should.have.length(0));
      sim.tokenRefreshCount.should.equal(before + 2);
    });
  });

  describe("writes under faults: count in = succeeded + failed, nothing twice", function () {
    let sim;
    beforeEach(async () => ({ sim } = await startSimulator()));
    afterEach(() => sim.stop());

    const scenarios = [
      { name: "a burst of 429s", fault: { status: 429, times: 3, afterRequests: 1 }, allOk: true },
      { name: "a 500", fault: { status: 500, afterRequests: 1 }, unknown: 100 },
      { name: "a connection dropped before Zoho read the batch", fault: { drop: "before", afterRequests: 2 }, unknown: 100 },
      { name: "a connection dropped after Zoho wrote the batch", fault: { drop: "after", afterRequests: 2 }, unknown: 100, writtenAnyway: true },
      { name: "a slow answer (timeout)", fault: { delayMs: 60000, afterRequests: 4 }, settings: { requestTimeoutMs: 300 }, unknown: 50, writtenAnyway: true },
      { name: "the access token expiring between batches", expire: true, allOk: true },
    ];
    for (const sc of scenarios) {
      it(`create with ${sc.name}`, async () => {
        if (sc.settings) zohoSettings(sc.settings);
        if (sc.fault) sim.inject({ match: { method: "POST", path: LEADS }, ...sc.fault });
        const t = await loadNodes(sim, [writeDef("w")], { conn: { concurrency: 1 } });
        if (sc.expire) {
          let answered = 0;
          watchCalls(t.conn.getClient(), { onAnswer: (req) => req.url.includes(LEADS) && ++answered === 2 && sim.expireAccessTokens() });
        }
        const input = leads(450, "wf");
        const s = await t.run("w", { payload: input });
        const { ok, bad, held } = assertWriteAccounted(s, sim, input, "wf");
        if (sc.allOk) {
          ok.should.have.length(450);
          s.caught.should.have.length(0);
          held.should.have.length(450);
        } else {
          bad.should.have.length(sc.unknown);
          bad.forEach((r) => r.code.should.equal("OUTCOME_UNKNOWN"));
          s.caught.should.have.length(1);
          s.caught[0].error.code.should.equal("OUTCOME_UNKNOWN");
          held.should.have.length(sc.writtenAnyway ? 450 : 450 - sc.unknown);
        }
        if (sc.expire) sim.requests.filter((r) => r.status === 401).should.have.length(1);
        // Only 429s and rejected tokens (certainly not processed) are ever sent again.
        const posts = sim.requests.filter((r) => r.method === "POST" && r.path === LEADS);
        posts.filter((r) => r.status !== 429 && r.status !== 401).should.have.length(5);
      });
    }

    it("upsert with a connection dropped after Zoho wrote the batch: sent once, reported unknown", async () => {
      sim.inject({ match: { method: "POST", path: `${LEADS}/upsert` }, drop: "after", afterRequests: 1 });
      const t = await loadNodes(sim, [writeDef("w", { operation: "upsert", duplicateCheckFields: "Email" })], { conn: { concurrency: 2 } });
      const input = leads(300, "wu");
      const s = await t.run("w", { payload: input });
      const { bad, held } = assertWriteAccounted(s, sim, input, "wu");
      bad.should.have.length(100);
      held.should.have.length(300);
      sim.count({ method: "POST", path: `${LEADS}/upsert` }).should.equal(3);
    });
  });

  describe("stopping: redeploy or shutdown", function () {
    let sim, baseline;
    beforeEach(async () => {
      ({ sim } = await startSimulator());
      // The simulator does not close idle keep-alive sockets itself (Node's default would, after 5 s):
      // a socket the connection fails to close stays open, however long the waits below take.
      sim.server.keepAliveTimeout = 0;
      sim.seedRecords("Leads", 2500);
      await turns(); // sockets of the previous test (already destroyed) finish closing
      baseline = activeResources();
    });
    afterEach(() => sim.stop());

    /**
     * Client sockets are gone (the simulator's side closes with them) and no timers of ours remain:
     * nothing is left that could make a call later. Sockets close asynchronously, so their closing is
     * waited for (one left open never closes: see keepAliveTimeout above); timers are checked at once
     * (closing clears them synchronously).
     */
    async function assertNothingLeft() {
      await waitFor(() => sim.sockets.size === 0 && (activeResources().TCPSocketWrap || 0) <= (baseline.TCPSocketWrap || 0), {
        what: "the connection's sockets to close",
      });
      const now = activeResources();
      ((now.Timeout || 0) - sim.timers.size).should.be.belowOrEqual(baseline.Timeout || 0, "a timer of ours is still running");
    }

    it("a redeploy in the middle of reads and writes stops without waiting for answers and reports the writes in flight", async () => {
      sim.setLatency(150);
      // The write's second batch is written by Zoho but answered only after a minute, so a write is
      // certainly in flight when the redeploy comes, however slow this machine is.
      sim.inject({ match: { method: "POST", path: LEADS }, delayMs: 60000, afterRequests: 1 });
      const t = await loadNodes(
        sim,
        [readDef("rl", { output: "record" }), readDef("rq", { operation: "coql", query: "select Last_Name from Leads where id is not null", queryType: "str", output: "page" }), writeDef("w")],
        { conn: { concurrency: 4 } },
      );
      const w = t.node("w");
      const reports = [];
      const report = w.error;
      w.error = function (err, msg) {
        reports.push({ err, msg });
        return report.call(this, err, msg);
      };
      const input = leads(900, "stop");
      for (const id of ["rl", "rq"]) helper.getNode(id).receive({ payload: "go" });
      w.receive({ payload: input });
      // In the middle: both reads have had answers and the write's slow batch has reached Zoho.
      const answered = (path) => sim.requests.some((r) => r.path === path && r.status === 200);
      await waitFor(() => answered(LEADS) && answered("/crm/v8/coql") && sim.count({ method: "POST", path: LEADS }) >= 2, {
        what: "both reads answered and the slow batch sent",
      });
      const started = Date.now();
      await helper.unload();
      // Waiting for the slow batch would take a minute; the bound only catches a stop that waits.
      (Date.now() - started).should.be.below(5000);
      await waitFor(() => sim.requestsOpen === 0, { what: "the calls in flight to be dropped" });
      await assertNothingLeft();
      // No socket and no timer of ours is left to make a call; the log does not grow either.
      const calls = sim.requests.length;
      await turns();
      sim.requests.length.should.equal(calls, "no call after the stop");
      // The write reported what became of every record: written, not sent, or unknown.
      reports.should.have.length(1);
      const text = reports[0].err.message;
      const [written, notSent, unknown, rejected] = /(\d+) written, (\d+) not sent, (\d+) with unknown outcome.*?, (\d+) rejected/.exec(text).slice(1).map(Number);
      (written + notSent + unknown + rejected).should.equal(900);
      unknown.should.be.above(0);
      const held = sim.records("Leads").map((r) => r.Email).filter((e) => typeof e === "string" && e.startsWith("stop."));
      held.length.should.equal(new Set(held).size);
      held.length.should.be.aboveOrEqual(written);
      held.length.should.be.belowOrEqual(written + unknown);
      reports[0].msg.zoho.should.match({ total: 900 });
    });

    it("stops at once while the token refresh is slow", async () => {
      // The token answer would take a minute: only stopping can end the wait for it.
      sim.inject({ match: { path: "/oauth/v2/token" }, delayMs: 60000 });
      const t = await loadNodes(sim, [readDef("r"), writeDef("w")]);
      t.node("r").receive({ payload: "go" });
      t.node("w").receive({ payload: leads(3, "slowtoken") });
      await waitFor(() => sim.count({ path: "/oauth/v2/token" }) > 0, { what: "the token refresh to reach Zoho" });
      const started = Date.now();
      await helper.unload();
      (Date.now() - started).should.be.below(5000);
      await assertNothingLeft();
      sim.count({ path: CRM }).should.equal(0);
    });

    it("stops at once while waiting out a long rate-limit backoff", async () => {
      zohoSettings({ retryBaseDelayMs: 10000, retryMaxDelayMs: 60000 });
      sim.inject({ match: { path: LEADS }, status: 429, headers: { "Retry-After": "30" }, times: 10 });
      const t = await loadNodes(sim, [readDef("r", { maxRecords: 10 }), writeDef("w")]);
      const calls = watchCalls(t.conn.getClient());
      const reports = [];
      const w = t.node("w");
      const report = w.error;
      w.error = function (err, msg) {
        reports.push({ err, msg });
        return report.call(this, err, msg);
      };
      t.node("r").receive({ payload: "go" });
      t.node("w").receive({ payload: leads(3, "backoff") });
      // Both calls were answered 429 at the client, which then waits out Retry-After (30 s).
      await waitFor(() => calls.filter((c) => c.status === 429).length >= 2, { what: "the read's and the write's calls to be answered 429" });
      sim.requests.filter((r) => r.status === 429).length.should.equal(2);
      const started = Date.now();
      await helper.unload();
      (Date.now() - started).should.be.below(5000);
      await assertNothingLeft();
      sim.records("Leads").filter((r) => String(r.Email).startsWith("backoff.")).should.have.length(0);
      // Zoho answered 429 (not processed) and the retry never went out: certainly not written, so the
      // node reports the records as not sent (ABORTED), not as an unknown outcome.
      reports.should.have.length(1);
      reports[0].err.message.should.match(/0 written, 3 not sent, 0 with unknown outcome/);
    });

    it("an idle connection leaves no sockets behind after a redeploy", async () => {
      const t = await loadNodes(sim, [readDef("r", { maxRecords: 10 })]);
      await t.run("r");
      sim.sockets.size.should.be.above(0); // kept alive between calls
      await helper.unload();
      await assertNothingLeft();
    });
  });
});
