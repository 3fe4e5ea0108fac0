// Write batching against the simulator: create, update, upsert, delete; faults; exactly-once accounting.
"use strict";
const should = require("should");
const { startSimulator, simClient, waitFor, within } = require("./fixtures");
const { writeRecords, normaliseTrigger, normaliseFieldList } = require("../dist/nodes/zoho/writes");
const { httpSend } = require("../dist/nodes/zoho/transport");
const { ZohoError } = require("../dist/nodes/zoho");

const LEADS = "/crm/v8/Leads";

function leads(n, tag, from = 0) {
  return Array.from({ length: n }, (_, i) => ({ Last_Name: `${tag} ${from + i}`, Email: `${tag}.${from + i}@example.com` }));
}

function emailsIn(sim, tag) {
  return sim
    .records("Leads")
    .map((r) => r.Email)
    .filter((e) => typeof e === "string" && e.startsWith(`${tag}.`));
}

/** The simulator holds each of the given emails exactly once. */
function assertHeldOnce(sim, tag, expected) {
  const held = emailsIn(sim, tag);
  held.length.should.equal(new Set(held).size, "a record was written twice");
  held.sort().should.eql([...expected].sort());
}

function assertAccounted(results, total) {
  results.length.should.equal(total);
  results.forEach((r, i) => r.index.should.equal(i));
  const ok = results.filter((r) => r.ok).length;
  (ok + results.filter((r) => !r.ok).length).should.equal(total);
}

