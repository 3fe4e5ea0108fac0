// Secrets stay secret: the client secret, refresh tokens and access tokens never appear in logs (any
// level), node status, errors, outputs, admin route answers, exported flows or debug output; admin
// routes need the right permission; tokens only ever go to the connection's own hosts.
"use strict";
const should = require("should");
const http = require("http");
const fs = require("fs");
const path = require("path");
const bcrypt = require("bcryptjs");
const { startSimulator, CLIENT_ID, CLIENT_SECRET } = require("./fixtures");
const { helper, loadNodes, watchCalls, zohoSettings, waitFor } = require("./harness");
const { startNodeRed, login } = require("../scripts/node-red-runtime");
const { ZohoClient, accountsBaseUrl } = require("../dist/nodes/zoho");

const TOKEN_PATH = "/oauth/v2/token";

/** Everything secret the simulator handed out or received: client secret, refresh, access and grant tokens. */
function secretsOf(sim, extra = []) {
  const out = new Set([CLIENT_SECRET, ...extra]);
  for (const token of sim.refreshTokens.keys()) out.add(token);
  for (const token of sim.accessTokens.keys()) out.add(token);
  for (const code of sim.grants.keys()) out.add(code);
  for (const r of sim.requests) {
    const auth = r.headers && r.headers.authorization;
    if (typeof auth === "string") out.add(auth.replace(/^Zoho-oauthtoken\s+/i, ""));
  }
  out.delete("");
  return [...out];
}

/** JSON of anything (BigInt, circular references and functions included). */
function dump(value) {
  const seen = new WeakSet();
  return JSON.stringify(value, (k, v) => {
    if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol") return String(v);
    if (v instanceof Error) return { message: v.message, stack: v.stack, ...v };
    if (v && typeof v === "object") {
      if (seen.has(v)) return "[circular]";
      seen.add(v);
    }
    return v;
  });
}

function assertNoSecret(text, secrets, where) {
  for (const s of secrets) {
    if (text.includes(s)) throw new Error(`${where} contains a secret (${s.slice(0, 8)}…)`);
  }
}

function countingServer() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ data: [], access_token: "evil", api_domain: "http://127.0.0.1:1" }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ seen, url: `http://127.0.0.1:${server.address().port}`, port: server.address().port, close: () => new Promise((r) => server.close(r)) })));
}

