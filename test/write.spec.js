// The zoho-crm-write node with node-red-node-test-helper and the simulator.
"use strict";
const should = require("should");
const { helper, startSimulator, configFlow, configNode, writeNodePath, CLIENT_ID, waitFor, turns } = require("./fixtures");

const writeNode = require(writeNodePath);
const LEADS = "/crm/v8/Leads";
const CRM = /^\/crm\//;

function leads(n, tag) {
  return Array.from({ length: n }, (_, i) => ({ Last_Name: `${tag} ${i}`, Email: `${tag}.${i}@example.com` }));
}

function emailsIn(sim, tag) {
  return sim
    .records("Leads")
    .map((r) => r.Email)
    .filter((e) => typeof e === "string" && e.startsWith(`${tag}.`));
}

describe("zoho-crm-write node", function () {
  let sim, refreshToken;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => ({ sim, refreshToken } = await startSimulator()));
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  /** Load conn + writer + collectors; returns a function that sends a msg and waits for done. */
  async function load(props = {}, connExtra = {}, token = refreshToken) {
    const { node: conn, credentials } = configFlow(sim, token, "conn", connExtra);
    const flow = [
      { id: "f1", type: "tab" },
      conn,
      { id: "w", type: "zoho-crm-write", z: "f1", name: "", connection: "conn", operation: "create", module: "Leads", moduleType: "str", wires: [["ok"], ["bad"]], ...props },
      { id: "ok", type: "helper", z: "f1" },
      { id: "bad", type: "helper", z: "f1" },
      { id: "c", type: "catch", z: "f1", scope: ["w"], uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper", z: "f1" },
      { id: "cp", type: "complete", z: "f1", scope: ["w"], wires: [["completed"]] },
      { id: "completed", type: "helper", z: "f1" },
    ];
    await helper.load([configNode, writeNode], flow, credentials);
    const w = helper.getNode("w");
    const seen = { ok: [], bad: [], caught: [], completed: [], status: [] };
    for (const id of ["ok", "bad", "caught", "completed"]) helper.getNode(id).on("input", (m) => seen[id].push(m));
    w.on("call:status", (call) => seen.status.push(call.args[0]));
    const run = async (msg) => {
      const before = seen.caught.length + seen.completed.length;
      w.receive(msg);
      await waitFor(() => seen.caught.length + seen.completed.length > before, { timeout: 15000, what: "the node to call done" });
      // Outputs sent before done() were queued before the Complete/Catch node's message (Node-RED
      // delivers in order), so they are here already; a few loop turns make sure.
      await turns();
      return seen;
    };
    return { w, seen, run };
  }

  it("creates 250 records in three calls and sends one array of results on output 1", async () => {
    const { seen, run } = await load({ name: "" });
    const input = leads(250, "n250");
    await run({ payload: input, topic: "t" });
    seen.bad.should.have.length(0);
    seen.caught.should.have.length(0);
    seen.completed.should.have.length(1);
    seen.ok.should.have.length(1);
    const msg = seen.ok[0];
    msg.topic.should.equal("t");
    msg.zoho.should.eql({ module: "Leads", operation: "create", total: 250, succeeded: 250, failed: 0 });
    msg.payload.should.be.an.Array().and.have.length(250);
    msg.payload.forEach((r, i) => {
      r.record.should.eql(input[i]);
      r.index.should.equal(i);
      r.code.should.equal("SUCCESS");
      r.id.should.match(/^\d{18,19}$/);
      r.httpStatus.should.equal(201);
      r.details.id.should.equal(r.id);
    });
    const calls = sim.requests.filter((r) => r.method === "POST" && r.path === LEADS);
    calls.length.should.equal(3);
    calls.forEach((c) => c.body.data.length.should.be.belowOrEqual(100));
    emailsIn(sim, "n250").should.have.length(250);
    seen.status[0].should.match({ fill: "blue", shape: "dot", text: "zoho-crm-write.status.writing" });
    seen.status[seen.status.length - 1].should.match({ fill: "green", shape: "dot", text: "zoho-crm-write.status.ok" });
  });

  it("mirrors a single record: one object in, one result object out", async () => {
    const { seen, run } = await load();
    await run({ payload: { Last_Name: "Solo", Email: "solo.1@example.com" } });
    seen.ok.should.have.length(1);
    seen.ok[0].payload.should.be.an.Object().and.not.be.an.Array();
    seen.ok[0].payload.should.match({ record: { Last_Name: "Solo" }, index: 0, code: "SUCCESS" });
    seen.ok[0].zoho.should.match({ total: 1, succeeded: 1, failed: 0 });
  });

  it("splits a mixed array between the outputs, in input order, each record once", async () => {
    sim.seedRecords("Leads", [{ Last_Name: "Taken", Email: "mixn.taken@example.com" }]);
    const { seen, run } = await load();
    const input = [
      { Last_Name: "A", Email: "mixn.a@example.com" },
      { Email: "mixn.b@example.com" },
      "not a record",
      { Last_Name: "C", Email: "mixn.taken@example.com" },
      { Last_Name: "D", Email: "mixn.d@example.com" },
      null,
    ];
    await run({ payload: input });
    seen.caught.should.have.length(0);
    seen.completed.should.have.length(1);
    const ok = seen.ok[0].payload;
    const bad = seen.bad[0].payload;
    ok.map((r) => r.index).should.eql([0, 4]);
    bad.map((r) => [r.index, r.code]).should.eql([
      [1, "MANDATORY_NOT_FOUND"],
      [2, "INVALID_INPUT"],
      [3, "DUPLICATE_DATA"],
      [5, "INVALID_INPUT"],
    ]);
    bad[0].details.api_name.should.equal("Last_Name");
    bad[0].advice.should.be.a.String();
    bad[1].record.should.equal("not a record");
    (ok.length + bad.length).should.equal(input.length);
    seen.ok[0].zoho.should.eql({ module: "Leads", operation: "create", total: 6, succeeded: 2, failed: 4 });
    seen.bad[0].zoho.should.eql(seen.ok[0].zoho);
    emailsIn(sim, "mixn").sort().should.eql(["mixn.a@example.com", "mixn.d@example.com", "mixn.taken@example.com"]);
    seen.status[seen.status.length - 1].should.match({ fill: "yellow", shape: "ring", text: "zoho-crm-write.status.partial" });
  });

  it("upserts by the chosen fields with the chosen triggers and reports insert vs update", async () => {
    const [existing] = sim.seedRecords("Leads", [{ Last_Name: "Old", Email: "ups.1@example.com" }]);
    const { seen, run } = await load({ operation: "upsert", duplicateCheckFields: " Email ", trigger: [] });
    await run({ payload: [{ Last_Name: "Updated", Email: "ups.1@example.com" }, { Last_Name: "Inserted", Email: "ups.2@example.com" }] });
    const results = seen.ok[0].payload;
    results[0].should.match({ action: "update", id: existing.id, duplicateField: "Email" });
    results[1].action.should.equal("insert");
    const body = sim.requests.find((r) => r.path === `${LEADS}/upsert`).body;
    body.duplicate_check_fields.should.eql(["Email"]);
    body.trigger.should.eql([]);
    emailsIn(sim, "ups").should.have.length(2);
  });

  it("updates and deletes by id, with unknown ids on output 2", async () => {
    const seeded = sim.seedRecords("Leads", leads(2, "ud"));
    const upd = await load({ operation: "update" });
    await upd.run({ payload: [{ id: seeded[0].id, Last_Name: "New name" }, { id: "1234567890123456789", Last_Name: "Ghost" }, { Last_Name: "no id" }] });
    upd.seen.ok[0].payload.map((r) => r.id).should.eql([seeded[0].id]);
    upd.seen.bad[0].payload.map((r) => r.code).should.eql(["INVALID_DATA", "MISSING_ID"]);
    await helper.unload();

    const del = await load({ operation: "delete", trigger: ["workflow"] });
    await del.run({ payload: seeded[1].id });
    del.seen.ok[0].payload.should.match({ record: seeded[1].id, id: seeded[1].id, code: "SUCCESS" });
    await del.run({ payload: [{ id: seeded[0].id }, "1234567890123456789"] });
    del.seen.ok[1].payload.map((r) => r.id).should.eql([seeded[0].id]);
    del.seen.bad[0].payload.should.match([{ index: 1, code: "INVALID_DATA", id: "1234567890123456789" }]);
    sim.requests.filter((r) => r.method === "DELETE").forEach((r) => r.query.wf_trigger.should.equal("true"));
    emailsIn(sim, "ud").should.eql([]);
  });

  it("takes the module from the message", async () => {
    const { seen, run } = await load({ module: "target", moduleType: "msg" });
    await run({ target: "Contacts", payload: { Last_Name: "Contact" } });
    seen.ok[0].zoho.module.should.equal("Contacts");
    sim.count({ method: "POST", path: "/crm/v8/Contacts" }).should.equal(1);
  });

  it("sends a request-level failure to output 2 and to Catch once, stopping further batches", async () => {
    const { seen, run } = await load({ module: "NoSuchModule" }, { concurrency: 1 });
    await run({ payload: leads(250, "nomod") });
    seen.ok.should.have.length(0);
    seen.completed.should.have.length(0);
    seen.caught.should.have.length(1);
    seen.caught[0].error.code.should.equal("INVALID_MODULE");
    seen.caught[0].error.message.should.match(/module/);
    seen.caught[0].zoho.should.match({ total: 250, succeeded: 0, failed: 250 });
    const bad = seen.bad[0].payload;
    bad.should.have.length(250);
    bad.every((r) => r.code === "INVALID_MODULE").should.be.true();
    sim.count({ path: CRM }).should.equal(1);
    seen.status[seen.status.length - 1].should.match({ fill: "red", shape: "ring", text: "INVALID_MODULE" });
  });

  it("reports a missing scope to Catch with advice", async () => {
    const readOnly = sim.issueRefreshToken(CLIENT_ID, "ZohoCRM.modules.leads.READ");
    const { seen, run } = await load({}, {}, readOnly);
    await run({ payload: leads(3, "scope") });
    seen.caught[0].error.code.should.equal("OAUTH_SCOPE_MISMATCH");
    seen.caught[0].error.message.should.match(/grant token/);
    seen.bad[0].payload.should.have.length(3);
  });

  it("rejects payloads that are not records via Catch without calling Zoho", async () => {
    const { seen, run } = await load();
    for (const payload of ["text", 42, null, undefined, true, Buffer.from("x")]) {
      await run({ payload });
    }
    seen.caught.should.have.length(6);
    seen.caught.forEach((m) => m.error.code.should.equal("INVALID_INPUT"));
    seen.caught[0].error.message.should.match(/record object or an array/);
    seen.ok.should.have.length(0);
    seen.bad.should.have.length(0);
    sim.count({ path: CRM }).should.equal(0);
  });

  it("treats an empty array as nothing to do: no call, no output, no error, done() called", async () => {
    const { seen, run } = await load();
    await run({ payload: [] });
    seen.completed.should.have.length(1);
    seen.caught.should.have.length(0);
    seen.ok.should.have.length(0);
    seen.bad.should.have.length(0);
    sim.count({ path: CRM }).should.equal(0);
    seen.status[seen.status.length - 1].should.match({ fill: "grey", text: "zoho-crm-write.status.nothing" });
  });

  it("rejects a bad trigger setting or a missing connection via Catch", async () => {
    let t = await load({ trigger: ["everything"] });
    await t.run({ payload: { Last_Name: "x" } });
    t.seen.caught[0].error.message.should.match(/unknown trigger/);
    await helper.unload();
    t = await load({ connection: "" });
    await t.run({ payload: { Last_Name: "x" } });
    t.seen.caught[0].error.code.should.equal("NO_CONNECTION");
    sim.count({ path: CRM }).should.equal(0);
  });

  it("retries 429, never re-sends after 500 or a dropped connection, and accounts for every record", async () => {
    const { seen, run } = await load({}, { concurrency: 1 });
    sim.inject({ match: { method: "POST", path: LEADS }, status: 429 });
    sim.inject({ match: { method: "POST", path: LEADS }, status: 500, afterRequests: 2 });
    sim.inject({ match: { method: "POST", path: LEADS }, drop: "after", afterRequests: 3 });
    const input = leads(450, "flt");
    await run({ payload: input });
    // 5 batches + 1 retry of the 429; the 500 and the dropped batch were not re-sent.
    sim.count({ method: "POST", path: LEADS }).should.equal(6);
    const ok = seen.ok[0].payload;
    const bad = seen.bad[0].payload;
    (ok.length + bad.length).should.equal(450);
    bad.length.should.equal(200);
    bad.every((r) => r.code === "OUTCOME_UNKNOWN").should.be.true();
    seen.caught.should.have.length(1);
    seen.caught[0].error.code.should.equal("OUTCOME_UNKNOWN");
    seen.caught[0].zoho.should.match({ total: 450, succeeded: 250, failed: 200 });
    const held = emailsIn(sim, "flt");
    held.length.should.equal(new Set(held).size);
    // The dropped batch was written by Zoho (once); the 500 one was not.
    held.length.should.equal(350);
  });

  it("honours the connection's concurrency limit", async () => {
    sim.setLatency(60);
    const { seen, run } = await load({}, { concurrency: 2 });
    await run({ payload: leads(700, "conc") });
    seen.ok[0].payload.should.have.length(700);
    sim.count({ method: "POST", path: LEADS }).should.equal(7);
    sim.maxInFlight.should.equal(2);
  });

  it("on close, stops waiting batches as ABORTED and reports in-flight ones as OUTCOME_UNKNOWN in the log", async () => {
    // Zoho writes the first batch but its answer would take a minute: that batch is in flight when
    // the node closes, however slow this machine is.
    sim.inject({ match: { method: "POST", path: LEADS }, delayMs: 60000 });
    const { w } = await load({}, { concurrency: 1 });
    const errors = [];
    // The helper's spies are gone after unload; watch this node's error reports directly.
    const report = w.error;
    w.error = function (err, msg) {
      errors.push(err);
      return report.call(this, err, msg);
    };
    w.receive({ payload: leads(300, "close") });
    await waitFor(() => sim.count({ method: "POST", path: LEADS }) === 1, { what: "the first batch to reach Zoho" });
    const started = Date.now();
    await helper.unload();
    // Waiting for the answer would take a minute; the bound only catches a close that waits for it.
    (Date.now() - started).should.be.below(5000);
    // The close did not wait for it: it dropped the call (nothing in flight at Zoho any more).
    await waitFor(() => sim.requestsOpen === 0, { what: "the batch in flight to be dropped" });
    // Reported by the time the close finished.
    errors.should.have.length(1);
    errors[0].code.should.equal("ABORTED");
    errors[0].message.should.match(/0 written, 200 not sent, 100 with unknown outcome/);
    sim.count({ method: "POST", path: LEADS }).should.equal(1);
  });
});
