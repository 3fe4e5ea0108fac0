// The zoho-crm-trigger node with node-red-node-test-helper against the simulator: every event kind,
// both output modes, poll-now, redeploy sends nothing again, bad settings.
"use strict";
const should = require("should");
const path = require("path");
const { helper, startSimulator, simClient, configFlow, configNode, waitFor, CLIENT_ID } = require("./fixtures");
const { writeRecords } = require("../dist/nodes/zoho/writes");

const http = require("http");
const triggerNode = require(path.join(__dirname, "../dist/nodes/zoho-crm-trigger.js"));
const { answer } = require("../dist/nodes/common/notify-route");
const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");

/**
 * Stands in for Node-RED's HTTP port in helper tests (the helper's httpNode app is not served):
 * passes POSTs to /zoho-crm/notify/<id> to the route's handler. The real route is tested in a real
 * Node-RED (trigger-runtime.spec.js).
 */
async function notifyForwarder() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const id = decodeURIComponent(req.url.split("/").pop());
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = undefined;
      }
      answer(id, body, { status: (code) => ({ end: () => res.writeHead(code).end() }) });
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const post = (id, body) => fetch(`${url}/zoho-crm/notify/${id}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { url, post, close: () => new Promise((resolve) => server.close(resolve)) };
}


/** Wait until the wall clock is in a later second than now (Zoho's times have second precision). */
async function nextSecond() {
  const second = Math.floor(Date.now() / 1000);
  await waitFor(() => Math.floor(Date.now() / 1000) > second, { what: "the next second", timeout: 2000 });
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

  function flow(props = {}, scope) {
    const { node: conn, credentials } = configFlow(sim, sim.issueRefreshToken(CLIENT_ID, scope));
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
  async function load(props, { wait = true, scope } = {}) {
    const { nodes, credentials } = flow(props, scope);
    const seen = { out: [], completed: [], caught: [], status: [] };
    await helper.load([configNode, triggerNode], nodes, credentials); // the helper loads the core catch and complete nodes itself
    attach(seen);
    if (wait) await waitFor(() => seen.status.some((s) => /status\.(polled|instantPolled|fallback)/.test(s.text || "")), { what: "the first poll" });
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
    await waitFor(() => seen.completed.length + seen.caught.length > before, { what: "the poll to finish" });
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
    await waitFor(() => seen.out.length >= 5, { what: "the existing records" });
    seen.out.map((m) => m.topic).should.eql(Array(5).fill("Leads.create"));
    await pollNow(seen);
    seen.out.should.have.length(5);
  });

  it("startFrom a date-time sends the changes since then", async () => {
    await create(leads(2, "since"));
    const { seen } = await load({ startFrom: new Date(Date.now() - 3600_000).toISOString(), events: ["create", "update"] });
    await waitFor(() => seen.out.length >= 2, { what: "the changes since the date" });
    seen.out.should.have.length(2);
  });

  it("bad settings reach Catch with a clear error and no call is made", async () => {
    for (const props of [{ module: "Le ads" }, { events: [] }, { interval: 2 }, { startFrom: "yesterday" }]) {
      const { seen } = await load(props, { wait: false });
      helper.getNode("t").receive({ payload: "go" });
      await waitFor(() => seen.caught.length > 0, { what: `the error for ${JSON.stringify(props)}` });
      seen.caught[0].error.message.should.match(/INVALID/);
      await helper.unload();
    }
    sim.count({ path: /^\/crm\// }).should.equal(0);
  });

  it("Zoho's errors reach Catch with the code; the node keeps going", async () => {
    sim.inject({ match: { method: "GET", path: "/crm/v8/Leads" }, status: 401, code: "OAUTH_SCOPE_MISMATCH", times: 1 });
    const { seen } = await load({}, { wait: false });
    await waitFor(() => seen.caught.length > 0, { what: "the scope error" });
    seen.caught[0].error.message.should.match(/OAUTH_SCOPE_MISMATCH/);
    await pollNow(seen);
    seen.caught.should.have.length(1);
  });

  describe("instant mode", function () {
    const NOTIFY_SCOPE = `${DEFAULT_SCOPE} ZohoCRM.notifications.ALL`;
    let forwarder;
    beforeEach(async () => (forwarder = await notifyForwarder()));
    afterEach(async () => forwarder.close());

    async function loadInstant(props = {}, opts = {}) {
      const t = await load({ mode: "instant", interval: 3600, publicUrl: forwarder.url, ...props }, { scope: NOTIFY_SCOPE, ...opts });
      return t;
    }

    it("makes a watch channel as Zoho wants it, and changes arrive by callback, fetched in one call", async () => {
      const { seen } = await loadInstant();
      await waitFor(() => sim.channels.size === 1 && seen.status.some((s) => /listening|instantPolled/.test(s.text)), { what: "the channel" });
      const [channel] = [...sim.channels.values()];
      channel.channelId.should.match(/^\d{1,16}$/);
      Number(channel.channelId).should.be.below(2 ** 53);
      channel.token.length.should.be.within(20, 50);
      channel.notifyUrl.should.equal(`${forwarder.url}/zoho-crm/notify/t`);
      [...channel.modules.get("Leads")].sort().should.eql(["create", "delete", "edit"]);
      channel.notifyOnRelatedAction.should.be.false();
      const body = sim.requests.find((r) => r.method === "POST" && r.path === "/crm/v8/actions/watch").body;
      body.watch[0].channel_expiry.should.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/); // no milliseconds

      const ids = await create(leads(3, "instant"));
      await waitFor(() => seen.out.length === 3, { what: "three creates by notification" });
      seen.out.map((m) => m.zoho.source).should.eql(["notification", "notification", "notification"]);
      seen.out.map((m) => m.payload.id).sort().should.eql([...ids].sort());
      // One callback named the three ids: one GET ?ids= fetched them.
      sim.requests.filter((r) => r.method === "GET" && r.path === "/crm/v8/Leads" && r.query.ids).should.have.length(1);
      // The catch-up poll does not send them again.
      await pollNow(seen);
      seen.out.should.have.length(3);

      await writeRecords(api, { operation: "delete", module: "Leads", records: [ids[0]] });
      await waitFor(() => seen.out.length === 4, { what: "the delete by notification" });
      seen.out[3].topic.should.equal("Leads.delete");
      seen.out[3].payload.should.have.properties(["id", "deleted_time", "type"]);
    });

    it("refuses a forged callback (wrong token or channel) with 403 and sends nothing", async () => {
      const { seen } = await loadInstant();
      await waitFor(() => sim.channels.size === 1 && seen.status.some((s) => /listening|instantPolled/.test(s.text)), { what: "the channel" });
      const [channel] = [...sim.channels.values()];
      const [id] = await create(leads(1, "forged"));
      await sim.callbacksSettled();
      await waitFor(() => seen.out.length === 1, { what: "the real callback" });
      const forged = { module: "Leads", operation: "insert", ids: [id], channel_id: channel.channelId, token: "x".repeat(channel.token.length), server_time: Date.now() };
      (await forwarder.post("t", forged)).status.should.equal(403);
      (await forwarder.post("t", { ...forged, token: channel.token, channel_id: "1234567890" })).status.should.equal(403);
      (await forwarder.post("t", { ...forged, token: null })).status.should.equal(403);
      (await forwarder.post("nosuchnode", { ...forged, token: channel.token })).status.should.equal(404);
      const fetchesBefore = sim.requests.filter((r) => r.query.ids).length;
      await pollNow(seen);
      sim.requests.filter((r) => r.query.ids).length.should.equal(fetchesBefore);
      seen.out.should.have.length(1);
    });

    it("survives dropped, duplicated, delayed and reordered callbacks: every change once", async () => {
      const { seen } = await loadInstant({ events: ["create", "update"] });
      await waitFor(() => sim.channels.size === 1 && seen.status.some((s) => /listening|instantPolled/.test(s.text)), { what: "the channel" });
      sim.injectCallbackFault({ kind: "duplicate" });
      sim.injectCallbackFault({ kind: "reorder" });
      sim.injectCallbackFault({ kind: "delay", delayMs: 50 });
      sim.injectCallbackFault({ kind: "drop" });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(...(await create(leads(1, `fault${i}`))));
      await sim.callbacksSettled();
      // The dropped one comes with the catch-up poll.
      await pollNow(seen);
      await waitFor(() => seen.out.length >= 5, { what: "every create" });
      seen.out.map((m) => m.payload.id).sort().should.eql([...ids].sort());
      await pollNow(seen);
      seen.out.should.have.length(5);
    });

    it("without a public URL or without the notifications scope, says why on the status and keeps polling", async () => {
      let t = await loadInstant({ publicUrl: "" });
      t.seen.status.some((s) => /fallback/.test(s.text)).should.be.true();
      sim.channels.size.should.equal(0);
      await create(leads(1, "fallback"));
      await pollNow(t.seen);
      t.seen.out.should.have.length(1);
      t.seen.out[0].zoho.source.should.equal("poll");
      await helper.unload();

      t = await loadInstant({}, { scope: DEFAULT_SCOPE }); // a grant without ZohoCRM.notifications.ALL
      await waitFor(() => t.seen.status.some((s) => /status\.fallback/.test(s.text)), { what: "the fallback status" });
      sim.channels.size.should.equal(0);
    });

    it("treats Zoho's 202 (a per-item error) as a failure, not a channel", async () => {
      sim.inject({ match: { method: "POST", path: "/crm/v8/actions/watch" }, status: 202, body: { watch: [{ code: "INVALID_DATA", details: { api_name: "notify_url" }, message: "invalid data", status: "error" }] } });
      const { seen } = await loadInstant();
      await waitFor(() => seen.status.some((s) => /status\.fallback/.test(s.text)), { what: "the fallback status" });
      seen.status.filter((s) => /listening/.test(s.text)).should.have.length(0);
    });

    it("deletes its channel when the node is removed (a deploy without it), even as the connection stops too", async () => {
      const { seen, nodes, credentials } = await loadInstant();
      await waitFor(() => sim.channels.size === 1 && seen.status.some((s) => /listening|instantPolled/.test(s.text)), { what: "the channel" });
      const [first] = [...sim.channels.keys()];
      // Removing the node (a deploy without it) deletes its channel.
      await helper.setFlows(nodes.filter((n) => n.id !== "t"), "full", credentials);
      await waitFor(() => sim.channels.size === 0, { what: "the channel to be deleted" });
      sim.requests.filter((r) => r.method === "DELETE" && r.path === "/crm/v8/actions/watch").map((r) => r.query.channel_ids).should.eql([first]);
    });
  });
});
