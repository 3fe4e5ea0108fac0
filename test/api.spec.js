// Any Zoho API with the client (zoho/api.ts) against the simulator: CRM and Desk calls, paging,
// files both ways, retry policy by method, scope hints, and every way a request could try to leave
// the connection's hosts — checked against a second loopback server that must receive nothing.
"use strict";
const should = require("should");
const http = require("http");
const { startSimulator, simClient, rejection, CLIENT_ID } = require("./fixtures");
const { callApi, fillPath, apiHeaders } = require("../dist/nodes/zoho");
const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");

const ALL_SCOPES = `${DEFAULT_SCOPE} Desk.tickets.ALL Desk.basic.READ`;

/** A loopback server that records every request it gets (it must get none). */
async function trap() {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push({ method: req.method, url: req.url, headers: req.headers });
    res.end("{}");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { hits, host: `127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

describe("api: any Zoho API with the connection", function () {
  let sim, client, evil;
  before(async () => {
    ({ sim } = await startSimulator());
    evil = await trap();
  });
  after(async () => {
    await sim.stop();
    await evil.close();
  });
  const crm = () => sim.requests.filter((r) => !r.path.startsWith("/oauth/"));
  beforeEach(() => {
    sim.requests = [];
    sim.clearFaults();
    client = simClient(sim, sim.issueRefreshToken(CLIENT_ID, ALL_SCOPES));
  });

  it("calls a CRM path below the API domain and returns status, headers and parsed JSON", async () => {
    const r = await callApi(client, { service: "crm", method: "GET", path: "/crm/v8/org" });
    r.statusCode.should.equal(200);
    r.payload.org[0].should.have.property("company_name");
    r.headers.should.have.property("content-type");
    crm()[0].path.should.equal("/crm/v8/org");
  });

  it("sends msg.query as the query string and msg.payload as the JSON body", async () => {
    const r = await callApi(client, { service: "crm", method: "POST", path: "/crm/v8/Leads", body: { data: [{ Last_Name: "Api" }] } });
    r.statusCode.should.equal(201);
    r.payload.data[0].code.should.equal("SUCCESS");
    const q = await callApi(client, { service: "crm", method: "GET", path: "/crm/v8/Leads", query: { fields: ["Last_Name", "Email"], per_page: 5 } });
    q.payload.data.should.have.length(1);
    crm()[1].query.should.match({ fields: "Last_Name,Email", per_page: "5" });
  });

  it("paginate: every item across Zoho's pages (page, then page_token), one array", async () => {
    sim.seedRecords("Contacts", 2150);
    const r = await callApi(client, { service: "crm", method: "GET", path: "/crm/v8/Contacts", query: { fields: "Last_Name" }, paginate: true });
    r.payload.should.have.length(2150);
    new Set(r.payload.map((x) => x.id)).size.should.equal(2150);
    const calls = sim.requests.filter((x) => x.path === "/crm/v8/Contacts");
    calls.should.have.length(11);
    calls.filter((x) => x.query.page_token).should.have.length(1);
  });

  it("GET is retried like a read; POST is never re-sent after a 500", async () => {
    sim.inject({ match: { method: "GET", path: "/crm/v8/org" }, status: 500, times: 1 });
    (await callApi(client, { service: "crm", method: "GET", path: "/crm/v8/org" })).statusCode.should.equal(200);
    sim.count({ path: "/crm/v8/org" }).should.equal(2);
    sim.inject({ match: { method: "POST", path: "/crm/v8/Leads" }, status: 500, times: 1 });
    const err = await rejection(callApi(client, { service: "crm", method: "POST", path: "/crm/v8/Leads", body: { data: [{ Last_Name: "Once" }] } }));
    err.code.should.equal("INTERNAL_ERROR");
    sim.count({ method: "POST", path: "/crm/v8/Leads" }).should.equal(1);
  });

  it("Zoho's errors come with their code; a missing scope says which scope to add", async () => {
    const narrow = simClient(sim, sim.issueRefreshToken(CLIENT_ID, "ZohoCRM.modules.ALL"));
    const err = await rejection(callApi(narrow, { service: "crm", method: "GET", path: "/crm/v8/org" }));
    err.code.should.equal("OAUTH_SCOPE_MISMATCH");
    err.message.should.match(/ZohoCRM\.org\.READ/);
    const bad = await rejection(callApi(client, { service: "crm", method: "GET", path: "/crm/v8/NoSuchModule" }));
    bad.code.should.equal("INVALID_MODULE");
  });

  it("refuses every way out of the connection's hosts before anything is sent", async () => {
    const attempts = [
      { path: `//${evil.host}/x` },
      { path: `https://${evil.host}/x` },
      { path: `http://${evil.host}/x` },
      { path: `/crm/v8/../../x` },
      { path: `/crm/v8/%2e%2e/%2e%2e/x` },
      { path: `/crm/v8/x%2F..%2F..` },
      { path: `/crm/v8/Leads?x=1` },
      { path: `@${evil.host}/x` },
      { path: `/crm/v8/Leads`, headers: { Authorization: "Zoho-oauthtoken stolen" } },
      { path: `/crm/v8/Leads`, headers: { host: evil.host } },
      { path: `/crm/v8/Leads`, headers: { "X-Evil": "a\r\nHost: evil" } },
      { path: `/crm/v8/Leads`, service: "desk", orgId: `1/../${evil.host}` },
    ];
    for (const a of attempts) {
      const err = await rejection(callApi(client, { service: a.service ?? "crm", method: "GET", path: a.path, headers: a.headers, orgId: a.orgId }));
      err.code.should.equal("INVALID_INPUT", JSON.stringify(a));
    }
    evil.hits.should.eql([]);
    sim.requests.filter((r) => r.path.startsWith("/crm/") || r.path.startsWith("/api/")).should.eql([]);
  });

  it("fills {{name}} placeholders URL-encoded, and refuses objects", () => {
    const msg = { payload: { id: "123" }, name: "a b/c" };
    const get = (n) => n.split(".").reduce((o, k) => (o == null ? undefined : o[k]), msg);
    fillPath("/crm/v8/Leads/{{payload.id}}/Notes", get).should.equal("/crm/v8/Leads/123/Notes");
    fillPath("/x/{{name}}", get).should.equal("/x/a%20b%2Fc");
    (() => fillPath("/x/{{payload}}", get)).should.throw(/INVALID_INPUT/);
    (() => fillPath("/x/{{missing}}", get)).should.throw(/INVALID_INPUT/);
    apiHeaders({ "X-Custom": 1 }).should.eql({ "X-Custom": "1" });
  });

  it("uploads a file as multipart/form-data and downloads it back as a Buffer with its content type", async () => {
    const [lead] = sim.seedRecords("Leads", 1);
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10, 0x80]);
    const up = await callApi(client, {
      service: "crm",
      method: "POST",
      path: `/crm/v8/Leads/${lead.id}/Attachments`,
      headers: { "content-type": "multipart/form-data" },
      body: { file: { value: bytes, options: { filename: "quote.pdf", contentType: "application/pdf" } } },
    });
    up.statusCode.should.equal(200);
    const attachmentId = up.payload.data[0].details.id;
    const down = await callApi(client, { service: "crm", method: "GET", path: `/crm/v8/Leads/${lead.id}/Attachments/${attachmentId}` });
    Buffer.isBuffer(down.payload).should.be.true();
    down.payload.equals(bytes).should.be.true();
    down.headers["content-type"].should.match(/application\/pdf/);
  });

  it("adds a note under a record", async () => {
    const [lead] = sim.seedRecords("Leads", 1);
    const r = await callApi(client, { service: "crm", method: "POST", path: `/crm/v8/Leads/${lead.id}/Notes`, body: { data: [{ Note_Title: "Hi", Note_Content: "Call back" }] } });
    r.statusCode.should.equal(201);
    const notes = await callApi(client, { service: "crm", method: "GET", path: `/crm/v8/Leads/${lead.id}/Notes`, query: { fields: "Note_Title,Note_Content" }, paginate: true });
    notes.payload.map((n) => n.Note_Title).should.eql(["Hi"]);
  });

  it("Zoho Desk: organizations without an org id; tickets paged by from/limit with one; errors with Desk's code", async () => {
    sim.desk.seedTickets(250);
    const orgs = await callApi(client, { service: "desk", method: "GET", path: "/organizations" });
    const orgId = orgs.payload.data.find((o) => o.isDefault).id;
    sim.requests = [];
    const open = await callApi(client, { service: "desk", method: "GET", path: "/tickets", query: { status: "Open" }, orgId, paginate: true });
    const expected = sim.desk.tickets(orgId).filter((t) => t.status === "Open").length;
    open.payload.should.have.length(expected);
    new Set(open.payload.map((t) => t.id)).size.should.equal(expected);
    const calls = sim.requests.filter((r) => r.path === "/api/v1/tickets");
    calls.length.should.equal(Math.floor(expected / 100) + 1);
    calls.map((r) => r.query.from).should.eql(calls.map((_, i) => String(i * 100 + 1)));
    calls.every((r) => r.headers.orgid === String(orgId) && r.query.limit === "100").should.be.true();
    const noOrg = await rejection(callApi(client, { service: "desk", method: "GET", path: "/tickets" }));
    noOrg.code.should.equal("INVALID_DATA");
    const crmOnly = simClient(sim, sim.issueRefreshToken(CLIENT_ID));
    const scope = await rejection(callApi(crmOnly, { service: "desk", method: "GET", path: "/tickets", orgId }));
    scope.message.should.match(/Desk\.tickets/);
  });
});
