// Every example flow imported into a real Node-RED (with this package loaded), deployed against the
// simulator, and the write examples exercised end to end.
"use strict";
require("should");
const fs = require("fs");
const path = require("path");
const { startSimulator, CLIENT_ID, CLIENT_SECRET, waitFor } = require("./fixtures");
const { startNodeRed } = require("../scripts/node-red-runtime");
const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");

const dir = path.join(__dirname, "..", "examples");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));

describe("example flows in a real Node-RED", function () {
  this.timeout(90000);
  let sim, nr;

  before(async () => {
    ({ sim } = await startSimulator());
    nr = await startNodeRed();
  });
  after(async () => {
    if (nr) await nr.stop();
    if (sim) await sim.stop();
  });

  const api = async (route, { method = "GET", body, headers = {} } = {}) => {
    const res = await fetch(nr.url + route, {
      method,
      headers: { "Node-RED-API-Version": "v2", Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res;
  };

  /** How many times Node-RED has started flows, or stopped short of it for want of node types. */
  const starts = () => (nr.logs().match(/Started flows|Waiting for missing types/g) || []).length;

  /**
   * Import an example as the editor would (into its own tab), wired to the simulator, and deploy it.
   * Node-RED answers a deploy before it starts the new flows: this waits until it has (its log says
   * "Started flows"), so every node has been constructed and any error it reports is in the log.
   */
  async function deploy(file, adjust = (n) => n) {
    const nodes = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")).map(adjust);
    let tab = nodes.find((n) => n.type === "tab");
    if (!tab) {
      tab = { id: `tab-${file}`, type: "tab", label: file };
      for (const n of nodes) if (n.type !== "zoho-config") n.z = tab.id;
      nodes.unshift(tab);
    }
    for (const n of nodes) {
      if (n.type === "zoho-config") {
        n.accountsUrl = sim.url;
        // The grant a user would make for these examples, bulk scopes included.
        n.credentials = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: sim.issueRefreshToken(CLIENT_ID, `${DEFAULT_SCOPE} ZohoCRM.bulk.ALL ZohoFiles.files.ALL Desk.tickets.READ Desk.basic.READ`) };
      }
      if (n.type === "inject") n.once = false;
    }
    const current = await (await api("/flows")).json();
    const before = starts();
    const res = await api("/flows", { method: "POST", body: { flows: nodes, rev: current.rev }, headers: { "Node-RED-Deployment-Type": "full" } });
    res.status.should.equal(200, await res.text());
    await waitFor(() => starts() > before, { timeout: 30000, what: `Node-RED to start the flows of ${file}` });
    return nodes;
  }

  for (const file of files) {
    it(`${file} deploys with every node type known and a comment explaining what to configure`, async () => {
      const nodes = await deploy(file);
      nodes.some((n) => n.type === "comment" && /connection|Connection/.test(`${n.name} ${n.info}`)).should.be.true();
      nodes.some((n) => n.type === "zoho-config" && n.credentials).should.be.true();
      const raw = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
      raw.filter((n) => n.type === "zoho-config").forEach((n) => {
        n.should.not.have.property("credentials");
        n.accountsUrl.should.equal("");
      });
      nr.logs().should.not.match(/Waiting for missing types|\[error\]/);
    });
  }

  it("write-upsert-from-http.json upserts a posted form and answers", async () => {
    await deploy("write-upsert-from-http.json");
    const form = new URLSearchParams({ last_name: "Lovelace", first_name: "Ada", email: "ada.example@example.com" });
    const res = await fetch(nr.url + "/zoho/leads", { method: "POST", body: form });
    res.status.should.equal(200, await res.clone().text());
    sim.records("Leads").filter((r) => r.Email === "ada.example@example.com").length.should.equal(1);
    // Same again: an update, still one record.
    (await fetch(nr.url + "/zoho/leads", { method: "POST", body: form })).status.should.equal(200);
    sim.records("Leads").filter((r) => r.Email === "ada.example@example.com").length.should.equal(1);
  });

  it("write-delete-by-criteria.json deletes the matching Leads", async () => {
    const nodes = await deploy("write-delete-by-criteria.json");
    sim.seedRecords("Leads", Array.from({ length: 30 }, (_, i) => ({ Last_Name: `Junk ${i}`, Lead_Status: "Junk Lead" })));
    sim.seedRecords("Leads", [{ Last_Name: "Keeper", Lead_Status: "Contacted" }]);
    const junk = () => sim.records("Leads").filter((r) => r.Lead_Status === "Junk Lead").length;
    junk().should.equal(30);
    const inject = nodes.find((n) => n.type === "inject");
    (await api(`/inject/${inject.id}`, { method: "POST" })).status.should.equal(200);
    await waitFor(() => junk() === 0, { timeout: 20000, what: "the Junk Leads to be deleted" });
    sim.records("Leads").some((r) => r.Last_Name === "Keeper").should.be.true();
  });

  it("read-bulk-export-contacts.json exports every Contact to the CSV file through Bulk Read", async () => {
    fs.rmSync("/tmp/zoho-contacts.csv", { force: true });
    sim.bulk.stepMs = 5;
    const contacts = sim.seedRecords("Contacts", 2300);
    const nodes = await deploy("read-bulk-export-contacts.json");
    const inject = nodes.find((n) => n.type === "inject");
    (await api(`/inject/${inject.id}`, { method: "POST" })).status.should.equal(200);
    const lines = () => (fs.existsSync("/tmp/zoho-contacts.csv") ? fs.readFileSync("/tmp/zoho-contacts.csv", "utf8").split("\n").filter(Boolean) : []);
    await waitFor(() => lines().length === contacts.length + 1, { timeout: 30000, what: "every Contact in the file" });
    lines()[0].should.equal("id,Last_Name,First_Name,Email,Phone,Created_Time");
    new Set(lines().slice(1).map((l) => l.split(",")[0])).size.should.equal(contacts.length);
  });

  it("write-bulk-import-csv.json upserts the rows of a CSV file through Bulk Write", async () => {
    sim.bulk.stepMs = 5;
    const rows = ["Last_Name,First_Name,Email,Company", ...Array.from({ length: 300 }, (_, i) => `Import ${i},Ada,import.${i}@example.com,Acme`)];
    fs.writeFileSync("/tmp/zoho-leads-import.csv", rows.join("\n") + "\n");
    const nodes = await deploy("write-bulk-import-csv.json");
    const inject = nodes.find((n) => n.type === "inject");
    (await api(`/inject/${inject.id}`, { method: "POST" })).status.should.equal(200);
    const held = () => sim.records("Leads").filter((r) => String(r.Email).startsWith("import."));
    await waitFor(() => held().length === 300, { timeout: 30000, what: "the 300 Leads" });
    sim.requests.filter((r) => r.path === "/crm/v8/upload").length.should.equal(1);
    fs.rmSync("/tmp/zoho-leads-import.csv", { force: true });
  });

  it("api-notes-and-desk-tickets.json lists every open Desk ticket across Desk's pages", async () => {
    sim.desk.seedTickets(230);
    const orgId = sim.desk.defaultOrg.info.id;
    const nodes = await deploy("api-notes-and-desk-tickets.json", (n) => (n.type === "zoho-api" && n.service === "desk" ? { ...n, orgId: String(orgId) } : n));
    sim.requests = [];
    const inject = nodes.find((n) => n.type === "inject");
    (await api(`/inject/${inject.id}`, { method: "POST" })).status.should.equal(200);
    const open = sim.desk.tickets(orgId).filter((t) => t.status === "Open").length;
    const pages = Math.floor(open / 100) + 1;
    await waitFor(() => sim.requests.filter((r) => r.path === "/api/v1/tickets" && r.status !== undefined).length === pages, { timeout: 20000, what: "every page of open tickets" });
    sim.requests.filter((r) => r.path === "/api/v1/tickets").every((r) => r.query.status === "Open" && r.headers.orgid === String(orgId)).should.be.true();
  });
});
