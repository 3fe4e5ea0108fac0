// Bad input, hundreds of times over: malformed messages to the read and write nodes, malformed node
// and connection settings, and malformed calls to the connection's admin routes. The runtime must
// keep running, every message must end exactly once (an error for a Catch node, or per-record
// failures on output 2), and nothing may reach Zoho that should not. Seeded: FUZZ_SEED=n reproduces a run.
"use strict";
const should = require("should");
const http = require("http");
const { startSimulator, CLIENT_ID, CLIENT_SECRET } = require("./fixtures");
const { helper, loadNodes, loadOnce, watchCalls, prng, waitFor, turns, readNode, writeNode } = require("./harness");
const { configNode } = require("./fixtures");

const SEED = Number(process.env.FUZZ_SEED) || 0x5eed2024;
const MODULE = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const SAFE_PATH = /^\/(?:crm\/v8\/(?:[A-Za-z][A-Za-z0-9_]*(?:\/(?:search|upsert|actions\/count|[0-9]{1,30}))?|coql|settings\/(?:fields|modules)|org|users)|oauth\/v2\/token)$/;
/** Official accounts servers: the only hosts outside the loopback a connection may talk to. */
const ZOHO_ACCOUNTS = /^accounts\.(zoho\.(com|eu|in|com\.au|com\.cn|jp|sa)|zohocloud\.ca):443$/;

// ---- nasty values ---------------------------------------------------------------------------------
const HUGE = "x".repeat(1 << 20); // 1 MB
const deep = (n, leaf) => {
  let v = leaf;
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
};
const deepArray = (n) => {
  let v = ["bottom"];
  for (let i = 0; i < n; i++) v = [v];
  return v;
};
const PROTO = () => JSON.parse('{"__proto__": {"polluted": "yes"}, "Last_Name": "proto"}');
const CTOR = () => JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}, "Last_Name": "ctor"}');
const INJECTIONS = [
  ")or(",
  "(Last_Name:equals:x)or(Email:starts_with:a)",
  "x)or(id:greater_than:0",
  "\\",
  "\\\\",
  "a,b",
  "a\\,b",
  "((",
  "))",
  "' or id is not null or Last_Name = '",
  "x'); delete from Leads; --",
  "select * from Leads",
  ":param",
  "${ZOHO_CLIENT_SECRET}",
  "{{secret}}",
  "%2e%2e%2f",
  "Smith (UK), Ltd",
  "line\r\nX-Injected: 1",
  "nul\u0000byte",
  "💥 emoji",
];
const BAD_MODULES = [
  "",
  " ",
  "../org",
  "Leads/../org",
  "..",
  "//evil.example/x",
  "http://evil.example/",
  "Leads?x=1",
  "Leads#x",
  "Leads%2F..%2Forg",
  "Le ads",
  "Leads\r\nX-Evil: 1",
  "Leads\u0000",
  "Lëads",
  "1Leads",
  "_Leads",
  "a".repeat(101),
  "__proto__",
  "Leads/123",
  "Leads@evil.example",
  "coql",
  "settings",
  HUGE,
];
const BAD_IDS = ["", "abc", "1@evil.example", "1/../../org", "../1", "1?x=1", "1%2F..", "-1", "1.5", "0x10", "1e21", 5725767000001000001, -5, 1.5, NaN, "１２３", "9".repeat(40), "1 OR 1=1", HUGE];

function scalar(rnd) {
  return rnd.pick([undefined, null, true, false, 0, -1, 1.5, NaN, Infinity, 2 ** 53 + 2, 10n, Symbol("s"), () => 1, new Date("nope"), new Date(0), Buffer.from("buf"), "", " ", "💥", "Leads", "1234"]);
}
function object(rnd) {
  return rnd.pick([
    () => ({}),
    () => [],
    () => [1, "a", null],
    PROTO,
    CTOR,
    // Deep enough to trip any recursion of ours; Node-RED's own message cloning gives up near 2,000.
    () => deep(600, "bottom"),
    () => deepArray(600),
    () => new Map([["a", 1]]),
    () => ({ toString() { throw new Error("toString boom"); } }),
    () => Object.create(null),
    () => ({ Last_Name: HUGE }),
  ])();
}
function anything(rnd) {
  const r = rnd();
  if (r < 0.35) return scalar(rnd);
  if (r < 0.6) return rnd.pick(INJECTIONS);
  if (r < 0.7) return rnd.pick(BAD_MODULES);
  if (r < 0.8) return rnd.pick(BAD_IDS);
  return object(rnd);
}
const sometimes = (rnd, p, good, bad) => (rnd() < p ? good() : bad());

