// The package installed into a real Node-RED (child process): admin permissions with adminAuth on,
// deploying a connection through the Admin API, and the refresh token surviving a restart, encrypted.
"use strict";
const should = require("should");
const fs = require("fs");
const path = require("path");
const bcrypt = require("bcryptjs");
const { startSimulator, CLIENT_ID, CLIENT_SECRET, waitFor } = require("./fixtures");
const { startNodeRed, login } = require("../scripts/node-red-runtime");

const adminAuth = {
  type: "credentials",
  users: [
    { username: "admin", password: bcrypt.hashSync("admin-pass", 4), permissions: "*" },
    { username: "viewer", password: bcrypt.hashSync("viewer-pass", 4), permissions: "read" },
  ],
};

describe("in a real Node-RED runtime", function () {
  this.timeout(90000);
  let sim, refreshToken, nr, adminToken, viewerToken;

  before(async () => {
    ({ sim, refreshToken } = await startSimulator());
    nr = await startNodeRed({ settings: { adminAuth } });
    adminToken = await login(nr.url, "admin", "admin-pass");
    viewerToken = await login(nr.url, "viewer", "viewer-pass", "read");
  });
  after(async () => {
    if (nr) await nr.stop();
    if (sim) await sim.stop();
  });

  const api = (token, route, body, method = "POST") =>
    fetch(nr.url + route, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "Node-RED-API-Version": "v2", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  // A deploy answers before the new flows have started: poll until the connection is up.
  async function testConnection(id) {
    let answer;
    await waitFor(
      async () => {
        const res = await api(adminToken, `/zoho-config/${id}/test`, {});
        answer = { status: res.status, body: await res.json() };
        return answer.body.error !== "NOT_DEPLOYED";
      },
      { timeout: 30000, interval: 100, what: `connection ${id} to be deployed` },
    );
    return answer;
  }

  it("registers the five node types", async () => {
    const res = await api(adminToken, "/nodes", undefined, "GET");
    const sets = await res.json();
    const types = sets.filter((s) => s.module === "@flowkit/node-red-zoho-crm").flatMap((s) => s.types);
    types.sort().should.eql(["zoho-api", "zoho-config", "zoho-crm-read", "zoho-crm-trigger", "zoho-crm-write"]);
    sets.filter((s) => s.module === "@flowkit/node-red-zoho-crm").forEach((s) => { s.enabled.should.be.true(); should(s.err).be.undefined(); });
  });

  it("guards the Refresh Token route with zoho-config.write", async () => {
    const body = () => ({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url });
    (await api(null, "/zoho-config/perm1/refresh-token", body())).status.should.equal(401);
    (await api(viewerToken, "/zoho-config/perm1/refresh-token", body())).status.should.equal(401);
    const ok = await api(adminToken, "/zoho-config/perm1/refresh-token", body());
    ok.status.should.equal(200);
    (await ok.json()).apiDomain.should.equal(sim.url);
  });

  it("deploys a connection through the Admin API and keeps its refresh token across a restart, encrypted", async () => {
    const flows = [
      { id: "t1", type: "tab", label: "zoho" },
      {
        id: "conn1",
        type: "zoho-config",
        name: "sim",
        dataCenter: "us",
        environment: "production",
        accountsUrl: sim.url,
        concurrency: 5,
        credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken },
      },
    ];
    const deploy = await api(adminToken, "/flows", { flows }, "POST");
    deploy.status.should.equal(200);
    const test = await testConnection("conn1");
    const facts = test.body;
    test.status.should.equal(200, JSON.stringify(facts));
    facts.org.name.should.be.a.String();
    JSON.stringify(facts).should.not.containEql(refreshToken);

    // The editor never sees password credentials, only has_*.
    const creds = await (await api(adminToken, "/credentials/zoho-config/conn1", undefined, "GET")).json();
    creds.should.have.property("has_refreshToken", true);
    creds.should.have.property("has_clientSecret", true);
    JSON.stringify(creds).should.not.containEql(refreshToken);

    // Restart: same userDir, new process.
    const userDir = nr.userDir;
    await nr.stop();
    const flowsText = fs.readFileSync(path.join(userDir, "flows.json"), "utf8");
    const credText = fs.readFileSync(path.join(userDir, "flows_cred.json"), "utf8");
    for (const secret of [refreshToken, CLIENT_SECRET]) {
      flowsText.should.not.containEql(secret);
      credText.should.not.containEql(secret);
    }
    nr = await startNodeRed({ userDir, settings: { adminAuth } });
    adminToken = await login(nr.url, "admin", "admin-pass");
    const refreshesBefore = sim.tokenRefreshCount;
    const again = await testConnection("conn1");
    again.status.should.equal(200, JSON.stringify(again.body));
    sim.tokenRefreshCount.should.equal(refreshesBefore + 1);
  });

  it("keeps the token when the editor redeploys without credentials", async () => {
    const current = await (await api(adminToken, "/flows", undefined, "GET")).json();
    const flows = current.flows.map((n) => (n.id === "conn1" ? { ...n, name: "renamed" } : n));
    (await api(adminToken, "/flows", { flows, rev: current.rev })).status.should.equal(200);
    const creds = await (await api(adminToken, "/credentials/zoho-config/conn1", undefined, "GET")).json();
    creds.has_refreshToken.should.be.true();
    (await testConnection("conn1")).status.should.equal(200);
  });

  it("mints one access token for N full deploys of an unchanged connection, each followed by a read", async () => {
    const token = sim.issueRefreshToken(CLIENT_ID);
    sim.seedRecords("Leads", 5);
    const flows = [
      { id: "t2", type: "tab", label: "deploys" },
      { id: "conn2", type: "zoho-config", name: "sim2", dataCenter: "us", environment: "production", accountsUrl: sim.url, concurrency: 5, credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: token } },
      { id: "go2", type: "inject", z: "t2", once: true, onceDelay: 0.1, payload: "", payloadType: "date", props: [{ p: "payload" }], wires: [["read2"]] },
      { id: "read2", type: "zoho-crm-read", z: "t2", connection: "conn2", operation: "list", module: "Leads", moduleType: "str", fields: "Last_Name", fieldsType: "str", output: "array", wires: [[]] },
    ];
    const refreshesBefore = sim.tokenRefreshCount;
    for (let i = 0; i < 4; i++) {
      const reads = sim.count({ method: "GET", path: "/crm/v8/Leads" });
      // The editor's default: a full deploy stops and restarts every node, the connection included.
      const res = await fetch(nr.url + "/flows", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}`, "Node-RED-API-Version": "v2", "Node-RED-Deployment-Type": "full" },
        body: JSON.stringify({ flows: i === 0 ? flows : flows.map((n) => (n.id === "conn2" ? { ...n, credentials: undefined } : n)) }),
      });
      res.status.should.equal(200);
      for (let w = 0; sim.count({ method: "GET", path: "/crm/v8/Leads" }) === reads; w++) {
        if (w > 200) throw new Error(`deploy ${i + 1}: the read never reached Zoho`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    sim.tokenRefreshCount.should.equal(refreshesBefore + 1);
  });

  it("never logs secrets", () => {
    const logs = nr.logs();
    logs.should.not.containEql(refreshToken);
    logs.should.not.containEql(CLIENT_SECRET);
  });
});
