// The zoho-api node and the read node's related, deleted and count operations, with node-red-node-test-helper.
"use strict";
require("should");
const path = require("path");
const { helper, startSimulator, configFlow, configNode, readNodePath, waitFor, CLIENT_ID } = require("./fixtures");
const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");

const apiNode = require(path.join(__dirname, "../dist/nodes/zoho-api.js"));
const readNode = require(readNodePath);

describe("zoho-api node, and related/deleted/count reads", function () {
  let sim;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => ({ sim } = await startSimulator()));
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  async function load(node, scope = `${DEFAULT_SCOPE} Desk.tickets.ALL Desk.basic.READ`) {
    const { node: conn, credentials } = configFlow(sim, sim.issueRefreshToken(CLIENT_ID, scope));
    const flow = [
      { id: "f1", type: "tab" },
      conn,
      { id: "n", z: "f1", connection: "conn", wires: [["out"]], ...node },
      { id: "out", type: "helper", z: "f1" },
      { id: "c", type: "catch", z: "f1", scope: ["n"], uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper", z: "f1" },
      { id: "cp", type: "complete", z: "f1", scope: ["n"], wires: [["completed"]] },
      { id: "completed", type: "helper", z: "f1" },
    ];
    await helper.load([configNode, apiNode, readNode], flow, credentials);
    const seen = { out: [], caught: [], completed: [] };
    for (const id of ["out", "caught", "completed"]) helper.getNode(id).on("input", (m) => seen[id].push(m));
    const run = async (msg) => {
      const before = seen.completed.length + seen.caught.length;
      helper.getNode("n").receive(msg);
      await waitFor(() => seen.completed.length + seen.caught.length > before, { what: "the node to finish" });
      return seen;
    };
    return { seen, run };
  }

  it("zoho-api: path placeholders from msg, method from msg, the answer with statusCode and headers", async () => {
    const [lead] = sim.seedRecords("Leads", 1);
    const { run } = await load({ type: "zoho-api", service: "crm", method: "msg", path: "/crm/v8/Leads/{{payload.id}}", pathType: "str" });
    const seen = await run({ method: "GET", payload: { id: lead.id } });
    const msg = seen.out[0];
    msg.statusCode.should.equal(200);
    msg.payload.data[0].id.should.equal(lead.id);
    msg.headers.should.have.property("content-type");
    seen.caught.should.have.length(0);
  });

  it("zoho-api: a refused header or a path out of Zoho reaches Catch, and nothing is sent", async () => {
    const { seen, run } = await load({ type: "zoho-api", service: "crm", method: "GET", path: "path", pathType: "msg" });
    await run({ path: "/crm/v8/org", headers: { Authorization: "Zoho-oauthtoken x" } });
    await run({ path: "//127.0.0.1:1/x" });
    await run({ path: "/crm/v8/Leads/{{id}}", id: { not: "text" } });
    seen.caught.map((m) => m.error.code).should.eql(["INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT"]);
    seen.caught[0].error.message.should.match(/Authorization/);
    sim.requests.filter((r) => r.path.startsWith("/crm/")).should.have.length(0);
  });

  it("zoho-api: paginate sends one message with every item", async () => {
    sim.seedRecords("Accounts", 450);
    const { run } = await load({ type: "zoho-api", service: "crm", method: "GET", path: "/crm/v8/Accounts", pathType: "str", paginate: true });
    const seen = await run({ query: { fields: "Account_Name" } });
    seen.out[0].payload.should.have.length(450);
  });

  it("read count: msg.payload is the number, one call", async () => {
    sim.seedRecords("Leads", 37);
    const { run } = await load({ type: "zoho-crm-read", operation: "count", module: "Leads", moduleType: "str", searchBy: "criteria", searchValue: "", searchValueType: "str", output: "array" });
    const seen = await run({ payload: "go" });
    seen.out[0].payload.should.equal(37);
    sim.requests.filter((r) => r.path.startsWith("/crm/")).map((r) => r.path).should.eql(["/crm/v8/Leads/actions/count"]);
  });

  it("read deleted: Zoho's deleted-record entries, paged", async () => {
    const recs = sim.seedRecords("Leads", 3);
    for (const r of recs) sim.ui.delete("Leads", r.id);
    const { run } = await load({ type: "zoho-crm-read", operation: "deleted", module: "Leads", moduleType: "str", deletedType: "all", output: "array" });
    const seen = await run({ payload: "go" });
    seen.out[0].payload.map((e) => e.id).sort().should.eql(recs.map((r) => r.id).sort());
    seen.out[0].payload[0].should.have.properties(["deleted_time", "type"]);
  });

  it("read related: the Contacts of an Account, paged, every field when Fields is empty", async () => {
    const [account] = sim.seedRecords("Accounts", 1);
    sim.seedRecords("Contacts", Array.from({ length: 230 }, (_, i) => ({ Last_Name: `Rel ${i}`, Account_Name: { id: account.id } })));
    const [other] = sim.seedRecords("Accounts", 1);
    sim.seedRecords("Contacts", Array.from({ length: 5 }, (_, i) => ({ Last_Name: `Other ${i}`, Account_Name: { id: other.id } }))); // not related
    const { run } = await load({ type: "zoho-crm-read", operation: "related", module: "Accounts", moduleType: "str", recordId: "payload.id", recordIdType: "msg", relatedList: "Contacts", relatedListType: "str", fields: "Last_Name", fieldsType: "str", output: "array" });
    const seen = await run({ payload: { id: account.id } });
    seen.caught.should.have.length(0);
    seen.out[0].payload.should.have.length(230);
    sim.requests.filter((r) => r.path === `/crm/v8/Accounts/${account.id}/Contacts`).should.have.length(2);
  });
});