/** The criteria escaping Zoho documents, written independently of the package's own. */
function escapedValue(v) {
  const s = v instanceof Date ? v.toISOString() : String(v);
  return s.replace(/[\\(),]/g, (c) => "\\" + c);
}

/** A value for an assertion message, whatever it is. */
function show(v) {
  try {
    return require("util").inspect(v, { depth: 1, maxStringLength: 40, maxArrayLength: 3 });
  } catch {
    return typeof v;
  }
}

const isModule = (v) => (typeof v === "string" || typeof v === "number") && MODULE.test(String(v).trim());
const isId = (v) => (typeof v === "string" && /^[0-9]{1,25}$/.test(v.trim())) || (typeof v === "number" && Number.isSafeInteger(v) && v > 0);

function forbiddenKeyIn(value, depth = 0) {
  if (value === null || typeof value !== "object" || depth > 40) return false;
  for (const key of Object.keys(value)) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") return true;
    if (forbiddenKeyIn(value[key], depth + 1)) return true;
  }
  return false;
}

function countingServer(onConnect) {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, host: req.headers.host, headers: req.headers });
    req.resume();
    res.writeHead(502);
    res.end();
  });
  server.on("connect", (req, socket) => {
    seen.push({ method: "CONNECT", url: req.url, host: req.url });
    onConnect?.(req);
    socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ seen, url: `http://127.0.0.1:${server.address().port}`, port: server.address().port, close: () => new Promise((r) => server.close(r)) })),
  );
}