describe("writes: create, update, upsert, delete in batches", function () {
  let sim, refreshToken, client;
  beforeEach(async () => {
    ({ sim, refreshToken } = await startSimulator());
    client = simClient(sim, refreshToken, { concurrency: 3 });
  });
  afterEach(async () => sim.stop());

  describe("create", function () {
    it("writes 250 records in three calls of at most 100, with progress", async () => {
      const input = leads(250, "c250");
      const progress = [];
      const results = await writeRecords(client, { operation: "create", module: "Leads", records: input, onProgress: (d, t) => progress.push([d, t]) });
      assertAccounted(results, 250);
      results.every((r) => r.ok && r.code === "SUCCESS").should.be.true();
      results.forEach((r, i) => {
        r.input.should.equal(input[i]);
        r.id.should.be.a.String().and.match(/^\d{18,19}$/);
        r.status.should.equal(201);
      });
      new Set(results.map((r) => r.id)).size.should.equal(250);
      const calls = sim.requests.filter((r) => r.method === "POST" && r.path === LEADS);
      calls.length.should.equal(3);
      calls.map((c) => c.body.data.length).sort((a, b) => a - b).should.eql([50, 100, 100]);
      calls.forEach((c) => should(c.body.trigger).be.undefined());
      progress[progress.length - 1].should.eql([250, 250]);
      assertHeldOnce(sim, "c250", input.map((r) => r.Email));
    });

    it("maps a mixed batch back to each record and never sends the invalid ones", async () => {
      sim.seedRecords("Leads", [{ Last_Name: "Existing", Email: "taken@example.com" }]);
      const polluted = JSON.parse('{"Last_Name":"Evil","Email":"evil@example.com","__proto__":{"admin":true}}');
      const input = [
        { Last_Name: "Good 1", Email: "mix.1@example.com" },
        { Email: "mix.2@example.com" }, // no Last_Name
        { Last_Name: "Dup", Email: "taken@example.com" },
        null,
        "not a record",
        42,
        [{ Last_Name: "nested array" }],
        polluted,
        { Last_Name: "Nested", Email: "mix.9@example.com", Address: { constructor: { prototype: {} } } },
        { Last_Name: "Good 2", Email: "mix.10@example.com" },
      ];
      const results = await writeRecords(client, { operation: "create", module: "Leads", records: input });
      assertAccounted(results, input.length);
      results.map((r) => r.code).should.eql([
        "SUCCESS",
        "MANDATORY_NOT_FOUND",
        "DUPLICATE_DATA",
        "INVALID_INPUT",
        "INVALID_INPUT",
        "INVALID_INPUT",
        "INVALID_INPUT",
        "INVALID_INPUT",
        "INVALID_INPUT",
        "SUCCESS",
      ]);
      results[1].details.api_name.should.equal("Last_Name");
      results[1].advice.should.match(/required field/);
      results[2].details.api_name.should.equal("Email");
      results[2].status.should.equal(207);
      results[7].message.should.match(/__proto__/);
      results[8].message.should.match(/constructor/);
      results[9].input.should.equal(input[9]);
      ({}).should.not.have.property("admin");
      const calls = sim.requests.filter((r) => r.method === "POST" && r.path === LEADS);
      calls.length.should.equal(1);
      calls[0].body.data.map((r) => r.Last_Name).should.eql(["Good 1", undefined, "Dup", "Good 2"]);
      assertHeldOnce(sim, "mix", ["mix.1@example.com", "mix.10@example.com"]);
    });

    it("sends the chosen triggers: none, some, or Zoho's default", async () => {
      await writeRecords(client, { operation: "create", module: "Leads", records: leads(1, "t0"), trigger: [] });
      await writeRecords(client, { operation: "create", module: "Leads", records: leads(1, "t1"), trigger: ["workflow", "approval", "workflow"] });
      await writeRecords(client, { operation: "create", module: "Leads", records: leads(1, "t2") });
      const bodies = sim.requests.filter((r) => r.method === "POST" && r.path === LEADS).map((r) => r.body);
      bodies[0].trigger.should.eql([]);
      bodies[1].trigger.should.eql(["workflow", "approval"]);
      bodies[2].should.not.have.property("trigger");
    });
  });

  describe("upsert", function () {
    it("reports insert vs update and the matched record", async () => {
      const [existing] = sim.seedRecords("Leads", [{ Last_Name: "Before", Email: "up.1@example.com" }]);
      const input = [
        { Last_Name: "After", Email: "up.1@example.com" },
        { Last_Name: "New", Email: "up.2@example.com" },
        { Email: "up.3@example.com" }, // new and no Last_Name
      ];
      const results = await writeRecords(client, { operation: "upsert", module: "Leads", records: input, duplicateCheckFields: ["Email"] });
      assertAccounted(results, 3);
      results[0].should.containEql({ ok: true, action: "update", id: existing.id, duplicateField: "Email" });
      results[1].ok.should.be.true();
      results[1].action.should.equal("insert");
      results[1].id.should.not.equal(existing.id);
      results[2].should.containEql({ ok: false, code: "MANDATORY_NOT_FOUND" });
      const call = sim.requests.find((r) => r.path === `${LEADS}/upsert`);
      call.method.should.equal("POST");
      call.body.duplicate_check_fields.should.eql(["Email"]);
      sim.records("Leads").find((r) => r.id === existing.id).Last_Name.should.equal("After");
      assertHeldOnce(sim, "up", ["up.1@example.com", "up.2@example.com"]);
    });

    it("leaves out duplicate_check_fields when none are given, and rejects an unknown one as a whole", async () => {
      await writeRecords(client, { operation: "upsert", module: "Leads", records: leads(1, "ud") });
      sim.requests.find((r) => r.path === `${LEADS}/upsert`).body.should.not.have.property("duplicate_check_fields");
      const results = await writeRecords(client, { operation: "upsert", module: "Leads", records: leads(2, "ux"), duplicateCheckFields: ["Phone"] });
      results.every((r) => !r.ok && r.code === "INVALID_DATA" && r.requestError instanceof ZohoError).should.be.true();
    });
  });

  describe("update", function () {
    it("updates by id and reports unknown, missing and unsafe ids per record", async () => {
      const seeded = sim.seedRecords("Leads", leads(2, "upd"));
      const input = [
        { id: seeded[0].id, Last_Name: "Renamed 0" },
        { id: "1234567890123456789", Last_Name: "Ghost" },
        { Last_Name: "No id" },
        { id: 5725767000001000001, Last_Name: "Unsafe number" },
        { id: ` ${seeded[1].id} `, Last_Name: "Renamed 1" },
        { id: "12ab", Last_Name: "Bad id" },
      ];
      const results = await writeRecords(client, { operation: "update", module: "Leads", records: input });
      assertAccounted(results, input.length);
      results.map((r) => r.code).should.eql(["SUCCESS", "INVALID_DATA", "MISSING_ID", "INVALID_ID", "SUCCESS", "INVALID_ID"]);
      results[0].id.should.equal(seeded[0].id);
      results[1].id.should.equal("1234567890123456789");
      results[3].advice.should.match(/pass ids as strings/);
      results[4].id.should.equal(seeded[1].id);
      input[4].id.should.equal(` ${seeded[1].id} `); // the input is left as it was
      const call = sim.requests.find((r) => r.method === "PUT" && r.path === LEADS);
      call.body.data.map((r) => r.id).should.eql([seeded[0].id, "1234567890123456789", seeded[1].id]);
      const names = sim.records("Leads").map((r) => r.Last_Name);
      names.should.containEql("Renamed 0");
      names.should.containEql("Renamed 1");
    });
  });

  describe("delete", function () {
    it("deletes ids given as strings or records, reports unknown and repeated ids", async () => {
      const seeded = sim.seedRecords("Leads", leads(3, "del"));
      const input = [seeded[0].id, { id: seeded[1].id, Last_Name: "x" }, "1234567890123456789", seeded[0].id, { Last_Name: "no id" }, true, seeded[2].id];
      const results = await writeRecords(client, { operation: "delete", module: "Leads", records: input, trigger: [] });
      assertAccounted(results, input.length);
      results.map((r) => r.code).should.eql(["SUCCESS", "SUCCESS", "INVALID_DATA", "DUPLICATE_ID", "MISSING_ID", "INVALID_INPUT", "SUCCESS"]);
      results[2].id.should.equal("1234567890123456789");
      results[1].input.should.equal(input[1]);
      const calls = sim.requests.filter((r) => r.method === "DELETE");
      calls.length.should.equal(1);
      calls[0].query.ids.split(",").should.eql([seeded[0].id, seeded[1].id, "1234567890123456789", seeded[2].id]);
      calls[0].query.wf_trigger.should.equal("false");
      emailsIn(sim, "del").should.eql([]);
    });

    it("sends at most 100 ids per call and omits wf_trigger by default", async () => {
      const seeded = sim.seedRecords("Leads", leads(230, "dl"));
      const results = await writeRecords(client, { operation: "delete", module: "Leads", records: seeded.map((r) => r.id) });
      results.every((r) => r.ok).should.be.true();
      const calls = sim.requests.filter((r) => r.method === "DELETE");
      calls.map((c) => c.query.ids.split(",").length).sort((a, b) => a - b).should.eql([30, 100, 100]);
      calls.forEach((c) => should(c.query.wf_trigger).be.undefined());
      emailsIn(sim, "dl").should.eql([]);
    });
  });

  describe("concurrency", function () {
    it("keeps several batches in flight within the connection's limit", async () => {
      sim.setLatency(80);
      const input = leads(1000, "cc");
      const results = await writeRecords(client, { operation: "create", module: "Leads", records: input });
      results.every((r) => r.ok).should.be.true();
      sim.count({ method: "POST", path: LEADS }).should.equal(10);
      sim.maxInFlight.should.be.belowOrEqual(3);
      sim.maxInFlight.should.equal(3);
      assertHeldOnce(sim, "cc", input.map((r) => r.Email));
    });

    it("keeps bulk writes within Zoho's sub-concurrency of 10 when the connection allows more", async () => {
      sim.setLatency(150);
      const wide = simClient(sim, refreshToken, { concurrency: 20 });
      const results = await writeRecords(wide, { operation: "create", module: "Leads", records: leads(2000, "sub") });
      results.every((r) => r.ok).should.be.true();
      sim.maxInFlight.should.be.belowOrEqual(10);
      sim.maxInFlight.should.be.above(6); // and they do run in parallel
    });
  });

  describe("faults: no double writes", function () {
    it("retries a 429 (Zoho did not process it) and writes every record once", async () => {
      sim.inject({ match: { method: "POST", path: LEADS }, status: 429, times: 2 });
      const input = leads(250, "r429");
      const results = await writeRecords(client, { operation: "create", module: "Leads", records: input });
      results.every((r) => r.ok).should.be.true();
      sim.count({ method: "POST", path: LEADS }).should.equal(5);
      assertHeldOnce(sim, "r429", input.map((r) => r.Email));
    });

    it("recovers from Zoho's concurrency-limit 429s when the connection allows more than the org", async () => {
      const limited = await startSimulator({ concurrencyLimit: 2, latencyMs: 20 });
      try {
        const c = simClient(limited.sim, limited.refreshToken, { concurrency: 4 });
        const input = leads(800, "org429");
        const results = await writeRecords(c, { operation: "create", module: "Leads", records: input });
        results.every((r) => r.ok).should.be.true();
        limited.sim.requests.filter((r) => r.status === 429).length.should.be.above(0);
        limited.sim.requests.filter((r) => r.method === "POST" && r.path === LEADS && r.status === 201).length.should.equal(8);
        assertHeldOnce(limited.sim, "org429", input.map((r) => r.Email));
      } finally {
        await limited.sim.stop();
      }
    });

    it("does not re-send a batch answered with 500: its records are OUTCOME_UNKNOWN", async () => {
      sim.inject({ match: { method: "POST", path: LEADS }, status: 500, afterRequests: 1 });
      const client1 = simClient(sim, refreshToken, { concurrency: 1 });
      const input = leads(250, "r500");
      const results = await writeRecords(client1, { operation: "create", module: "Leads", records: input });
      assertAccounted(results, 250);
      sim.count({ method: "POST", path: LEADS }).should.equal(3);
      const unknown = results.filter((r) => !r.ok);
      unknown.length.should.equal(100);
      unknown.map((r) => r.index).should.eql(Array.from({ length: 100 }, (_, i) => 100 + i));
      unknown.forEach((r) => {
        r.code.should.equal("OUTCOME_UNKNOWN");
        r.message.should.match(/HTTP 500/);
        r.advice.should.match(/upsert/);
        r.details.cause.should.equal("INTERNAL_ERROR");
        r.requestError.outcomeUnknown.should.be.true();
      });
      assertHeldOnce(sim, "r500", input.filter((_, i) => i < 100 || i >= 200).map((r) => r.Email));
    });

    it("does not re-send a batch whose connection dropped after Zoho wrote it", async () => {
      sim.inject({ match: { method: "POST", path: `${LEADS}/upsert` }, drop: "after" });
      const input = leads(150, "dropa");
      const results = await writeRecords(client, { operation: "upsert", module: "Leads", records: input, duplicateCheckFields: ["Email"] });
      assertAccounted(results, 150);
      sim.count({ method: "POST", path: `${LEADS}/upsert` }).should.equal(2);
      const failed = results.filter((r) => !r.ok);
      failed.length.should.be.oneOf(100, 50);
      failed.forEach((r) => r.code.should.equal("OUTCOME_UNKNOWN"));
      // Zoho did write them: the simulator holds every record once, none twice.
      assertHeldOnce(sim, "dropa", input.map((r) => r.Email));
    });

    it("does not re-send a batch whose connection dropped before Zoho processed it", async () => {
      sim.inject({ match: { method: "PUT", path: LEADS }, drop: "before" });
      const seeded = sim.seedRecords("Leads", leads(3, "dropb"));
      const results = await writeRecords(client, { operation: "update", module: "Leads", records: seeded.map((r) => ({ id: r.id, Last_Name: "changed" })) });
      results.map((r) => r.code).should.eql(["OUTCOME_UNKNOWN", "OUTCOME_UNKNOWN", "OUTCOME_UNKNOWN"]);
      sim.count({ method: "PUT", path: LEADS }).should.equal(1);
      sim.records("Leads").filter((r) => r.Last_Name === "changed").length.should.equal(0);
    });

    it("retries a refused connection (nothing was sent)", async () => {
      let refusals = 1;
      const send = async (req) => {
        if (req.url.includes("/crm/") && refusals-- > 0) {
          throw new ZohoError({ code: "NETWORK_ERROR", message: "cannot connect (ECONNREFUSED)", retryable: true, notProcessed: true });
        }
        return httpSend(req);
      };
      const refusing = simClient(sim, refreshToken, { send });
      const input = leads(5, "refused");
      const results = await writeRecords(refusing, { operation: "create", module: "Leads", records: input });
      results.every((r) => r.ok).should.be.true();
      assertHeldOnce(sim, "refused", input.map((r) => r.Email));
    });

    it("marks records UNEXPECTED_RESPONSE when Zoho's answer cannot be matched", async () => {
      sim.inject({ match: { method: "POST", path: LEADS }, status: 201, body: { data: [{ code: "SUCCESS", status: "success", message: "record added", details: { id: "1" } }] } });
      const results = await writeRecords(client, { operation: "create", module: "Leads", records: leads(3, "um") });
      results.map((r) => r.code).should.eql(["UNEXPECTED_RESPONSE", "UNEXPECTED_RESPONSE", "UNEXPECTED_RESPONSE"]);
      results[0].message.should.match(/1 results for 3 records/);
      results[0].requestError.code.should.equal("UNEXPECTED_RESPONSE");
      sim.inject({ match: { method: "POST", path: LEADS }, status: 200, body: "<html>gateway</html>" });
      const r2 = await writeRecords(client, { operation: "create", module: "Leads", records: leads(2, "um2") });
      r2.map((r) => r.code).should.eql(["UNEXPECTED_RESPONSE", "UNEXPECTED_RESPONSE"]);
    });
  });

  describe("request-level failures", function () {
    it("fails every record with OAUTH_SCOPE_MISMATCH and stops sending further batches", async () => {
      const readOnly = sim.issueRefreshToken(require("./fixtures").CLIENT_ID, "ZohoCRM.modules.leads.READ");
      const c = simClient(sim, readOnly, { concurrency: 1 });
      const results = await writeRecords(c, { operation: "create", module: "Leads", records: leads(250, "scope") });
      assertAccounted(results, 250);
      results.every((r) => !r.ok && r.code === "OAUTH_SCOPE_MISMATCH").should.be.true();
      results[0].requestError.should.be.instanceOf(ZohoError);
      results[0].advice.should.match(/scope/);
      results[150].message.should.match(/not sent/);
      sim.count({ method: "POST", path: LEADS }).should.equal(1);
      emailsIn(sim, "scope").should.eql([]);
    });

    it("fails every record with INVALID_MODULE for an unknown module", async () => {
      const results = await writeRecords(simClient(sim, refreshToken, { concurrency: 1 }), { operation: "upsert", module: "NoSuchModule", records: leads(120, "nm") });
      results.every((r) => r.code === "INVALID_MODULE").should.be.true();
      sim.count({ method: "POST", path: /^\/crm\// }).should.equal(1);
    });

    it("reports batches not yet sent as ABORTED and in-flight ones as OUTCOME_UNKNOWN when stopped", async () => {
      // Zoho writes the first batch but answers only after a minute: it is in flight when the abort
      // comes, however slow this machine is.
      sim.inject({ match: { method: "POST", path: LEADS }, delayMs: 60000 });
      const c = simClient(sim, refreshToken, { concurrency: 1 });
      const ctl = new AbortController();
      const input = leads(300, "abort");
      const writing = writeRecords(c, { operation: "create", module: "Leads", records: input, signal: ctl.signal });
      await waitFor(() => sim.count({ method: "POST", path: LEADS }) === 1, { what: "the first batch to reach Zoho" });
      ctl.abort();
      // Waiting for the answer would take a minute; the bound only catches a write that waits for it.
      const results = await within(writing, 5000, "the write ending after the abort");
      // The caller stopped waiting, but the batch sent is still being worked on by Zoho: it keeps its
      // slot on the connection (and its socket) until it is done or the connection closes.
      c.load.inFlight.should.equal(1);
      c.close();
      await waitFor(() => sim.requestsOpen === 0 && c.load.inFlight === 0, { what: "the call to end when the connection closes" });
      assertAccounted(results, 300);
      results.slice(0, 100).every((r) => r.code === "OUTCOME_UNKNOWN").should.be.true();
      results.slice(100).every((r) => r.code === "ABORTED" && /not sent/.test(r.message)).should.be.true();
      sim.count({ method: "POST", path: LEADS }).should.equal(1);
    });

    it("sends nothing when already aborted", async () => {
      const ctl = new AbortController();
      ctl.abort();
      const results = await writeRecords(client, { operation: "create", module: "Leads", records: leads(3, "pre"), signal: ctl.signal });
      results.every((r) => r.code === "ABORTED").should.be.true();
      sim.count({ method: "POST", path: LEADS }).should.equal(0);
    });
  });

  describe("options", function () {
    it("rejects a bad operation, module, trigger, field list or batch size before any call", async () => {
      const bad = [
        { operation: "merge", module: "Leads", records: [] },
        { operation: "create", module: "../org", records: [] },
        { operation: "create", module: "Leads", records: "x" },
        { operation: "create", module: "Leads", records: [], trigger: ["everything"] },
        { operation: "upsert", module: "Leads", records: [], duplicateCheckFields: ["Email; drop"] },
        { operation: "create", module: "Leads", records: [], batchSize: 101 },
      ];
      for (const opts of bad) {
        const err = await writeRecords(client, opts).then(() => null, (e) => e);
        should(err).be.instanceOf(ZohoError);
      }
      sim.requests.filter((r) => r.path.startsWith("/crm/")).length.should.equal(0);
    });

    it("normalises trigger and field lists", () => {
      should(normaliseTrigger(undefined)).be.undefined();
      should(normaliseTrigger(null)).be.undefined();
      normaliseTrigger([]).should.eql([]);
      normaliseTrigger("workflow, blueprint").should.eql(["workflow", "blueprint"]);
      should(normaliseFieldList("")).be.undefined();
      normaliseFieldList(" Email , Mobile ,Email").should.eql(["Email", "Mobile"]);
    });

    it("resolves an empty list without calls", async () => {
      (await writeRecords(client, { operation: "create", module: "Leads", records: [] })).should.eql([]);
      sim.requests.filter((r) => r.path.startsWith("/crm/")).length.should.equal(0);
    });
  });
});
