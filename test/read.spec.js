// The zoho-crm-read node with node-red-node-test-helper and the simulator: output modes re-joined by a
// real Join node, msg overrides, empty reads, errors for Catch nodes, status, and stopping on close.
"use strict";
const should = require("should");
const { helper, startSimulator, configFlow, configNode, readNodePath, CLIENT_ID, waitFor, turns } = require("./fixtures");

const readNode = require(readNodePath);
const splitJoinNodes = require("@node-red/nodes/core/sequence/17-split.js");
const LEADS = "/crm/v8/Leads";

const coreNode = (file) => require(`@node-red/nodes/core/${file}`);

describe("zoho-crm-read node", function () {
  let sim, leads;
  before(async () => {
    await helper.startServer();
    ({ sim } = await startSimulator());
    leads = sim.seedRecords("Leads", 2500);
    sim.seedRecords("Accounts", [{ Account_Name: "Smith (UK), Ltd" }, { Account_Name: "Zylker" }]);
  });
  after(async () => {
    await sim.stop();
    await helper.stopServer();
  });
  beforeEach(() => {
    sim.requests = [];
    sim.clearFaults();
    sim.setLatency(0);
  });
  afterEach(() => helper.unload());

  /**
   * Load conn + reader (+ a Join in auto mode after it) + catch/complete collectors.
   * Returns run(msg) resolving once the reader called done (seen via the Complete or Catch node).
   */
  async function load(props = {}, { join = false, connExtra = {} } = {}) {
    // a fresh refresh token per connection keeps under Zoho's 10 access tokens per 10 minutes
    const { node: conn, credentials } = configFlow(sim, sim.issueRefreshToken(CLIENT_ID), "conn", connExtra);
    const flow = [
      { id: "f1", type: "tab" },
      conn,
      {
        id: "r",
        type: "zoho-crm-read",
        z: "f1",
        name: "",
        connection: "conn",
        operation: "list",
        module: "Leads",
        moduleType: "str",
        fields: "Last_Name,Email",
        fieldsType: "str",
        output: "array",
        wires: [join ? ["out", "j"] : ["out"]],
        ...props,
      },
      { id: "out", type: "helper", z: "f1" },
      { id: "j", type: "join", z: "f1", mode: "auto", build: "array", timeout: "", count: "", wires: [["joined"]] },
      { id: "joined", type: "helper", z: "f1" },
      { id: "c", type: "catch", z: "f1", scope: ["r"], uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper", z: "f1" },
      { id: "cp", type: "complete", z: "f1", scope: ["r"], wires: [["completed"]] },
      { id: "completed", type: "helper", z: "f1" },
    ];
    await helper.load([configNode, readNode, splitJoinNodes], flow, credentials);
    const r = helper.getNode("r");
    const seen = { out: [], joined: [], caught: [], completed: [], status: [] };
    for (const id of ["out", "joined", "caught", "completed"]) helper.getNode(id).on("input", (m) => seen[id].push(m));
    r.on("call:status", (call) => seen.status.push(call.args[0]));
    const run = async (msg = { payload: "go" }) => {
      const before = seen.caught.length + seen.completed.length;
      r.receive(msg);
      await waitFor(() => seen.caught.length + seen.completed.length > before, { timeout: 15000, what: "the node to call done" });
      // The reader's messages were queued before the Complete/Catch node's message and Node-RED
      // delivers in order; the Join node's output is one hop later: a few loop turns bring it.
      await turns();
      return seen;
    };
    return { r, seen, run };
  }

  describe("list", function () {
    it("array: one message with every record, msg.zoho, and exactly ceil(N/200) list calls", async () => {
      const { run } = await load();
      const seen = await run({ payload: "go", topic: "export" });
      seen.out.length.should.equal(1);
      const msg = seen.out[0];
      msg.topic.should.equal("export");
      msg.payload.length.should.equal(2500);
      msg.payload.map((r) => r.id).should.eql(leads.map((r) => r.id).reverse());
      msg.payload.forEach((r) => r.id.should.be.a.String());
      msg.zoho.should.containEql({ module: "Leads", operation: "list", count: 2500, page: 13, capped: false, totalCount: 2500 });
      msg.zoho.info.more_records.should.be.false();
      Object.keys(msg.zoho.info).some((k) => /token/.test(k)).should.be.false();
      should.not.exist(msg.parts);
      sim.count({ method: "GET", path: LEADS }).should.equal(13);
      seen.completed.length.should.equal(1);
      seen.caught.length.should.equal(0);
    });

    it("page: one message per Zoho page with msg.parts; a Join node in auto mode rebuilds the records", async () => {
      const { run } = await load({ output: "page" }, { join: true });
      const seen = await run({ payload: "go", parts: { id: "outer", index: 3, count: 5, type: "array" } });
      seen.out.length.should.equal(13);
      seen.out.forEach((m, i) => {
        m.parts.should.containEql({ index: i, type: "array" });
        m.parts.parts.should.eql({ id: "outer", index: 3, count: 5, type: "array" });
        m.zoho.page.should.equal(i + 1);
        m.zoho.count.should.equal(Math.min(2500, (i + 1) * 200));
      });
      new Set(seen.out.map((m) => m.parts.id)).size.should.equal(1);
      seen.out[12].parts.count.should.equal(13);
      seen.joined.length.should.equal(1);
      const joined = seen.joined[0];
      joined.payload.map((r) => r.id).should.eql(leads.map((r) => r.id).reverse());
      joined.parts.should.eql({ id: "outer", index: 3, count: 5, type: "array" }); // the outer sequence is restored
    });

    it("record: one message per record with msg.parts; a Join node in auto mode rebuilds the array", async () => {
      const { run } = await load({ output: "record", maxRecords: "450" }, { join: true });
      const seen = await run();
      seen.out.length.should.equal(450);
      seen.out[0].payload.id.should.equal(leads[2499].id);
      seen.out.forEach((m, i) => m.parts.should.containEql({ index: i, type: "array", len: 1 }));
      seen.out[449].parts.count.should.equal(450);
      seen.out[449].zoho.should.containEql({ module: "Leads", operation: "list", count: 450, capped: false });
      seen.out[0].zoho.count.should.equal(1);
      seen.joined.length.should.equal(1);
      seen.joined[0].payload.map((r) => r.id).should.eql(leads.map((r) => r.id).reverse().slice(0, 450));
      should.not.exist(seen.joined[0].parts);
      sim.count({ method: "GET", path: LEADS }).should.equal(3);
    });

    it("record: fetches only a few pages ahead of what it has handed out, throughout the read", async () => {
      sim.setLatency(25);
      const { run } = await load({ output: "record" });
      const window = Math.max(2, helper.getNode("conn").settings.concurrency);
      // At every record: the list calls made so far, against the page that record came from.
      const ahead = [];
      helper.getNode("out").on("input", (msg) => ahead.push(sim.count({ method: "GET", path: LEADS }) - msg.zoho.page));
      const seen = await run();
      seen.out.length.should.equal(2500);
      ahead.should.have.length(2500);
      // Never more than the window of pages beyond the one being handed out (plus the page whose
      // messages Node-RED is still delivering while the reader moves on)...
      Math.max(...ahead).should.be.belowOrEqual(window + 1);
      // ...and it does read ahead while records go out (not one page at a time).
      ahead.filter((n) => n >= 1).length.should.be.above(1000);
      // The 13 pages in all, each once.
      sim.count({ method: "GET", path: LEADS }).should.equal(13);
    });

    it("reads every field when Fields is empty", async () => {
      const { run } = await load({ fields: "", maxRecords: 3 });
      const seen = await run();
      seen.out[0].payload.length.should.equal(3);
      Object.keys(seen.out[0].payload[0]).length.should.be.above(50);
    });

    it("takes module, fields, modifiedSince and maxRecords from the message", async () => {
      const { run } = await load({ module: "table", moduleType: "msg", fields: "cols", fieldsType: "msg", modifiedSince: "since", modifiedSinceType: "msg" });
      const seen = await run({ table: "Accounts", cols: ["Account_Name"], since: "2000-01-01T00:00:00+00:00", maxRecords: 1 });
      seen.out[0].payload.length.should.equal(1);
      seen.out[0].zoho.module.should.equal("Accounts");
      const call = sim.requests.find((q) => q.path === "/crm/v8/Accounts");
      call.query.should.containEql({ fields: "Account_Name", per_page: "1" });
      call.headers["if-modified-since"].should.equal("2000-01-01T00:00:00+00:00");
    });

    it("shows progress while reading and the record count when done", async () => {
      sim.setLatency(20);
      const { run } = await load();
      const seen = await run();
      seen.status[0].should.containEql({ fill: "blue", shape: "dot", text: "zoho-crm-read.status.reading" });
      seen.status.some((s) => s.text === "zoho-crm-read.status.progress").should.be.true();
      seen.status[seen.status.length - 1].should.eql({ fill: "green", shape: "dot", text: "zoho-crm-read.status.done" });
    });
  });

  describe("empty results", function () {
    for (const output of ["array", "page", "record"]) {
      it(`${output}: ${output === "array" ? "an empty array" : "no message"}, and done() for the Complete node`, async () => {
        const { run } = await load({ module: "Deals", fields: "Deal_Name", output });
        const seen = await run();
        seen.completed.length.should.equal(1);
        seen.caught.length.should.equal(0);
        if (output === "array") {
          seen.out.length.should.equal(1);
          seen.out[0].payload.should.eql([]);
          seen.out[0].zoho.count.should.equal(0);
        } else seen.out.length.should.equal(0);
      });
    }
  });

  describe("get, search and COQL", function () {
    it("get: the record itself in msg.payload, id from msg.payload.id", async () => {
      const { run } = await load({ operation: "get", recordId: "payload.id", recordIdType: "msg", fields: "" });
      const seen = await run({ payload: { id: leads[5].id } });
      seen.out.length.should.equal(1);
      seen.out[0].payload.id.should.equal(leads[5].id);
      seen.out[0].payload.Last_Name.should.equal(leads[5].Last_Name);
      seen.out[0].zoho.should.containEql({ module: "Leads", operation: "get", count: 1 });
    });

    it("search: escapes criteria values written in the node, or builds them from an object in msg", async () => {
      const { run } = await load({ operation: "search", module: "Accounts", fields: "Account_Name", searchBy: "criteria", searchValue: "(Account_Name:equals:Smith (UK), Ltd)" });
      const seen = await run();
      seen.out[0].payload.map((r) => r.Account_Name).should.eql(["Smith (UK), Ltd"]);
      await helper.unload();
      const fromMsg = await load({ operation: "search", module: "Accounts", fields: "Account_Name", searchBy: "criteria", searchValue: "crit", searchValueType: "msg" });
      const s2 = await fromMsg.run({ crit: { Account_Name: "Smith (UK), Ltd" } });
      s2.out[0].payload.map((r) => r.Account_Name).should.eql(["Smith (UK), Ltd"]);
    });

    it("search: the cap comes out on the last message and the read still completes", async () => {
      const { run } = await load({ operation: "search", searchBy: "criteria", searchValue: "(id:greater_than:1)", output: "record" }, { join: true });
      const seen = await run();
      seen.out.length.should.equal(2000);
      seen.out[1999].zoho.should.containEql({ capped: true });
      seen.out[1999].zoho.cap.reason.should.equal("search_limit");
      seen.joined[0].payload.length.should.equal(2000);
      seen.completed.length.should.equal(1);
      seen.status[seen.status.length - 1].should.containEql({ fill: "yellow", shape: "dot", text: "zoho-crm-read.status.capped" });
    });

    it("COQL: the query from msg, paged, with the module in msg.zoho", async () => {
      const { run } = await load({ operation: "coql", query: "query", queryType: "msg", output: "page" }, { join: true });
      const seen = await run({ query: "select Last_Name from Leads where id is not null limit 2300" });
      seen.joined[0].payload.length.should.equal(2300);
      seen.out.map((m) => m.payload.length).should.eql([2000, 300]);
      seen.out[1].zoho.should.containEql({ module: "Leads", operation: "coql", count: 2300 });
    });
  });

  describe("errors", function () {
    it("reaches a Catch node with Zoho's code and advice, and a red ring", async () => {
      const { run } = await load({ module: "Nope" });
      const seen = await run({ payload: "go", keep: 1 });
      seen.caught.length.should.equal(1);
      const err = seen.caught[0].error;
      err.code.should.equal("INVALID_MODULE");
      err.message.should.match(/API name/);
      seen.caught[0].keep.should.equal(1);
      seen.out.length.should.equal(0);
      seen.status[seen.status.length - 1].should.eql({ fill: "red", shape: "ring", text: "INVALID_MODULE" });
      seen.completed.length.should.equal(0);
    });

    it("OAUTH_SCOPE_MISMATCH names the missing scope", async () => {
      const { node: conn, credentials } = configFlow(sim, sim.issueRefreshToken(CLIENT_ID, "ZohoCRM.modules.ALL ZohoCRM.settings.ALL"), "conn");
      const flow = [
        { id: "f1", type: "tab" },
        conn,
        { id: "r", type: "zoho-crm-read", z: "f1", connection: "conn", operation: "coql", query: "select Last_Name from Leads where id is not null", queryType: "str", output: "array", wires: [[]] },
        { id: "c", type: "catch", z: "f1", scope: ["r"], uncaught: false, wires: [["caught"]] },
        { id: "caught", type: "helper", z: "f1" },
      ];
      await helper.load([configNode, readNode], flow, credentials);
      const caught = new Promise((resolve) => helper.getNode("caught").once("input", resolve));
      helper.getNode("r").receive({ payload: 1 });
      const msg = await caught;
      msg.error.code.should.equal("OAUTH_SCOPE_MISMATCH");
      msg.error.message.should.match(/ZohoCRM\.coql\.READ/);
    });

    it("NO_PERMISSION in the middle of a paged read: pages before it were sent, then the error", async () => {
      sim.inject({ match: { method: "GET", path: LEADS }, afterRequests: 2, status: 403, code: "NO_PERMISSION" });
      const { run } = await load({ output: "page" }, { connExtra: { concurrency: 1 } });
      const seen = await run();
      seen.caught.length.should.equal(1);
      seen.caught[0].error.code.should.equal("NO_PERMISSION");
      seen.out.length.should.equal(2); // pages 1 and 2 (held back to learn if it was the last) go out; page 3 failed
      should.not.exist(seen.out[1].parts.count);
    });

    const bad = [
      ["no module", { module: "" }, {}, "INVALID_INPUT"],
      ["a module that is an object", { module: "m", moduleType: "msg" }, { m: { evil: true } }, "INVALID_INPUT"],
      ["a path in the module", { module: "Leads/../org" }, {}, "INVALID_MODULE"],
      ["a record id that lost precision", { operation: "get", recordId: "id", recordIdType: "msg" }, { id: 5725767000001000001 }, "INVALID_INPUT"],
      ["a missing COQL query", { operation: "coql", query: "q", queryType: "msg" }, {}, "INVALID_INPUT"],
      ["a huge query", { operation: "coql", query: "q", queryType: "msg" }, { q: "select a from B where " + "x".repeat(200000) }, "INVALID_INPUT"],
      ["a bad maxRecords", {}, { maxRecords: "lots" }, "INVALID_INPUT"],
      ["bad fields", { fields: "f", fieldsType: "msg" }, { f: { __proto__: { polluted: 1 } } }, "INVALID_INPUT"],
      ["a bad date", { modifiedSince: "yesterday-ish" }, {}, "INVALID_INPUT"],
      ["an unknown operation", { operation: "drop" }, {}, "INVALID_INPUT"],
    ];
    for (const [what, props, msg, code] of bad) {
      it(`turns ${what} into a clear ${code} error`, async () => {
        const { run } = await load(props);
        const seen = await run({ payload: "go", ...msg });
        seen.caught.length.should.equal(1);
        seen.caught[0].error.code.should.equal(code);
        seen.out.length.should.equal(0);
        sim.count({ path: /^\/crm\// }).should.equal(0);
      });
    }
  });

  describe("stopping", function () {
    it("a redeploy in the middle of a long read stops it promptly: no more calls, no error", async () => {
      sim.setLatency(40);
      // The fourth call's answer would take a minute: the read is certainly in the middle when the
      // redeploy comes, however slow this machine is.
      sim.inject({ match: { method: "GET", path: LEADS }, delayMs: 60000, afterRequests: 3 });
      const { r, seen } = await load({ output: "record" });
      r.receive({ payload: "go" });
      await waitFor(() => sim.count({ path: LEADS }) >= 4, { what: "the read's fourth call" });
      const started = Date.now();
      await helper.unload();
      // Waiting for that answer would take a minute; the bound only catches a stop that waits for it.
      (Date.now() - started).should.be.below(5000);
      // The call in flight was dropped and the connection closed: nothing is left to answer or to ask.
      await waitFor(() => sim.requestsOpen === 0 && sim.sockets.size === 0, { what: "the read's call and sockets to close" });
      const calls = sim.count({ path: LEADS });
      await turns();
      sim.count({ path: LEADS }).should.equal(calls, "no call after the stop");
      calls.should.be.below(13);
      seen.caught.length.should.equal(0);
    });
  });
});

describe("zoho-crm-read example flows", function () {
  const fs = require("fs");
  const os = require("os");
  const path = require("path");
  const examples = path.join(__dirname, "..", "examples");
  const coreNodes = ["common/20-inject.js", "storage/10-file.js", "parsers/70-CSV.js", "common/21-debug.js", "common/90-comment.js", "function/15-change.js", "function/10-function.js"].map(coreNode);
  let sim, dir;
  before(async () => {
    await helper.startServer();
    ({ sim } = await startSimulator());
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zoho-read-example-"));
  });
  after(async () => {
    await sim.stop();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => helper.unload());

  /** The example as the editor imports it into a tab, pointed at the simulator. */
  function imported(file, patch = () => undefined) {
    const nodes = JSON.parse(fs.readFileSync(path.join(examples, file), "utf8"));
    nodes.some((n) => n.type === "tab").should.be.false();
    const config = nodes.find((n) => n.type === "zoho-config");
    config.accountsUrl.should.equal("");
    should.not.exist(config.credentials);
    config.accountsUrl = sim.url;
    for (const n of nodes) if (n.type !== "zoho-config") n.z = "tab";
    nodes.forEach(patch);
    const credentials = { [config.id]: { clientId: CLIENT_ID, clientSecret: "test-client-secret-value", refreshToken: sim.issueRefreshToken(CLIENT_ID) } };
    return { flow: [{ id: "tab", type: "tab" }, ...nodes], credentials, nodes };
  }

  it("read-export-leads-to-csv.json writes a header and one CSV line per Lead", async () => {
    sim.clearRecords("Leads");
    const leads = sim.seedRecords("Leads", 450);
    const file = path.join(dir, "leads.csv");
    const { flow, credentials, nodes } = imported("read-export-leads-to-csv.json", (n) => {
      if (n.type === "file") n.filename = file;
    });
    await helper.load([configNode, readNode, ...coreNodes], flow, credentials);
    const inject = nodes.find((n) => n.type === "inject");
    const finished = nodes.find((n) => n.type === "complete");
    const done = new Promise((resolve) => helper.getNode(finished.id).on("input", resolve));
    helper.getNode(inject.id).receive({});
    await done;
    // The last page may still be on its way to the file (the File node writes asynchronously).
    let lines = [];
    await waitFor(() => {
      lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
      return lines.length >= 451;
    }, { what: "451 lines in the CSV file" });
    lines[0].should.equal("Last_Name,First_Name,Email,Company,Lead_Source,Created_Time");
    lines.length.should.equal(451);
    const emails = new Set(leads.map((l) => l.Email).filter(Boolean));
    lines.slice(1).filter((l) => [...emails].some((e) => l.includes(e))).length.should.equal(emails.size);
  });

  it("read-coql-report.json counts the Leads of the last 30 days by source", async () => {
    sim.clearRecords("Leads");
    sim.seedRecords("Leads", 300);
    const { flow, credentials, nodes } = imported("read-coql-report.json");
    flow.push({ id: "out", type: "helper", z: "tab" });
    nodes.find((n) => n.type === "function").wires = [["out"]];
    await helper.load([configNode, readNode, ...coreNodes], flow, credentials);
    const report = new Promise((resolve) => helper.getNode("out").on("input", resolve));
    helper.getNode(nodes.find((n) => n.type === "inject").id).receive({});
    const msg = await report;
    const since = Date.now() - 30 * 86400000;
    const expected = sim.records("Leads").filter((r) => Date.parse(r.Created_Time) >= since).length;
    expected.should.be.above(0);
    msg.payload.total.should.equal(expected);
    msg.payload.bySource.reduce((n, r) => n + r.leads, 0).should.equal(expected);
    msg.zoho.should.containEql({ module: "Leads", operation: "coql", capped: false });
  });

  it("read-sync-leads-with-coql.json keeps a list of changed Leads and moves its sync mark", async () => {
    sim.clearRecords("Leads");
    const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
    const old = sim.seedRecords("Leads", [1, 2, 3].map((i) => ({ Last_Name: `Old ${i}`, Modified_Time: iso(Date.now() - 3 * 86400000) })));
    const recent = sim.seedRecords("Leads", [1, 2, 3, 4].map((i) => ({ Last_Name: `Recent ${i}`, Modified_Time: iso(Date.now() - 3600000) })));
    const { flow, credentials, nodes } = imported("read-sync-leads-with-coql.json");
    flow.push({ id: "out", type: "helper", z: "tab" });
    const mark = nodes.find((n) => n.name === "move the sync mark");
    mark.wires = [["out"]];
    const inject = nodes.find((n) => n.type === "inject");
    inject.once = false;
    inject.repeat = "";
    await helper.load([configNode, readNode, ...coreNodes], flow, credentials);
    const synced = () => new Promise((resolve) => helper.getNode("out").once("input", resolve));
    let next = synced();
    helper.getNode(inject.id).receive({});
    const first = await next;
    const list = () => helper.getNode(mark.id).context().flow.get("zohoLeads") || {};
    Object.keys(list()).sort().should.eql(recent.map((r) => r.id).sort());
    Object.keys(list()).should.not.containEql(old[0].id);
    first.payload.leadsInList.should.equal(4);

    const later = sim.seedRecords("Leads", [{ Last_Name: "Changed later", Modified_Time: iso(Date.now() + 60000) }]);
    next = synced();
    helper.getNode(inject.id).receive({});
    const second = await next;
    second.payload.leadsInList.should.equal(5);
    Object.keys(list()).should.containEql(later[0].id);
    const coql = sim.requests.filter((r) => r.path === "/crm/v8/coql").map((r) => r.body.select_query);
    coql[coql.length - 1].should.containEql(first.payload.syncedUpTo);
  });
});