describe("fuzz: malformed messages, settings and admin calls", function () {
  this.timeout(60000);
  let sim, evil, proxy, envBefore, protoKeys, seededLeads;
  before(async () => {
    await helper.startServer();
    ({ sim } = await startSimulator());
    seededLeads = sim.seedRecords("Leads", 25);
    sim.seedRecords("Accounts", INJECTIONS.map((name) => ({ Account_Name: `acct ${name}` })));
    evil = await countingServer();
    // Anything that tries to leave the loopback goes to this "proxy" and is recorded, never sent.
    proxy = await countingServer();
    envBefore = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = "127.0.0.1,localhost";
    protoKeys = { object: Object.getOwnPropertyNames(Object.prototype).sort(), array: Object.getOwnPropertyNames(Array.prototype).sort() };
  });
  after(async () => {
    for (const [k, v] of Object.entries(envBefore)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await sim.stop();
    await evil.close();
    await proxy.close();
    await helper.stopServer();
  });
  afterEach(async () => {
    await helper.unload();
    // Nothing was polluted, whatever the messages carried.
    Object.getOwnPropertyNames(Object.prototype).sort().should.eql(protoKeys.object);
    Object.getOwnPropertyNames(Array.prototype).sort().should.eql(protoKeys.array);
    should(({}).polluted).be.undefined();
    should([].polluted).be.undefined();
    evil.seen.should.have.length(0, "nothing was sent to a host named in a message");
  });

  /** Checks that hold for every HTTP call the connection made. */
  function assertCallsSafe(calls) {
    for (const { req } of calls) {
      const url = String(req.url);
      url.startsWith(sim.url + "/").should.be.true(`call to ${url.slice(0, 120)}`);
      const path = url.slice(sim.url.length).split("?")[0];
      path.should.match(SAFE_PATH, `unsafe path ${path.slice(0, 120)}`);
      if (req.headers && req.headers.Authorization) path.should.startWith("/crm/v8/");
      (url.length < 20000).should.be.true("no huge URL");
    }
  }

  /** Checks that hold for every request the simulator received. */
  function assertRequestsSafe(requests) {
    for (const r of requests) {
      r.path.should.match(SAFE_PATH);
      if (r.method === "DELETE") String(r.query.ids).should.match(/^[0-9]{1,30}(,[0-9]{1,30})*$/);
      if (r.body && Array.isArray(r.body.data)) {
        for (const rec of r.body.data) {
          forbiddenKeyIn(rec).should.be.false("a record with __proto__/constructor reached Zoho");
          if (r.method === "PUT" || rec.id !== undefined) String(rec.id).should.match(/^[0-9]{1,30}$/);
        }
      }
    }
  }

  /** The error a Catch node got: a code, a bounded message, no stack of our own data. */
  function assertClearError(msg) {
    should.exist(msg.error);
    msg.error.code.should.be.a.String().and.match(/^[A-Za-z_0-9]+$/);
    msg.error.message.should.be.a.String();
    (msg.error.message.length < 1500).should.be.true(`error message of ${msg.error.message.length} characters`);
  }

  function assertStatusesSane(statuses) {
    for (const s of statuses) {
      if (s.text !== undefined) (String(s.text).length < 200).should.be.true();
    }
  }

  it("read nodes: 400 malformed messages, each ending once, nothing unsafe sent", async () => {
    const rnd = prng(SEED);
    const defs = [
      { id: "rd-list", output: "array", operation: "list" },
      { id: "rd-pages", output: "page", operation: "list" },
      { id: "rd-records", output: "record", operation: "list" },
      { id: "rd-get", operation: "get" },
      { id: "rd-crit", operation: "search", searchBy: "criteria" },
      { id: "rd-email", operation: "search", searchBy: "email" },
      { id: "rd-coql", operation: "coql" },
    ].map((d) => ({
      type: "zoho-crm-read",
      name: "",
      module: "module",
      moduleType: "msg",
      fields: "fields",
      fieldsType: "msg",
      recordId: "id",
      recordIdType: "msg",
      searchValue: "search",
      searchValueType: "msg",
      query: "query",
      queryType: "msg",
      modifiedSince: "since",
      modifiedSinceType: "msg",
      output: "array",
      ...d,
    }));
    const t = await loadNodes(sim, defs, { conn: { concurrency: 5 } });
    const calls = watchCalls(t.conn.getClient());
    const ids = seededLeads.map((r) => r.id);
    let caught = 0;
    let reachedZoho = 0;
    for (let i = 0; i < 400; i++) {
      const def = defs[i % defs.length];
      const module = sometimes(rnd, 0.5, () => rnd.pick(["Leads", "Accounts", " Leads ", "Deals"]), () => anything(rnd));
      const msg = {
        payload: anything(rnd),
        module,
        fields: sometimes(rnd, 0.5, () => rnd.pick([undefined, "Last_Name", "Last_Name, Email", ["Email"]]), () => anything(rnd)),
        id: sometimes(rnd, 0.4, () => rnd.pick(ids), () => anything(rnd)),
        since: sometimes(rnd, 0.7, () => undefined, () => anything(rnd)),
        maxRecords: sometimes(rnd, 0.6, () => rnd.pick([1, 3, "2", 0]), () => anything(rnd)),
        search: rnd.pick([
          () => ({ [rnd.pick(["Last_Name", "Account_Name", "Email", "__proto__", "a b", "constructor"])]: rnd() < 0.5 ? rnd.pick(INJECTIONS) : anything(rnd) }),
          () => rnd.pick(INJECTIONS),
          () => `(Last_Name:equals:${rnd.pick(INJECTIONS)})`,
          () => [["Last_Name", "starts_with", anything(rnd)]],
          () => anything(rnd),
        ])(),
        query: rnd.pick([
          () => `select Last_Name from Leads where Last_Name = :v limit ${rnd.int(5) + 1}`,
          () => `select Last_Name from Leads where Last_Name = '${rnd.pick(INJECTIONS)}'`,
          () => anything(rnd),
          () => "select Last_Name from Leads where id is not null limit 99999",
          () => "delete from Leads",
        ])(),
        queryParams: rnd.pick([undefined, () => ({ v: anything(rnd) }), () => ({ v: rnd.pick(INJECTIONS) }), () => anything(rnd)]),
        // Hosts a message must never be able to choose.
        url: evil.url + "/steal",
        apiDomain: evil.url,
        accountsUrl: evil.url,
        baseUrl: evil.url,
        headers: { Authorization: "Zoho-oauthtoken stolen", Host: `127.0.0.1:${evil.port}` },
      };
      if (typeof msg.queryParams === "function") msg.queryParams = msg.queryParams();
      const requestsBefore = sim.requests.length;
      const callsBefore = calls.length;
      const seen = await t.run(def.id, msg);
      const requests = sim.requests.slice(requestsBefore).filter((r) => r.path.startsWith("/crm/"));
      assertCallsSafe(calls.slice(callsBefore));
      assertRequestsSafe(requests);
      if (requests.length) reachedZoho++;
      const mine = seen.caught.filter((m) => m._msgid === seen.lastId);
      if (mine.length) {
        caught++;
        assertClearError(mine[0]);
      }
      const moduleUsed = def.operation !== "coql";
      if (moduleUsed && !isModule(module)) requests.should.have.length(0, `module ${show(module)} reached Zoho`);
      if (def.operation === "get" && !isId(msg.id)) requests.filter((r) => /\/[0-9]+$/.test(r.path)).should.have.length(0);
      if (def.id === "rd-crit" && msg.search && typeof msg.search === "object" && !Array.isArray(msg.search)) {
        const [field] = Object.keys(msg.search);
        const value = msg.search[field];
        const sent = requests.filter((r) => r.path.endsWith("/search")).map((r) => r.query.criteria);
        for (const criteria of sent) criteria.should.equal(`(${field}:equals:${escapedValue(value)})`);
        if (sent.length) (typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value instanceof Date).should.be.true();
      }
      if (def.operation === "coql") requests.forEach((r) => r.path.should.equal("/crm/v8/coql"));
    }
    for (const [msgid, times] of t.finished) times.should.equal(1, `message ${msgid} finished ${times} times`);
    t.finished.size.should.equal(400);
    caught.should.be.above(100);
    reachedZoho.should.be.above(30);
    for (const def of defs) assertStatusesSane(t.seen[def.id].status);
  });

  it("write nodes: 300 malformed payloads; every record once on an output or the message to Catch", async () => {
    const rnd = prng(SEED + 1);
    const defs = ["create", "update", "upsert", "delete"].map((operation) => ({
      id: `w-${operation}`,
      type: "zoho-crm-write",
      name: "",
      operation,
      module: "module",
      moduleType: "msg",
      ...(operation === "upsert" ? { duplicateCheckFields: "Email" } : {}),
    }));
    const t = await loadNodes(sim, defs, { conn: { concurrency: 4 } });
    const calls = watchCalls(t.conn.getClient());
    let serial = 0;
    const goodRecord = () => ({ Last_Name: `fuzz ${serial}`, Email: `fuzz.${serial++}@example.com` });
    const item = () =>
      rnd.pick([
        goodRecord,
        () => ({ ...goodRecord(), id: rnd.pick(BAD_IDS.concat(seededLeads.map((r) => r.id))) }),
        () => ({ ...goodRecord(), Last_Name: anything(rnd) }),
        () => ({ ...goodRecord(), nested: deep(rnd.int(60), "x") }),
        () => Object.assign(PROTO(), goodRecord()),
        () => Object.assign(CTOR(), goodRecord()),
        () => anything(rnd),
        () => rnd.pick(BAD_IDS),
      ])();
    let perRecordRuns = 0;
    for (let i = 0; i < 300; i++) {
      const def = defs[i % defs.length];
      const module = sometimes(rnd, 0.75, () => rnd.pick(["Leads", "Contacts"]), () => anything(rnd));
      const payload = rnd.pick([() => item(), () => Array.from({ length: rnd.int(6) }, item), () => Array.from({ length: 120 + rnd.int(20) }, goodRecord), () => anything(rnd)])();
      const requestsBefore = sim.requests.length;
      const callsBefore = calls.length;
      const outBefore = t.seen[def.id].out.map((list) => list.length);
      if (process.env.FUZZ_DEBUG) console.log(i, def.id, show({ module, payload }));
      const seen = await t.run(def.id, { payload, module, url: evil.url, apiDomain: evil.url, accountsUrl: evil.url });
      const requests = sim.requests.slice(requestsBefore).filter((r) => r.path.startsWith("/crm/"));
      assertCallsSafe(calls.slice(callsBefore));
      assertRequestsSafe(requests);
      if (!isModule(module)) requests.should.have.length(0);
      const mine = seen.out.flatMap((list, o) => list.slice(outBefore[o]));
      mine.forEach((m) => m._msgid.should.equal(seen.lastId));
      mine.length.should.be.belowOrEqual(2); // at most one message per output
      const caughtNow = seen.caught.filter((m) => m._msgid === seen.lastId);
      caughtNow.length.should.be.belowOrEqual(1);
      if (caughtNow.length) assertClearError(caughtNow[0]);
      if (mine.length) {
        perRecordRuns++;
        const results = mine.flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload]));
        const expected = Array.isArray(payload) ? payload.length : 1;
        results.length.should.equal(expected);
        results.map((r) => r.index).sort((a, b) => a - b).should.eql(Array.from({ length: expected }, (_, k) => k));
        mine[0].zoho.total.should.equal(expected);
        results.forEach((r) => r.code.should.be.a.String());
      } else if (Array.isArray(payload) && payload.length === 0 && isModule(module)) {
        // An empty array is nothing to do: no call, no output, no error (and done() was called).
        caughtNow.should.have.length(0);
        requests.should.have.length(0);
      } else {
        caughtNow.should.have.length(1, "a message with no result on either output went to Catch");
      }
    }
    for (const [msgid, times] of t.finished) times.should.equal(1, `message ${msgid} finished ${times} times`);
    t.finished.size.should.equal(300);
    perRecordRuns.should.be.above(100);
    const emails = [...sim.records("Leads"), ...sim.records("Contacts")].map((r) => r.Email).filter((e) => typeof e === "string" && e.startsWith("fuzz."));
    emails.length.should.equal(new Set(emails).size, "a record was written twice");
    for (const def of defs) assertStatusesSane(t.seen[def.id].status);
  });

  it("a burst of 200 messages at once is answered once each, and the runtime keeps running", async () => {
    const rnd = prng(SEED + 2);
    const t = await loadNodes(
      sim,
      [
        { id: "r", type: "zoho-crm-read", operation: "list", module: "module", moduleType: "msg", fields: "Last_Name", fieldsType: "str", output: "record" },
        { id: "w", type: "zoho-crm-write", operation: "create", module: "Contacts", moduleType: "str" },
      ],
      { conn: { concurrency: 3 } },
    );
    const jobs = [];
    for (let i = 0; i < 100; i++) {
      jobs.push(t.run("r", { module: sometimes(rnd, 0.5, () => "Leads", () => anything(rnd)), maxRecords: sometimes(rnd, 0.5, () => 2, () => anything(rnd)) }));
      jobs.push(t.run("w", { payload: sometimes(rnd, 0.5, () => ({ Last_Name: `burst ${i}` }), () => anything(rnd)) }));
    }
    await Promise.all(jobs);
    // A second finish for a message could only come from work still under way: wait until no call is
    // in flight at the simulator, then let queued deliveries arrive, before counting.
    await waitFor(() => sim.inFlight === 0, { what: "no call in flight at the simulator" });
    await turns();
    t.finished.size.should.equal(200);
    for (const times of t.finished.values()) times.should.equal(1);
    // Still working afterwards.
    const after = await t.run("r", { module: "Leads", maxRecords: 1 });
    after.completed.length.should.be.above(0);
  });

  it("malformed node settings: 60 read and write nodes with random configuration", async () => {
    const rnd = prng(SEED + 3);
    const pick = (good, p = 0.5) => (rnd() < p ? rnd.pick(good) : anything(rnd));
    const typed = () => rnd.pick(["str", "msg", "flow", "global", "env", "num", "json", "jsonata", "cred", "node", "re", "bin", "", undefined, 42, "__proto__"]);
    const defs = [];
    for (let i = 0; i < 60; i++) {
      const read = i % 2 === 0;
      const def = read
        ? {
            type: "zoho-crm-read",
            operation: pick(["list", "get", "search", "coql"], 0.7),
            module: pick(["Leads", "Accounts"], 0.6),
            moduleType: rnd() < 0.6 ? "str" : typed(),
            fields: pick(["Last_Name", ""]),
            fieldsType: rnd() < 0.6 ? "str" : typed(),
            recordId: pick([seededLeads[0].id]),
            recordIdType: rnd() < 0.6 ? "str" : typed(),
            searchBy: pick(["criteria", "email", "phone", "word"]),
            searchValue: pick(["(Last_Name:starts_with:a)", "a@b.com"]),
            searchValueType: rnd() < 0.6 ? "str" : typed(),
            query: pick(["select Last_Name from Leads where id is not null limit 2"]),
            queryType: rnd() < 0.6 ? "str" : typed(),
            sortBy: pick(["", "id", "Created_Time", "Modified_Time"]),
            sortOrder: pick(["", "asc", "desc"]),
            cvid: pick(["", "123"]),
            modifiedSince: pick(["", "2020-01-01T00:00:00+00:00"]),
            modifiedSinceType: rnd() < 0.6 ? "str" : typed(),
            maxRecords: pick(["3", 3, ""]),
            output: pick(["array", "page", "record"]),
          }
        : {
            type: "zoho-crm-write",
            operation: pick(["create", "update", "upsert", "delete"], 0.7),
            module: pick(["Contacts"], 0.6),
            moduleType: rnd() < 0.6 ? "str" : typed(),
            duplicateCheckFields: pick(["Email", "", "Email,Last_Name"]),
            trigger: pick([undefined, [], ["workflow"], ["workflow", "approval"]]),
          };
      // A flow holds what JSON holds (a saved flow is JSON).
      // (Node-RED drops __proto__ keys when it loads a flow, so they are left out here too.)
      const text = JSON.stringify(def, (k, v) => (typeof v === "bigint" || typeof v === "symbol" ? String(typeof v) : typeof v === "string" && v.length > 5000 ? "big" : v));
      const json = JSON.parse(text, (k, v) => (k === "__proto__" ? undefined : v));
      defs.push({ id: `n${i}`, name: "", ...json });
    }
    const t = await loadNodes(sim, defs, { conn: { concurrency: 4 } });
    const calls = watchCalls(t.conn.getClient());
    const results = await Promise.all(defs.map((d) => t.run(d.id, { payload: d.type === "zoho-crm-write" ? { Last_Name: "cfg", Email: `cfg.${d.id}@example.com` } : "go" })));
    results.length.should.equal(60);
    for (const times of t.finished.values()) times.should.equal(1);
    t.finished.size.should.equal(60);
    assertCallsSafe(calls);
    assertRequestsSafe(sim.requests.filter((r) => r.path.startsWith("/crm/")));
    for (const d of defs) for (const m of t.seen[d.id].caught) assertClearError(m);
  });

  it("malformed connection settings: a clear error, and credentials only ever go to the simulator or a Zoho accounts server", async () => {
    const rnd = prng(SEED + 4);
    const token = sim.issueRefreshToken(CLIENT_ID);
    const flow = [{ id: "tab", type: "tab" }];
    const credentials = {};
    const urls = [sim.url, sim.url + "/", "", " ", "javascript:alert(1)", "http://user:pw@127.0.0.1:1", "ftp://127.0.0.1", "http://127.0.0.1:1", "127.0.0.1", "//127.0.0.1", `${sim.url}?x=1`, "https://accounts.zoho.eu"];
    for (let i = 0; i < 30; i++) {
      const secretish = () => rnd.pick([CLIENT_SECRET, "", 42, null, { nested: true }, ["a"], "x".repeat(5000), "${NO_SUCH_VAR}"]);
      flow.push({
        id: `c${i}`,
        type: "zoho-config",
        name: "",
        dataCenter: rnd() < 0.5 ? rnd.pick(["us", "eu", "in", "au", "cn", "jp", "ca", "sa"]) : rnd.pick(["", "xx", "__proto__", 7, null, "constructor"]),
        environment: rnd() < 0.5 ? rnd.pick(["production", "sandbox", "developer"]) : rnd.pick(["", "prod", 1, null]),
        accountsUrl: rnd() < 0.4 ? sim.url : rnd.pick(urls),
        concurrency: rnd.pick([5, "5", -1, 0, 1e9, "many", null, 2.5, [], {}]),
      });
      credentials[`c${i}`] = { clientId: rnd() < 0.6 ? CLIENT_ID : secretish(), clientSecret: rnd() < 0.6 ? CLIENT_SECRET : secretish(), refreshToken: rnd() < 0.6 ? token : secretish() };
      flow.push({ id: `r${i}`, type: "zoho-crm-read", z: "tab", connection: `c${i}`, operation: "list", module: "Leads", moduleType: "str", fields: "Last_Name", fieldsType: "str", maxRecords: "1", output: "array", wires: [["sink"]] });
    }
    flow.push({ id: "sink", type: "helper", z: "tab" });
    flow.push({ id: "ctch", type: "catch", z: "tab", scope: null, uncaught: false, wires: [["caught"]] });
    flow.push({ id: "caught", type: "helper", z: "tab" });
    flow.push({ id: "cmpl", type: "complete", z: "tab", scope: flow.filter((n) => n.type === "zoho-crm-read").map((n) => n.id), wires: [["completed"]] });
    flow.push({ id: "completed", type: "helper", z: "tab" });
    const proxiedBefore = proxy.seen.length;
    await loadOnce(flow, [configNode, readNode, writeNode], credentials);
    const ended = new Map();
    const note = (m) => ended.set(m._msgid, (ended.get(m._msgid) || 0) + 1);
    helper.getNode("caught").on("input", (m) => {
      note(m);
      assertClearError(m);
    });
    helper.getNode("completed").on("input", note);
    for (let i = 0; i < 30; i++) helper.getNode(`r${i}`).receive({ payload: i, _msgid: `cfg-${i}` });
    await waitFor(() => ended.size >= 30, { timeout: 20000, what: "all 30 reads to finish (Complete or Catch)" });
    await turns(); // a second finish of the same message would be delivered by now
    ended.size.should.equal(30);
    for (const times of ended.values()) times.should.equal(1);
    // Anything not for the simulator went (through the recording proxy) to an official accounts server.
    for (const p of proxy.seen.slice(proxiedBefore)) {
      p.method.should.equal("CONNECT", `plain-HTTP request leaving the loopback: ${p.url}`);
      p.url.should.match(ZOHO_ACCOUNTS);
    }
  });

  it("admin routes: 300 malformed calls answer 4xx/2xx JSON without secrets, never 500, nothing unsafe sent", async () => {
    const rnd = prng(SEED + 5);
    const t = await loadNodes(sim, [], { conn: {} });
    const stored = helper.credentials.get("conn");
    const secrets = [CLIENT_SECRET, stored.refreshToken];
    const ids = ["conn", "nope", "..", "%2e%2e", "conn%2F..%2F", "a".repeat(70), "__proto__", "constructor", "conn%00", "c%20onn", encodeURIComponent("//evil")];
    let statuses = {};
    const requestsBefore = sim.requests.length;
    const proxiedBefore = proxy.seen.length;
    for (let i = 0; i < 300; i++) {
      const id = rnd() < 0.5 ? "conn" : rnd.pick(ids);
      const kind = rnd.pick(["modules", "fields", "test", "refresh"]);
      const q = (v) => {
        try {
          return encodeURIComponent(String(v).slice(0, 3000));
        } catch {
          return "x"; // symbols, objects whose toString throws
        }
      };
      let res;
      if (kind === "modules") {
        res = await helper.request().get(`/zoho-config/${id}/modules?refresh=${q(anything(rnd))}&accountsUrl=${q(evil.url)}`);
      } else if (kind === "fields") {
        const module = rnd() < 0.4 ? "Leads" : anything(rnd);
        const before = sim.count({ path: "/crm/v8/settings/fields" });
        const extra = rnd() < 0.2 ? `&module=${q(anything(rnd))}` : "";
        res = await helper.request().get(`/zoho-config/${id}/fields?module=${q(module)}${extra}&apiDomain=${q(evil.url)}`);
        if (!isModule(decodeURIComponent(q(module))) || extra) sim.count({ path: "/crm/v8/settings/fields" }).should.equal(before);
      } else {
        const body = rnd.pick([
          () => ({}),
          () => ({ clientId: anything(rnd), clientSecret: rnd.pick(["__PWRD__", anything(rnd)]), grantToken: anything(rnd), dataCenter: anything(rnd), environment: anything(rnd), accountsUrl: rnd.pick([sim.url, "javascript:x", "http://user:pw@127.0.0.1:1", "ftp://x", "http://127.0.0.1:1", anything(rnd)]) }),
          () => ({ grantToken: sim.issueGrantToken(CLIENT_ID), clientSecret: "__PWRD__", accountsUrl: sim.url, dataCenter: anything(rnd) }),
          () => JSON.parse('{"__proto__": {"polluted": 1}, "grantToken": "x"}'),
          () => deep(500, "x"),
          () => [1, 2],
        ])();
        let text;
        try {
          text = JSON.stringify(body, (k, v) => (typeof v === "bigint" || typeof v === "symbol" || typeof v === "function" ? String(typeof v) : v));
        } catch {
          text = "{}";
        }
        const route = kind === "test" ? "test" : "refresh-token";
        const ct = rnd() < 0.9 ? "application/json" : rnd.pick(["text/plain", "application/x-www-form-urlencoded"]);
        res = await helper.request().post(`/zoho-config/${id}/${route}`).set("Content-Type", ct).send(text ?? "null");
      }
      statuses[res.status] = (statuses[res.status] || 0) + 1;
      res.status.should.not.equal(500, `${kind} ${id}: ${JSON.stringify(res.body).slice(0, 200)}`);
      [200, 400, 401, 404, 413, 415, 429, 502].should.containEql(res.status);
      const text = res.text || "";
      for (const s of secrets) text.should.not.containEql(s);
      text.should.not.match(/1000\.[0-9a-f]{20,}/); // no access or refresh token shape
    }
    statuses["200"].should.be.above(20);
    // Ids that name Object.prototype members are refused: "__proto__" would replace the credential store's prototype.
    for (const id of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const res = await helper
        .request()
        .post(`/zoho-config/${id}/refresh-token`)
        .set("Content-Type", "application/json")
        .send(JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID), accountsUrl: sim.url }));
      res.status.should.equal(400);
      res.body.error.should.equal("invalid_id");
      (await helper.request().get(`/zoho-config/${id}/modules`)).status.should.equal(400);
    }
    should(helper.credentials.get("refreshToken")).be.undefined();
    should(helper.credentials.get("nonexistent-node")).be.undefined();
    assertRequestsSafe(sim.requests.slice(requestsBefore).filter((r) => r.path.startsWith("/crm/")));
    for (const p of proxy.seen.slice(proxiedBefore)) p.url.should.match(ZOHO_ACCOUNTS);
  });

  describe("injection attempts reach Zoho as plain values", function () {
    const { bindCoqlParams, coqlLiteral, buildCriteria } = require("../dist/nodes/zoho");

    it("placeholders are replaced outside quoted text only, values become literals, and what cannot be a literal is refused", () => {
      bindCoqlParams("select a from Leads where b = ':x' and c = :x and d in :list and e = :n and f = :flag and g = :none", {
        x: "o'b",
        list: ["p", 2, true],
        n: -1.5,
        flag: false,
        none: null,
      }).should.equal("select a from Leads where b = ':x' and c = 'o''b' and d in ('p', 2, true) and e = -1.5 and f = false and g = null");
      bindCoqlParams("where x = 'it''s :x' and y = :x", { x: "1" }).should.equal("where x = 'it''s :x' and y = '1'");
      coqlLiteral(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))).should.equal("'2024-01-02T03:04:05+00:00'");
      for (const bad of [{}, [], [[1]], NaN, Infinity, undefined, Symbol("s"), () => 1, new Map(), Array.from({ length: 101 }, (_, i) => i)]) {
        (() => coqlLiteral(bad)).should.throw(/INVALID_INPUT/);
      }
      for (const params of [null, "x", [1], new Map([["x", 1]])]) (() => bindCoqlParams("where a = :x", params)).should.throw(/INVALID_INPUT/);
      (() => bindCoqlParams("where a = :constructor", {})).should.throw(/no value/);
      (() => bindCoqlParams("where a = :toString", { x: 1 })).should.throw(/no value/);
      for (const bad of [{ A: {} }, { A: [] }, { A: null }, { A: NaN }, { __proto__: null, constructor: "x" }, [["A", "equals", { x: 1 }]], [["A", { op: 1 }, "x"]], [{ field: "A", operator: 7, value: "x" }]]) {
        (() => buildCriteria(bad)).should.throw(/INVALID_INPUT/);
      }
      buildCriteria({ A: "x)or(B:equals:y" }).should.equal("(A:equals:x\\)or\\(B:equals:y)");
    });

    it("criteria values with ) ( , and \\ match only the record that holds them", async () => {
      const t = await loadNodes(sim, [{ id: "s", type: "zoho-crm-read", operation: "search", searchBy: "criteria", searchValue: "search", searchValueType: "msg", module: "Accounts", moduleType: "str", fields: "Account_Name", fieldsType: "str", output: "array" }]);
      for (const name of INJECTIONS.filter((n) => !/[\r\n\u0000]/.test(n))) {
        const seen = await t.run("s", { search: { Account_Name: `acct ${name}` } });
        seen.caught.slice(-1)[0]?._msgid.should.not.equal(seen.completed.slice(-1)[0]?._msgid);
        const found = seen.out[0].slice(-1)[0].payload.map((r) => r.Account_Name);
        found.should.containEql(`acct ${name}`, `searching for "${name}"`);
        found.forEach((f) => f.toLowerCase().should.containEql(`acct ${name}`.toLowerCase()));
      }
      const sent = sim.requests.filter((r) => r.path === "/crm/v8/Accounts/search").map((r) => r.query.criteria);
      sent.should.containEql("(Account_Name:equals:acct x\\)or\\(id:greater_than:0)");
    });

    it("COQL values given in msg.queryParams are quoted, so they cannot change the query", async () => {
      const names = ["qp o'brien", "qp x' or Last_Name is not null or Last_Name = 'y", "qp back\\slash", "qp semi; colon", "qp :v", "qp '", "qp ''"];
      sim.seedRecords("Leads", names.map((n) => ({ Last_Name: n })));
      const t = await loadNodes(sim, [{ id: "q", type: "zoho-crm-read", operation: "coql", query: "query", queryType: "msg", output: "array" }]);
      for (const name of names) {
        const seen = await t.run("q", { query: "select Last_Name from Leads where Last_Name = :name", queryParams: { name } });
        seen.out[0].slice(-1)[0].payload.map((r) => r.Last_Name).should.eql([name]);
      }
      const list = await t.run("q", { query: "select Last_Name from Leads where Last_Name in :names order by id", queryParams: { names: names.slice(0, 3) } });
      list.out[0].slice(-1)[0].payload.map((r) => r.Last_Name).sort().should.eql(names.slice(0, 3).sort());
      // The same value pasted into the text would have changed the query: the oracle can tell.
      const pasted = await t.run("q", { query: `select Last_Name from Leads where Last_Name = '${names[1]}'` });
      pasted.out[0].slice(-1)[0].payload.length.should.be.above(1);
      // Bad parameters are refused before anything is sent.
      const before = sim.count({ path: "/crm/v8/coql" });
      for (const queryParams of [{}, { name: { a: 1 } }, { name: [] }, "text", [1], JSON.parse('{"__proto__": {"name": "x"}}'), { constructor: "x" }]) {
        const seen = await t.run("q", { query: "select Last_Name from Leads where Last_Name = :name or Last_Name = :constructor", queryParams });
        seen.caught.slice(-1)[0].error.code.should.equal("INVALID_INPUT");
      }
      sim.count({ path: "/crm/v8/coql" }).should.equal(before);
    });
  });
});
