// The zoho-crm-trigger node with node-red-node-test-helper against the simulator: every event kind,
// both output modes, poll-now, redeploy sends nothing again, bad settings.
"use strict";
const should = require("should");
const path = require("path");
const { helper, startSimulator, simClient, configFlow, configNode, CLIENT_ID } = require("./fixtures");
const { writeRecords } = require("../dist/nodes/zoho/writes");

const triggerNode = require(path.join(__dirname, "../dist/nodes/zoho-crm-trigger.js"));
const completeNode = require("@node-red/nodes/core/common/24-complete.js");
const catchNode = require("@node-red/nodes/core/common/25-catch.js");

/** Resolves once `predicate()` holds (polled every few ms), or fails with `what`. */
function waitFor(predicate, what, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 5);
    };
    check();
  });
}

/** Wait until the wall clock is in a later second than now (Zoho's times have second precision). */
async function nextSecond() {
  const second = Math.floor(Date.now() / 1000);
  await waitFor(() => Math.floor(Date.now() / 1000) > second, "the next second", 2000);
}

describe("zoho-crm-trigger node", function () {
  let sim, api;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    ({ sim } = await startSimulator());
    api = simClient(sim, sim.issueRefreshToken(CLIENT_ID));
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  const leads = (n, tag) => Array.from({ length: n }, (_, i) => ({ Last_Name: `${tag} ${i}`, Email: `${tag}.${i}@example.com` }));
  const create = async (records) => (await writeRecords(api, { operation: "create", module: "Leads", records })).map((r) => r.id);

  function flow(props = {}) {
    const { node: conn, credentials } = configFlow(sim, sim.issueRefreshToken(CLIENT_ID));
    const nodes = [
      { id: "f1", type: "tab" },
      conn,
      { id: "t", type: "zoho-crm-trigger", z: "f1", connection: "conn", module: "Leads", events: ["create", "update", "delete"], mode: "poll", interval: 3600, fields: "Last_Name,Email", startFrom: "now", output: "record", wires: [["out"]], ...props },
      { id: "out", type: "helper", z: "f1" },
      { id: "cp", type: "complete", z: "f1", scope: ["t"], wires: [["completed"]] },
      { id: "completed", type: "helper", z: "f1" },
      { id: "c", type: "catch", z: "f1", scope: ["t"], uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper", z: "f1" },
    ];
    return { nodes, credentials };
  }

  /** Load the flow; resolves once the first poll is done. */
  async function load(props, { wait = true } = {}) {
    const { nodes, credentials } = flow(props);
    const seen = { out: [], completed: [], caught: [], status: [] };
    await helper.load([configNode, triggerNode, completeNode, catchNode], nodes, credentials);
    attach(seen);
    if (wait) await waitFor(() => seen.status.some((s) => /status\.(polled|instantPolled|fallback)/.test(s.text || "")), "the first poll");
    return { seen, nodes, credentials };
  }

  function attach(seen) {
    for (const id of ["out", "completed", "caught"]) helper.getNode(id).on("input", (m) => seen[id].push(m));
    helper.getNode("t").on("call:status", (call) => seen.status.push(call.args[0]));
  }

  /** Send "poll now" and wait for the node's done(). */
  async function pollNow(seen) {
    const before = seen.completed.length + seen.caught.length;
    helper.getNode("t").receive({ payload: "now" });
    await waitFor(() => seen.completed.length + seen.caught.length > before, "the poll to finish");
  }

  it("sends one message per change: created, updated and deleted, in time order, once", async () => {
    const [old] = await create(leads(1, "before")); // existed before the trigger started
    await nextSecond(); // Zoho's times have second precision: "before" must be an earlier second
    const { seen } = await load();
    seen.out.should.have.length(0); // startFrom now: what existed is not a change
    sim.count({ method: "GET", path: "/crm/v8/Leads" }).should.equal(1); // an idle poll: one call for records...
    sim.count({ method: "GET", path: "/crm/v8/Leads/deleted" }).should.equal(1); // ...and one for deletes

    const ids = await create(leads(2, "new"));
    await writeRecords(api, { operation: "update", module: "Leads", records: [{ id: old, Company: "Acme" }] });
    await writeRecords(api, { operation: "delete", module: "Leads", records: [ids[1]] });
    await pollNow(seen);

    const topics = seen.out.map((m) => m.topic);
    topics.filter((t) => t === "Leads.create").should.have.length(1); // the other new one was deleted before the poll
    topics.should.containEql("Leads.update");
    topics.should.containEql("Leads.delete");
    const created = seen.out.find((m) => m.topic === "Leads.create");
    created.payload.id.should.equal(ids[0]);
    created.payload.Last_Name.should.equal("new 0");
    created.zoho.should.match({ module: "Leads", event: "create", id: ids[0], source: "poll" });
    created.zoho.modifiedTime.should.equal(created.payload.Modified_Time);
    const updated = seen.out.find((m) => m.topic === "Leads.update");
    updated.payload.id.should.equal(old);
    const deleted = seen.out.find((m) => m.topic === "Leads.delete");
    deleted.payload.should.have.properties(["id", "deleted_time", "deleted_by", "type"]);
    deleted.payload.id.should.equal(ids[1]);
    deleted.zoho.modifiedTime.should.equal(deleted.payload.deleted_time);
    seen.caught.should.have.length(0);

    // Polling again finds nothing new.
    const count = seen.out.length;
    await pollNow(seen);
    seen.out.should.have.length(count);
  });

  it("says on the status when it polled, how many changes it found, and that memory does not survive a restart", async () => {
    const { seen } = await load({ events: ["create"] });
    await create(leads(2, "status"));
    await pollNow(seen);
    const last = seen.status[seen.status.length - 1];
    // No persistent context store configured: the position is only in memory.
    last.should.match({ fill: "yellow", shape: "dot", text: "zoho-crm-trigger.status.polledMemory" });
  });

  it("an update of a record that came out before is a new event", async () => {
    const { seen } = await load({ events: ["create", "update"] });
    const [id] = await create(leads(1, "twice"));
    await pollNow(seen);
    seen.out.map((m) => m.topic).should.eql(["Leads.create"]);
    // Zoho's times have second precision: the update must land in a later second to be a new version.
    await nextSecond();
    await writeRecords(api, { operation: "update", module: "Leads", records: [{ id, Last_Name: "Later" }] });
    await pollNow(seen);
    seen.out.map((m) => m.topic).should.eql(["Leads.create", "Leads.update"]);
    seen.out[1].payload.Last_Name.should.equal("Later");
  });

  it("sends only the ticked events, and one array per poll in batch output", async () => {
    const { seen } = await load({ events: ["create"], output: "batch" });
    const ids = await create(leads(3, "batch"));
    await writeRecords(api, { operation: "delete", module: "Leads", records: [ids[2]] });
    await pollNow(seen);
    seen.out.should.have.length(1);
    const msg = seen.out[0];
    msg.topic.should.equal("Leads");
    msg.payload.map((r) => r.id).sort().should.eql(ids.slice(0, 2).sort());
    msg.zoho.should.match({ module: "Leads", source: "poll", count: 2 });
    msg.zoho.events.map((e) => e.event).should.eql(["create", "create"]);
    sim.count({ method: "GET", path: "/crm/v8/Leads/deleted" }).should.equal(0); // deletes not asked for: no call
  });

  it("startFrom all sends every existing record once as create", async () => {
    await create(leads(5, "all"));
    const { seen } = await load({ startFrom: "all", events: ["create", "update"] });
    await waitFor(() => seen.out.length >= 5, "the existing records");
    seen.out.map((m) => m.topic).should.eql(Array(5).fill("Leads.create"));
    await pollNow(seen);
    seen.out.should.have.length(5);
  });

  it("startFrom a date-time sends the changes since then", async () => {
    await create(leads(2, "since"));
    const { seen } = await load({ startFrom: new Date(Date.now() - 3600_000).toISOString(), events: ["create", "update"] });
    await waitFor(() => seen.out.length >= 2, "the changes since the date");
    seen.out.should.have.length(2);
  });

  it("bad settings reach Catch with a clear error and no call is made", async () => {
    for (const props of [{ module: "Le ads" }, { events: [] }, { interval: 2 }, { startFrom: "yesterday" }]) {
      const { seen } = await load(props, { wait: false });
      helper.getNode("t").receive({ payload: "go" });
      await waitFor(() => seen.caught.length > 0, `the error for ${JSON.stringify(props)}`);
      seen.caught[0].error.message.should.match(/INVALID/);
      await helper.unload();
    }
    sim.count({ path: /^\/crm\// }).should.equal(0);
  });

  it("Zoho's errors reach Catch with the code; the node keeps going", async () => {
    sim.inject({ match: { method: "GET", path: "/crm/v8/Leads" }, status: 401, code: "OAUTH_SCOPE_MISMATCH", times: 1 });
    const { seen } = await load({}, { wait: false });
    await waitFor(() => seen.caught.length > 0, "the scope error");
    seen.caught[0].error.message.should.match(/OAUTH_SCOPE_MISMATCH/);
    await pollNow(seen);
    seen.caught.should.have.length(1);
  });
});
