// The zoho-config node and its Refresh Token admin route, with node-red-node-test-helper.
"use strict";
const should = require("should");
const { helper, startSimulator, configFlow, configNode, CLIENT_ID, CLIENT_SECRET } = require("./fixtures");

describe("zoho-config node", function () {
  let sim, refreshToken;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => ({ sim, refreshToken } = await startSimulator()));
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  it("loads and gives a working shared client", async () => {
    const { node, credentials } = configFlow(sim, refreshToken);
    await helper.load(configNode, [node], credentials);
    const conn = helper.getNode("conn");
    conn.settings.should.match({ dataCenter: "us", environment: "production", accountsUrl: sim.url, concurrency: 5 });
    const client = conn.getClient();
    client.should.equal(conn.getClient());
    const res = await client.request({ method: "GET", path: "/org" });
    res.status.should.equal(200);
  });

  it("says what is missing when there is no refresh token", async () => {
    const { node } = configFlow(sim, refreshToken);
    await helper.load(configNode, [node], { conn: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } });
    (() => helper.getNode("conn").getClient()).should.throw(/NO_REFRESH_TOKEN.*Refresh Token/);
  });

  it("reads credentials from environment variables named as ${VAR}", async () => {
    process.env.TEST_ZOHO_SECRET = CLIENT_SECRET;
    process.env.TEST_ZOHO_REFRESH = refreshToken;
    try {
      const { node } = configFlow(sim, refreshToken);
      await helper.load(configNode, [node], { conn: { clientId: CLIENT_ID, clientSecret: "${TEST_ZOHO_SECRET}", refreshToken: "${TEST_ZOHO_REFRESH}" } });
      const res = await helper.getNode("conn").getClient().request({ method: "GET", path: "/org" });
      res.status.should.equal(200);
    } finally {
      delete process.env.TEST_ZOHO_SECRET;
      delete process.env.TEST_ZOHO_REFRESH;
    }
  });

  it("never falls back from an empty credential to ZOHO_* environment variables", async () => {
    process.env.ZOHO_CLIENT_ID = CLIENT_ID;
    process.env.ZOHO_CLIENT_SECRET = CLIENT_SECRET;
    process.env.ZOHO_REFRESH_TOKEN = refreshToken;
    try {
      const { node } = configFlow(sim, refreshToken);
      await helper.load(configNode, [node], { conn: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } });
      (() => helper.getNode("conn").getClient()).should.throw(/NO_REFRESH_TOKEN/);
      await helper.unload();
      await helper.load(configNode, [node], { conn: {} });
      (() => helper.getNode("conn").getClient()).should.throw(/MISSING_CREDENTIALS/);
    } finally {
      delete process.env.ZOHO_CLIENT_ID;
      delete process.env.ZOHO_CLIENT_SECRET;
      delete process.env.ZOHO_REFRESH_TOKEN;
    }
  });

  describe("the access token outlives deploys", function () {
    const readNode = require(require("./fixtures").readNodePath);
    async function deployAndRead(token, id = "conn") {
      const { node, credentials } = configFlow(sim, token, id);
      const flow = [node, { id: "r", type: "zoho-crm-read", connection: id, operation: "list", module: "Leads", fields: "Last_Name", output: "array", wires: [["out"]] }, { id: "out", type: "helper" }];
      await helper.load([configNode, readNode], flow, credentials);
      const got = new Promise((resolve) => helper.getNode("out").once("input", resolve));
      helper.getNode("r").receive({ payload: "go" });
      const msg = await got;
      await helper.unload(); // a full deploy stops every node, the connection included
      return msg;
    }

    it("N full deploys of one connection, each followed by a read, mint exactly one access token", async () => {
      sim.seedRecords("Leads", 3);
      for (let i = 0; i < 5; i++) (await deployAndRead(refreshToken)).payload.should.have.length(3);
      sim.tokenRefreshCount.should.equal(1);
      // A second connection node with the same credentials shares it too.
      (await deployAndRead(refreshToken, "conn2")).payload.should.have.length(3);
      sim.tokenRefreshCount.should.equal(1);
    });

    it("a new refresh token starts afresh, and so does a revoked one", async () => {
      sim.seedRecords("Leads", 1);
      await deployAndRead(refreshToken);
      await deployAndRead(sim.issueRefreshToken(CLIENT_ID));
      sim.tokenRefreshCount.should.equal(2);
      // Revoked: the cached access token dies with it, and the read fails with advice instead of reusing it.
      sim.revokeRefreshToken(refreshToken);
      const { node, credentials } = configFlow(sim, refreshToken);
      await helper.load(configNode, [node], credentials);
      const err = await helper.getNode("conn").getClient().request({ method: "GET", path: "/org" }).then(() => null, (e) => e);
      should(err).not.be.null();
      err.code.should.equal("invalid_code");
      err.message.should.match(/Refresh Token/);
    });
  });

  describe("GET zoho-config/:id/credential-sources", function () {
    it("says whether each credential is stored or read from an environment variable, never its value", async () => {
      process.env.TEST_ZOHO_SECRET_SRC = CLIENT_SECRET;
      try {
        const { node } = configFlow(sim, refreshToken);
        await helper.load(configNode, [node], { conn: { clientId: CLIENT_ID, clientSecret: "${TEST_ZOHO_SECRET_SRC}", refreshToken: "${TEST_ZOHO_UNSET_VAR}" } });
        const res = await helper.request().get("/zoho-config/conn/credential-sources");
        res.status.should.equal(200);
        res.body.should.eql({
          clientId: { source: "stored" },
          clientSecret: { source: "env", variable: "TEST_ZOHO_SECRET_SRC", set: true },
          refreshToken: { source: "env", variable: "TEST_ZOHO_UNSET_VAR", set: false },
        });
        JSON.stringify(res.body).should.not.containEql(CLIENT_SECRET);
        (await helper.request().get("/zoho-config/nothing/credential-sources")).body.clientId.should.eql({ source: "none" });
      } finally {
        delete process.env.TEST_ZOHO_SECRET_SRC;
      }
    });
  });

  describe("POST zoho-config/:id/refresh-token", function () {
    const post = (id, body) => helper.request().post(`/zoho-config/${id}/refresh-token`).set("Content-Type", "application/json").send(JSON.stringify(body));

    it("exchanges the grant token and stores the refresh token for a node not yet deployed", async () => {
      await helper.load(configNode, []);
      const grantToken = sim.issueGrantToken(CLIENT_ID);
      const res = await post("newconn", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken, dataCenter: "us", environment: "production", accountsUrl: sim.url });
      res.status.should.equal(200);
      Object.keys(res.body).sort().should.eql(["apiDomain", "issuedAt", "scope"]);
      res.body.apiDomain.should.equal(sim.url);
      const text = JSON.stringify(res.body);
      text.should.not.containEql(CLIENT_SECRET);
      text.should.not.containEql(grantToken);
      const stored = helper.credentials.get("newconn");
      stored.clientId.should.equal(CLIENT_ID);
      stored.clientSecret.should.equal(CLIENT_SECRET);
      stored.refreshToken.should.be.a.String().and.not.be.empty();
      text.should.not.containEql(stored.refreshToken);
      stored.apiDomain.should.equal(sim.url);
      JSON.stringify(stored).should.not.containEql(grantToken);
      // The stored refresh token really works.
      sim.tokenRefreshCount.should.equal(0);
    });

    it("falls back to stored credentials for password placeholders, and leaves the running connection alone", async () => {
      const { node } = configFlow(sim, refreshToken);
      await helper.load(configNode, [node], { conn: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } });
      const conn = helper.getNode("conn");
      const before = { ...conn.settings };
      // The dialog has unsaved changes (data center, concurrency...) and then the user presses Cancel.
      const res = await post("conn", {
        clientId: CLIENT_ID,
        clientSecret: "__PWRD__",
        grantToken: sim.issueGrantToken(CLIENT_ID),
        accountsUrl: sim.url,
        dataCenter: "eu",
        environment: "sandbox",
        concurrency: 20,
      });
      res.status.should.equal(200);
      helper.credentials.get("conn").refreshToken.should.be.a.String().and.not.be.empty();
      // What runs is what was deployed: same settings, and still no refresh token until Deploy.
      helper.getNode("conn").should.equal(conn);
      conn.settings.should.eql(before);
      (() => conn.getClient()).should.throw(/NO_REFRESH_TOKEN/);
      // The pickers and Test connection use the dialog's exchange meanwhile.
      const modules = await helper.request().get("/zoho-config/conn/modules");
      modules.status.should.equal(200);
      // Deploying the connection again makes it use the new refresh token, with no extra token minted.
      const stored = helper.credentials.get("conn");
      await helper.unload();
      await helper.load(configNode, [node], { conn: stored });
      (await helper.getNode("conn").getClient().request({ method: "GET", path: "/org" })).status.should.equal(200);
      sim.tokenRefreshCount.should.equal(0);
    });

    it("refuses (404) an id whose deployed node is not a zoho-config, before exchanging the grant", async () => {
      const inject = { id: "notconn", type: "inject", wires: [] };
      const injectNode = require("@node-red/nodes/core/common/20-inject.js");
      await helper.load([configNode, injectNode], [inject]);
      const grantToken = sim.issueGrantToken(CLIENT_ID);
      const res = await post("notconn", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken, accountsUrl: sim.url });
      res.status.should.equal(404);
      sim.count({ path: "/oauth/v2/token" }).should.equal(0);
      should(helper.credentials.get("notconn")).be.undefined();
    });

    it("seeds the token cache with the exchange's access token: the first read after Deploy mints none", async () => {
      await helper.load(configNode, []);
      const res = await post("fresh", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url });
      res.status.should.equal(200);
      const stored = helper.credentials.get("fresh");
      await helper.unload();
      const { node } = configFlow(sim, stored.refreshToken, "fresh");
      await helper.load(configNode, [node], { fresh: stored });
      (await helper.getNode("fresh").getClient().request({ method: "GET", path: "/org" })).status.should.equal(200);
      sim.tokenRefreshCount.should.equal(0);
      sim.count({ path: "/oauth/v2/token" }).should.equal(1); // the exchange itself
    });

    it("answers Zoho's errors as 4xx JSON with advice", async () => {
      await helper.load(configNode, []);
      const code = sim.issueGrantToken(CLIENT_ID);
      (await post("c1", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: code, accountsUrl: sim.url })).status.should.equal(200);
      const reused = await post("c1", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: code, accountsUrl: sim.url });
      reused.status.should.equal(400);
      reused.body.error.should.equal("invalid_code");
      reused.body.message.should.match(/grant token/);
      const wrongClient = await post("c2", { clientId: "1000.NOPE", clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url });
      wrongClient.body.error.should.equal("invalid_client");
      sim.inject({ match: { path: "/oauth/v2/token" }, tokenThrottle: true });
      const throttled = await post("c3", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url });
      throttled.status.should.equal(429);
      throttled.body.error.should.equal("TOKEN_RATE_LIMITED");
      should(helper.credentials.get("c2")).be.undefined();
    });

    it("rejects non-JSON bodies, missing fields and bad accounts URLs", async () => {
      await helper.load(configNode, []);
      const form = await helper.request().post("/zoho-config/c1/refresh-token").type("form").send({ clientId: CLIENT_ID });
      form.status.should.equal(415);
      const missing = await post("c1", { clientId: CLIENT_ID, accountsUrl: sim.url });
      missing.status.should.equal(400);
      missing.body.error.should.equal("missing_fields");
      const badUrl = await post("c1", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: "x", accountsUrl: "javascript:alert(1)" });
      badUrl.body.error.should.equal("invalid_accounts_url");
      sim.count({ path: "/oauth/v2/token" }).should.equal(0);
    });
  });
  describe("test connection and live pickers", function () {
    const post = (id, body) => helper.request().post(`/zoho-config/${id}/${"refresh-token"}`).set("Content-Type", "application/json").send(JSON.stringify(body));

    it("work for a connection whose Refresh Token was pressed but which is not deployed", async () => {
      await helper.load(configNode, []);
      (await post("draft", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url })).status.should.equal(200);
      const test = await helper.request().post("/zoho-config/draft/test").set("Content-Type", "application/json").send("{}");
      test.status.should.equal(200);
      test.body.user.name.should.be.a.String();
      test.body.org.edition.should.equal("enterprise");
      test.body.scopes.should.containEql("ZohoCRM.coql.READ");
      const modules = await helper.request().get("/zoho-config/draft/modules");
      modules.status.should.equal(200);
      const names = modules.body.modules.map((m) => m.apiName);
      names.should.containEql("Leads");
      names.should.containEql("Projects");
      names.should.not.containEql("Home");
      modules.body.modules.find((m) => m.apiName === "Projects").custom.should.be.true();
      // Pickers reuse one access token and cache metadata.
      await helper.request().get("/zoho-config/draft/modules");
      sim.count({ path: "/crm/v8/settings/modules" }).should.equal(1);
      // The access token that came with the exchange serves them: no refresh at all.
      sim.tokenRefreshCount.should.equal(0);
      for (const r of [test, modules]) {
        const text = JSON.stringify(r.body);
        text.should.not.containEql(CLIENT_SECRET);
        text.should.not.match(/1000\.[0-9a-f]{10,}/);
      }
    });

    it("lists a module's fields, with unique and sortable flags", async () => {
      const { node, credentials } = configFlow(sim, refreshToken);
      await helper.load(configNode, [node], credentials);
      const res = await helper.request().get("/zoho-config/conn/fields?module=Leads");
      res.status.should.equal(200);
      res.body.fields.length.should.be.above(50);
      res.body.fields.find((f) => f.apiName === "Email").unique.should.be.true();
      res.body.fields.find((f) => f.apiName === "Last_Name").mandatory.should.be.true();
      res.body.fields.find((f) => f.apiName === "Company").unique.should.be.false();
      const bad = await helper.request().get("/zoho-config/conn/fields?module=" + encodeURIComponent("Leads?x=1"));
      bad.status.should.equal(400);
      bad.body.error.should.equal("INVALID_MODULE");
      const unknown = await helper.request().get("/zoho-config/conn/fields?module=Nope");
      unknown.status.should.equal(400);
      unknown.body.error.should.equal("INVALID_MODULE");
      unknown.body.message.should.match(/API name/);
    });

    it("says how to proceed when the connection has no token yet", async () => {
      await helper.load(configNode, []);
      const res = await helper.request().get("/zoho-config/nothing/modules");
      res.status.should.equal(400);
      res.body.error.should.equal("NOT_DEPLOYED");
      res.body.message.should.match(/Refresh Token/);
    });
  });
});