describe("secrets", function () {
  this.timeout(60000);

  describe("with the test helper: every log level, status, error, output and admin answer", function () {
    let sim, evil;
    before(async () => {
      await helper.startServer();
      ({ sim } = await startSimulator({ creditsPerDay: 400 }));
      sim.seedRecords("Leads", 40);
      evil = await countingServer();
    });
    after(async () => {
      await sim.stop();
      await evil.close();
      await helper.stopServer();
    });
    afterEach(async () => {
      await helper.unload();
      zohoSettings();
    });

    it("none of them carries the client secret, a refresh token or an access token", async () => {
      zohoSettings({ requestTimeoutMs: 300 });
      const revoked = sim.issueRefreshToken(CLIENT_ID);
      sim.revokeRefreshToken(revoked);
      const read = (id, props = {}) => ({ id, type: "zoho-crm-read", operation: "list", module: "Leads", moduleType: "str", fields: "Last_Name,Email", fieldsType: "str", output: "array", maxRecords: 5, ...props });
      const t = await loadNodes(
        sim,
        [
          read("r-array", { maxRecords: "" }),
          read("r-page", { output: "page" }),
          read("r-record", { output: "record" }),
          read("r-get", { operation: "get", recordId: "id", recordIdType: "msg" }),
          read("r-search", { operation: "search", searchBy: "criteria", searchValue: "(Last_Name:starts_with:a)" }),
          read("r-coql", { operation: "coql", query: "select Last_Name from Leads where Last_Name = :n", queryType: "str" }),
          read("r-bad", { module: "Nope" }),
          read("r-revoked", { connection: "revoked" }),
          { id: "w-create", type: "zoho-crm-write", operation: "create", module: "Leads", moduleType: "str" },
          { id: "w-upsert", type: "zoho-crm-write", operation: "upsert", module: "Leads", moduleType: "str", duplicateCheckFields: "Email" },
        ],
        {
          extraNodes: [{ id: "revoked", type: "zoho-config", name: "", dataCenter: "us", environment: "production", accountsUrl: sim.url, concurrency: 2 }],
          credentials: { revoked: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: revoked } },
        },
      );
      const leadId = sim.records("Leads")[0].id;
      const host = { url: evil.url, apiDomain: evil.url, accountsUrl: evil.url };
      // Successes, in every output mode.
      for (const id of ["r-array", "r-page", "r-record", "r-search"]) await t.run(id, { payload: "go", ...host });
      await t.run("r-get", { id: leadId, ...host });
      await t.run("r-coql", { queryParams: { n: "x" }, ...host });
      await t.run("w-create", { payload: [{ Last_Name: "ok", Email: "secret.ok@example.com" }, { Email: "no-last-name@example.com" }], ...host });
      await t.run("w-upsert", { payload: { Last_Name: "up", Email: "secret.up@example.com" }, ...host });
      // Failures of every kind: Zoho errors, a revoked token, token expiry, 429s, 500s, drops, timeouts, persistent INVALID_TOKEN.
      await t.run("r-bad");
      await t.run("r-revoked");
      sim.expireAccessTokens();
      await t.run("r-array");
      sim.inject({ status: 429, times: 2 });
      sim.inject({ status: 500, afterRequests: 3 });
      sim.inject({ drop: "before", afterRequests: 4 });
      sim.inject({ delayMs: 2000, afterRequests: 5 });
      await t.run("r-page");
      await t.run("w-create", { payload: [{ Last_Name: "later", Email: "secret.later@example.com" }] });
      sim.clearFaults();
      sim.inject({ status: 401, code: "INVALID_TOKEN", times: 4 });
      await t.run("r-array");
      await t.run("w-create", { payload: [{ Last_Name: "rejected", Email: "secret.rejected@example.com" }] });
      sim.clearFaults();

      // Admin routes, every one of them, answering successes and errors.
      const answers = [];
      const post = (route, body) => helper.request().post(`/zoho-config/${route}`).set("Content-Type", "application/json").send(JSON.stringify(body));
      answers.push(await post("conn/test", {}));
      answers.push(await helper.request().get("/zoho-config/conn/modules"));
      answers.push(await helper.request().get("/zoho-config/conn/fields?module=Leads"));
      answers.push(await helper.request().get("/zoho-config/conn/fields?module=Nope"));
      answers.push(await helper.request().get("/zoho-config/revoked/modules"));
      answers.push(await post("conn/refresh-token", { clientId: CLIENT_ID, clientSecret: "__PWRD__", grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url }));
      answers.push(await post("conn/refresh-token", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: "1000.used.or.wrong", accountsUrl: sim.url }));
      answers.push(await post("draft/refresh-token", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url }));
      answers.push(await post("draft/test", {}));
      answers.push(await helper.request().get("/zoho-config/draft/fields?module=Contacts"));
      answers.map((a) => a.status).should.eql([200, 200, 200, 400, 400, 200, 400, 200, 200, 200]);
      await t.run("r-array"); // with the refresh token the route just stored
      // Last, as its cool-down outlasts the test: Zoho's token throttle.
      sim.inject({ match: { path: TOKEN_PATH }, tokenThrottle: true, times: 3 });
      sim.expireAccessTokens();
      await t.run("r-array");
      sim.clearFaults();

      const secrets = secretsOf(sim, [helper.credentials.get("conn").refreshToken, helper.credentials.get("draft").refreshToken]);
      secrets.length.should.be.above(5);
      // Logs at every level: the runtime log (everything reaches RED.log.log, whatever the level) and each node's log methods.
      const logged = helper.log().args.map((a) => a[0]);
      const levels = new Set(logged.map((l) => l.level));
      levels.should.containEql(60); // trace
      levels.should.containEql(50); // debug
      logged.some((l) => l.level === 60 && /GET \/crm\/v8\/Leads\?/.test(l.msg)).should.be.true("each call is traced");
      logged.some((l) => l.level === 50 && /new access token/.test(l.msg)).should.be.true("token refreshes are logged at debug");
      logged.some((l) => l.level === 50 && /retrying in/.test(l.msg)).should.be.true("retries are logged at debug");
      assertNoSecret(dump(logged), secrets, "the runtime log");
      const proto = helper._NodePrototype;
      for (const method of ["log", "warn", "error", "debug", "trace", "status", "send"]) {
        if (!["log", "warn"].includes(method)) proto[method].callCount.should.be.above(0, method);
        assertNoSecret(dump(proto[method].args), secrets, `node.${method}()`);
      }
      // Status, outputs and what Catch nodes got (msg.error), for every node.
      for (const [id, s] of Object.entries(t.seen)) {
        assertNoSecret(dump(s.status), secrets, `${id}'s status`);
        assertNoSecret(dump(s.out), secrets, `${id}'s output`);
        assertNoSecret(dump(s.caught), secrets, `${id}'s errors`);
        s.caught.forEach((m) => m.error.message.should.be.a.String());
      }
      t.seen["r-revoked"].caught[0].error.code.should.equal("invalid_code");
      t.seen["r-bad"].caught[0].error.code.should.equal("INVALID_MODULE");
      answers.forEach((a, i) => assertNoSecret(a.text, secrets, `admin answer ${i}`));
      // The flows the runtime would export, and the node objects themselves as a debug node would show them.
      assertNoSecret(dump(helper._redNodes.getFlows().flows), secrets, "the exported flows");
      for (const id of Object.keys(t.seen)) assertNoSecret(require("util").inspect(helper.getNode(id), { depth: 2 }), secrets, `node ${id} inspected`);
      // Nothing went to the host the messages named.
      evil.seen.should.have.length(0);
    });

    it("tokens only go to the connection's own hosts, never to one named in a message, a module name, a record id or a redirect", async () => {
      const t = await loadNodes(sim, [
        { id: "r", type: "zoho-crm-read", operation: "list", module: "module", moduleType: "msg", fields: "Last_Name", fieldsType: "str", output: "array", maxRecords: 2 },
        { id: "g", type: "zoho-crm-read", operation: "get", module: "Leads", moduleType: "str", recordId: "id", recordIdType: "msg", output: "array" },
        { id: "w", type: "zoho-crm-write", operation: "update", module: "module", moduleType: "msg" },
      ]);
      const calls = watchCalls(t.conn.getClient());
      const evilHost = `127.0.0.1:${evil.port}`;
      const modules = [`//${evilHost}/x`, `http://${evilHost}/`, `Leads@${evilHost}`, `Leads/../../${evilHost}`, `${evilHost}`, "Leads#@" + evilHost];
      for (const module of modules) {
        const s = await t.run("r", { module, url: evil.url, apiDomain: evil.url, accountsUrl: evil.url, headers: { host: evilHost } });
        const caught = s.caught.filter((m) => m._msgid === s.lastId);
        caught.should.have.length(1, `module ${module}`);
        caught[0].error.code.should.match(/^INVALID_/);
      }
      for (const id of [`1@${evilHost}`, `1/../../${evilHost}`, `//${evilHost}`, `${sim.records("Leads")[0].id}@${evilHost}`]) {
        const g = await t.run("g", { id });
        g.caught.filter((m) => m._msgid === g.lastId).map((m) => m.error.code).should.eql(["INVALID_INPUT"], `id ${id}`);
        const w = await t.run("w", { module: "Leads", payload: { id, Last_Name: "x" } });
        w.out[1].filter((m) => m._msgid === w.lastId).map((m) => m.payload.code).should.eql(["INVALID_ID"], `id ${id}`);
      }
      // Zoho never redirects; if an answer does, the token is not carried along.
      sim.inject({ match: { path: "/crm/v8/Leads" }, status: 302, headers: { Location: `${evil.url}/crm/v8/Leads` } });
      const redirected = await t.run("r", { module: "Leads" });
      redirected.caught.filter((m) => m._msgid === redirected.lastId).should.have.length(1); // reported, not followed
      evil.seen.should.have.length(0);
      for (const { req } of calls) {
        req.url.startsWith(sim.url + "/").should.be.true(req.url);
        if (req.headers && req.headers.Authorization) req.url.should.startWith(sim.url + "/crm/v8/");
      }
    });
  });

  describe("where the client sends tokens and secrets (accounts server and api_domain)", function () {
    /** A client whose HTTP calls are recorded and answered by `answer(req)`. */
    function recordingClient(options, apiDomain) {
      const sent = [];
      const send = async (req) => {
        sent.push(req);
        if (req.url.endsWith(TOKEN_PATH)) {
          return { status: 200, headers: {}, data: { access_token: "1000.access.secret", expires_in: 3600, api_domain: apiDomain, token_type: "Bearer" } };
        }
        return { status: 200, headers: {}, data: { org: [{ id: "1" }] } };
      };
      const client = new ZohoClient({ clientId: "1000.ID", clientSecret: "client-secret", refreshToken: "1000.refresh.secret", environment: "production", send, ...options });
      return { client, sent };
    }

    const refused = [
      "https://www.zohoapis.com.evil.example",
      "https://evil.example",
      "http://www.zohoapis.com",
      "https://www.zohoapis.com@evil.example",
      "https://user:pw@www.zohoapis.eu",
      "https://zohoapis.com",
      "https://www.zohoapis.evil",
      "javascript:alert(1)",
      "//www.zohoapis.com",
      "",
    ];
    for (const apiDomain of refused) {
      it(`a data center's accounts server answering api_domain "${apiDomain}" gets no API call`, async () => {
        const { client, sent } = recordingClient({ accountsUrl: accountsBaseUrl("eu") }, apiDomain);
        const err = await client.request({ method: "GET", path: "/org" }).catch((e) => e);
        err.code.should.equal("UNTRUSTED_API_DOMAIN");
        sent.map((r) => r.url).should.eql(["https://accounts.zoho.eu/oauth/v2/token"]);
        err.message.should.not.containEql("1000.access.secret");
      });
    }

    it("secrets go in the token request's body to the accounts server, the access token only in the API call's header", async () => {
      const { client, sent } = recordingClient({ accountsUrl: accountsBaseUrl("eu"), environment: "sandbox" }, "https://www.zohoapis.eu");
      await client.request({ method: "GET", path: "/org", query: { x: "1" } });
      sent.map((r) => r.url).should.eql(["https://accounts.zoho.eu/oauth/v2/token", "https://sandbox.zohoapis.eu/crm/v8/org?x=1"]);
      sent[0].body.should.containEql("client_secret=client-secret").and.containEql("refresh_token=1000.refresh.secret");
      should(sent[0].headers.Authorization).be.undefined();
      sent[1].headers.Authorization.should.equal("Zoho-oauthtoken 1000.access.secret");
      sent[1].url.should.not.containEql("secret");
      should(sent[1].body).be.undefined();
    });

    it("with an explicit accounts URL, that server's api_domain is trusted (a proxy or the simulator)", async () => {
      const { client, sent } = recordingClient({ accountsUrl: "http://127.0.0.1:9", trustAnyApiDomain: true }, "http://127.0.0.1:8");
      await client.request({ method: "GET", path: "/org" });
      sent.map((r) => r.url).should.eql(["http://127.0.0.1:9/oauth/v2/token", "http://127.0.0.1:8/crm/v8/org"]);
    });
  });

  describe("in a real Node-RED: adminAuth, trace logging, exported flows and debug output", function () {
    this.timeout(120000);
    const adminAuth = {
      type: "credentials",
      users: [
        { username: "admin", password: bcrypt.hashSync("admin-pass", 4), permissions: "*" },
        { username: "viewer", password: bcrypt.hashSync("viewer-pass", 4), permissions: "read" },
      ],
    };
    let sim, nr, adminToken, viewerToken, refreshToken, revoked;

    const api = (token, route, body, method = "POST") =>
      fetch(nr.url + route, {
        method,
        headers: { "Content-Type": "application/json", Accept: "application/json", "Node-RED-API-Version": "v2", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    before(async () => {
      ({ sim, refreshToken } = await startSimulator());
      sim.seedRecords("Leads", 30);
      revoked = sim.issueRefreshToken(CLIENT_ID);
      sim.revokeRefreshToken(revoked);
      nr = await startNodeRed({
        settings: {
          adminAuth,
          logging: { console: { level: "trace", metrics: false, audit: false } },
          zohoCrm: { retryBaseDelayMs: 5, retryMaxDelayMs: 50 },
        },
      });
      adminToken = await login(nr.url, "admin", "admin-pass");
      viewerToken = await login(nr.url, "viewer", "viewer-pass", "read");
      const conn = (id, token) => ({ id, type: "zoho-config", name: `${id} connection`, dataCenter: "us", environment: "production", accountsUrl: sim.url, concurrency: 3, credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: token } });
      const inject = (id, target, payload = "") => ({ id, type: "inject", z: "t1", name: "", props: [{ p: "payload" }], payload, payloadType: payload ? "json" : "date", repeat: "", once: false, wires: [[target]] });
      const debug = (id) => ({ id, type: "debug", z: "t1", name: "", active: true, tosidebar: true, console: true, tostatus: false, complete: "true", targetType: "full", wires: [] });
      const flows = [
        { id: "t1", type: "tab", label: "secrets" },
        conn("conn", refreshToken),
        conn("gone", revoked),
        inject("i-read", "r-read"),
        { id: "r-read", type: "zoho-crm-read", z: "t1", connection: "conn", operation: "list", module: "Leads", moduleType: "str", fields: "Last_Name,Email", fieldsType: "str", maxRecords: "3", output: "array", wires: [["d-read"]] },
        debug("d-read"),
        inject("i-write", "w-write", '[{"Last_Name":"nr","Email":"nr.secret@example.com"},{"Email":"no-name@example.com"}]'),
        { id: "w-write", type: "zoho-crm-write", z: "t1", connection: "conn", operation: "create", module: "Contacts", moduleType: "str", wires: [["d-write"], ["d-write"]] },
        debug("d-write"),
        inject("i-bad", "r-bad"),
        { id: "r-bad", type: "zoho-crm-read", z: "t1", connection: "conn", operation: "list", module: "Nope", moduleType: "str", fields: "Name", fieldsType: "str", output: "array", wires: [["d-read"]] },
        inject("i-gone", "r-gone"),
        { id: "r-gone", type: "zoho-crm-read", z: "t1", connection: "gone", operation: "list", module: "Leads", moduleType: "str", fields: "Last_Name", fieldsType: "str", output: "array", wires: [["d-read"]] },
      ];
      // A deploy is answered before its flows start: wait for this deploy's "Started flows".
      const started = () => (nr.logs().match(/Started flows/g) || []).length;
      const startedBefore = started();
      const deploy = await api(adminToken, "/flows", { flows });
      deploy.status.should.equal(200);
      await waitFor(() => started() > startedBefore, { timeout: 30000, interval: 50, what: "Node-RED to start the deployed flows" });
      for (const id of ["i-read", "i-write", "i-bad", "i-gone"]) {
        await waitFor(async () => (await api(adminToken, `/inject/${id}`, {})).status === 200, { timeout: 15000, interval: 100, what: `inject ${id} to answer 200` });
      }
      // Every run has reached the log: both debug outputs and both errors.
      await waitFor(
        () => {
          const logs = nr.logs();
          return /\[debug:d-read\]/.test(logs) && /\[debug:d-write\]/.test(logs) && /\[zoho-crm-read:r-bad\]/.test(logs) && /\[zoho-crm-read:r-gone\]/.test(logs);
        },
        { timeout: 30000, interval: 50, what: "the four runs in the Node-RED log" },
      );
    });
    after(async () => {
      if (nr) await nr.stop();
      if (sim) await sim.stop();
    });

    it("the admin routes need zoho-config.read (pickers) or zoho-config.write (test, Refresh Token)", async () => {
      const grant = () => ({ clientId: CLIENT_ID, clientSecret: "__PWRD__", grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url });
      const routes = [
        ["GET", "/zoho-config/conn/modules", undefined, "read"],
        ["GET", "/zoho-config/conn/fields?module=Leads", undefined, "read"],
        ["POST", "/zoho-config/conn/test", {}, "write"],
        ["POST", "/zoho-config/conn/refresh-token", grant, "write"],
      ];
      for (const [method, route, body, needs] of routes) {
        const payload = typeof body === "function" ? body() : body;
        (await api(null, route, payload, method)).status.should.equal(401, `${method} ${route} without a token`);
        (await api("not-a-token", route, payload, method)).status.should.equal(401, `${method} ${route} with a bad token`);
        const viewer = await api(viewerToken, route, typeof body === "function" ? body() : body, method);
        viewer.status.should.equal(needs === "read" ? 200 : 401, `${method} ${route} as a read-only user`);
        const admin = await api(adminToken, route, typeof body === "function" ? body() : body, method);
        admin.status.should.equal(200, `${method} ${route} as admin: ${await admin.clone().text()}`);
      }
    });

    it("no secret in the trace-level log, the debug output, GET /flows, flows.json, flows_cred.json or any admin answer", async () => {
      const answers = [];
      for (const [method, route, body] of [
        ["GET", "/zoho-config/conn/modules"],
        ["GET", "/zoho-config/conn/fields?module=Leads"],
        ["POST", "/zoho-config/conn/test", {}],
        ["POST", "/zoho-config/gone/test", {}],
        ["POST", "/zoho-config/conn/refresh-token", { clientId: CLIENT_ID, clientSecret: "__PWRD__", grantToken: "1000.wrong", accountsUrl: sim.url }],
        ["GET", "/credentials/zoho-config/conn"],
        ["GET", "/flows"],
        ["GET", "/nodes"],
      ]) {
        const res = await api(adminToken, route, body, method);
        answers.push({ route, status: res.status, text: await res.text() });
      }
      answers.find((a) => a.route === "/flows").status.should.equal(200);
      JSON.parse(answers.find((a) => a.route === "/credentials/zoho-config/conn").text).should.containEql({ has_clientSecret: true, has_refreshToken: true });
      const logs = nr.logs();
      // The log really is at trace level, and the debug nodes and the errors really are in it.
      logs.should.match(/\[trace\] \[zoho-config:conn connection\] GET \/crm\/v8\/Leads\?/);
      logs.should.match(/\[debug\] \[zoho-config:conn connection\] new access token/);
      logs.should.match(/\[debug:d-read\]/);
      logs.should.match(/\[debug:d-write\][\s\S]*nr\.secret@example\.com/);
      logs.should.match(/\[error\] \[zoho-crm-read:r-bad\] .*INVALID_MODULE/);
      logs.should.match(/\[error\] \[zoho-crm-read:r-gone\] .*invalid_code/);
      const flowsFile = fs.readFileSync(path.join(nr.userDir, "flows.json"), "utf8");
      const credFile = fs.readFileSync(path.join(nr.userDir, "flows_cred.json"), "utf8");
      JSON.parse(credFile).should.have.property("$"); // encrypted
      const secrets = secretsOf(sim, [refreshToken, revoked]);
      secrets.length.should.be.above(3);
      assertNoSecret(logs, secrets, "Node-RED's log");
      assertNoSecret(flowsFile, secrets, "flows.json");
      assertNoSecret(credFile, secrets, "flows_cred.json");
      for (const a of answers) assertNoSecret(a.text, secrets, `${a.route}`);
    });
  });
});
