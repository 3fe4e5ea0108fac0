// The read node's bulk export and the write node's Bulk Write option, with node-red-node-test-helper.
"use strict";
require("should");
const { helper, startSimulator, configFlow, configNode, readNodePath, writeNodePath, waitFor, CLIENT_ID } = require("./fixtures");
const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");

const readNode = require(readNodePath);
const writeNode = require(writeNodePath);
const BULK_SCOPE = `${DEFAULT_SCOPE} ZohoCRM.bulk.ALL ZohoFiles.files.ALL`;

describe("bulk export and Bulk Write in the nodes", function () {
  let sim;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    ({ sim } = await startSimulator());
    sim.bulk.stepMs = 5;
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  async function load(node, scope = BULK_SCOPE) {
    const { node: conn, credentials } = configFlow(sim, sim.issueRefreshToken(CLIENT_ID, scope));
    const flow = [
      { id: "f1", type: "tab" },
      conn,
      { id: "n", z: "f1", connection: "conn", moduleType: "str", wires: node.type === "zoho-crm-write" ? [["out"], ["bad"]] : [["out"]], ...node },
      { id: "out", type: "helper", z: "f1" },
      { id: "bad", type: "helper", z: "f1" },
      { id: "c", type: "catch", z: "f1", scope: ["n"], uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper", z: "f1" },
      { id: "cp", type: "complete", z: "f1", scope: ["n"], wires: [["completed"]] },
      { id: "completed", type: "helper", z: "f1" },
    ];
    await helper.load([configNode, readNode, writeNode], flow, credentials);
    const seen = { out: [], bad: [], caught: [], completed: [], status: [], warn: [] };
    for (const id of ["out", "bad", "caught", "completed"]) helper.getNode(id).on("input", (m) => seen[id].push(m));
    const n = helper.getNode("n");
    n.on("call:status", (call) => seen.status.push(call.args[0]));
    n.on("call:warn", (call) => seen.warn.push(String(call.args[0])));
    const run = async (msg = { payload: "go" }) => {
      const before = seen.completed.length + seen.caught.length;
      n.receive(msg);
      await waitFor(() => seen.completed.length + seen.caught.length > before, { what: "the node to finish", timeout: 20000 });
      return seen;
    };
    return { seen, run };
  }

  it("bulk export, record output: every record once with msg.parts, the job's state on the status", async () => {
    sim.seedRecords("Leads", 700);
    sim.bulk.pageSize = 300;
    const { run } = await load({ type: "zoho-crm-read", operation: "bulk", module: "Leads", fields: "Last_Name,No_of_Employees", fieldsType: "str", output: "record" });
    const seen = await run();
    seen.out.should.have.length(700);
    new Set(seen.out.map((m) => m.payload.id)).size.should.equal(700);
    seen.out[699].parts.count.should.equal(700);
    seen.out.every((m) => m.zoho.operation === "bulk").should.be.true();
    seen.status.some((s) => s.text === "zoho-crm-read.status.bulkQueued").should.be.true();
    seen.status.some((s) => s.text === "zoho-crm-read.status.bulkDownloading").should.be.true();
    seen.caught.should.have.length(0);
  });

  it("bulk export with criteria from the message, array output", async () => {
    const recs = sim.seedRecords("Leads", 200);
    const web = recs.filter((r) => r.Lead_Source === "Chat").length;
    const { run } = await load({ type: "zoho-crm-read", operation: "bulk", module: "Leads", fields: "Lead_Source", fieldsType: "str", criteria: "filter", criteriaType: "msg", output: "array" });
    const seen = await run({ payload: "go", filter: { Lead_Source: "Chat" } });
    seen.out[0].payload.should.have.length(web);
  });

  it("a failed job and a missing scope reach Catch with the code and advice", async () => {
    sim.seedRecords("Leads", 10);
    sim.bulk.failNext({ reason: "no" });
    let t = await load({ type: "zoho-crm-read", operation: "bulk", module: "Leads", fields: "", fieldsType: "str", output: "array" });
    let seen = await t.run();
    seen.caught[0].error.code.should.equal("BULK_JOB_FAILED");
    await helper.unload();
    t = await load({ type: "zoho-crm-read", operation: "bulk", module: "Leads", fields: "", fieldsType: "str", output: "array" }, DEFAULT_SCOPE);
    seen = await t.run();
    seen.caught[0].error.code.should.equal("OAUTH_SCOPE_MISMATCH");
    seen.caught[0].error.message.should.match(/ZohoCRM\.bulk\.READ/);
  });

  it("Bulk Write: two outputs, every record once, the job on the status", async () => {
    const { run } = await load({ type: "zoho-crm-write", operation: "create", module: "Leads", bulk: true });
    const input = Array.from({ length: 120 }, (_, i) => ({ Last_Name: `bulk ${i}`, Email: `bulknode.${i}@example.com` }));
    input[3] = { Email: "missing-last-name@example.com" };
    const seen = await run({ payload: input });
    seen.out[0].payload.should.have.length(119);
    seen.bad[0].payload.should.have.length(1);
    seen.bad[0].payload[0].index.should.equal(3);
    seen.bad[0].payload[0].code.should.equal("MANDATORY_NOT_FOUND");
    seen.status.some((s) => s.text === "zoho-crm-write.status.bulkJob").should.be.true();
    sim.requests.filter((r) => r.path === "/crm/v8/upload").should.have.length(1);
    sim.requests.filter((r) => r.method === "POST" && r.path === "/crm/v8/Leads").should.have.length(0); // no REST writes
  });

  it("stopped while a Bulk Write job runs: nothing waits for it, the log names the job", async () => {
    sim.bulk.pause();
    await load({ type: "zoho-crm-write", operation: "create", module: "Leads", bulk: true });
    const n = helper.getNode("n");
    const warnings = [];
    const warn = n.warn;
    n.warn = function (text) {
      warnings.push(String(text));
      return warn.apply(this, arguments);
    };
    n.receive({ payload: [{ Last_Name: "left" }] });
    await waitFor(() => sim.requests.some((r) => r.method === "GET" && /^\/crm\/bulk\/v8\/write\/\d+$/.test(r.path)), { what: "the job to be polled" });
    const jobId = [...sim.bulk.jobs.keys()][0];
    const started = Date.now();
    await helper.unload();
    (Date.now() - started).should.be.below(5000);
    warnings.should.eql(["zoho-crm-write.warn.bulkLeft"]); // RED._ in the helper returns the key; the catalog text names __id__
    String(jobId).should.match(/^\d+$/);
    sim.bulk.resume();
  });
});
