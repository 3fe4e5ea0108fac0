"use strict";
// Tests for the Zoho simulator (dist/simulator). Run: npm run build && npx mocha test/simulator.spec.js
const should = require("should");
const { ZohoSimulator } = require("../dist/simulator");

const CLIENT = "client-1";
const SECRET = "secret-1";

function form(params) {
  return { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params).toString() };
}

async function json(res) {
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

describe("Zoho simulator", function () {
  this.timeout(15000);
  let sim;
  let url;
  let H; // auth headers

  async function token(sim, scope) {
    const code = sim.issueGrantToken(CLIENT, scope ? { scope } : undefined);
    const res = await fetch(`${sim.url}/oauth/v2/token`, form({ grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code }));
    return json(res);
  }

  async function get(path, headers = H) {
    const res = await fetch(url + path, { headers });
    return { status: res.status, headers: res.headers, body: await json(res) };
  }

  async function send(method, path, body, headers = H) {
    const res = await fetch(url + path, {
      method,
      headers: { ...headers, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await json(res) };
  }

  const coql = (q) => send("POST", "/crm/v8/coql", { select_query: q });

  before(async function () {
    sim = new ZohoSimulator();
    sim.addClient(CLIENT, SECRET);
    url = await sim.start();
    const t = await token(sim);
    H = { Authorization: `Zoho-oauthtoken ${t.access_token}` };
  });

  after(async function () {
    await sim.stop();
  });

  beforeEach(function () {
    sim.clearRecords();
    sim.clearFaults();
    sim.setLatency(0);
  });

  // ------------------------------------------------------------------------------------------
  describe("OAuth token endpoint", function () {
    it("exchanges a grant token (S1 shape) and the grant is single-use", async function () {
      const code = sim.issueGrantToken(CLIENT, { scope: "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL" });
      const params = { grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code, redirect_uri: "http://ignored" };
      const res = await fetch(`${url}/oauth/v2/token`, form(params));
      res.status.should.equal(200);
      const body = await json(res);
      body.should.have.keys("access_token", "refresh_token", "scope", "api_domain", "token_type", "expires_in");
      body.access_token.should.match(/^1000\.[0-9a-f]+\.[0-9a-f]+$/);
      body.scope.should.equal("ZohoCRM.modules.ALL ZohoCRM.settings.ALL");
      body.api_domain.should.equal(url);
      body.token_type.should.equal("Bearer");
      body.expires_in.should.equal(3600);
      const again = await fetch(`${url}/oauth/v2/token`, form(params));
      again.status.should.equal(200);
      (await json(again)).should.eql({ error: "invalid_code" });
    });

    it("accepts the parameters in the query string", async function () {
      const code = sim.issueGrantToken(CLIENT);
      const qs = new URLSearchParams({ grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code });
      const res = await fetch(`${url}/oauth/v2/token?${qs}`, { method: "POST" });
      (await json(res)).should.have.property("refresh_token");
    });

    it("answers errors with HTTP 200: invalid_code, invalid_client, invalid_client_secret", async function () {
      const cases = [
        [{ grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code: "1000.nope.nope" }, "invalid_code"],
        [{ grant_type: "authorization_code", client_id: "who", client_secret: SECRET, code: "x" }, "invalid_client"],
        [{ grant_type: "authorization_code", client_id: CLIENT, client_secret: "bad", code: sim.issueGrantToken(CLIENT) }, "invalid_client_secret"],
        [{ grant_type: "refresh_token", client_id: CLIENT, client_secret: SECRET, refresh_token: "1000.unknown.x" }, "invalid_code"],
      ];
      for (const [params, error] of cases) {
        const res = await fetch(`${url}/oauth/v2/token`, form(params));
        res.status.should.equal(200);
        (await json(res)).should.eql({ error });
      }
    });

    it("expires grant tokens", async function () {
      const code = sim.issueGrantToken(CLIENT, { ttlMs: 1 });
      await new Promise((r) => setTimeout(r, 10));
      const res = await fetch(`${url}/oauth/v2/token`, form({ grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code }));
      (await json(res)).should.eql({ error: "invalid_code" });
    });

    it("refreshes (S2 shape + scope), counts refreshes, and revoked refresh tokens answer invalid_code", async function () {
      const rt = sim.issueRefreshToken(CLIENT, "ZohoCRM.modules.leads.READ");
      const before = sim.tokenRefreshCount;
      const res = await fetch(`${url}/oauth/v2/token`, form({ grant_type: "refresh_token", client_id: CLIENT, client_secret: SECRET, refresh_token: rt }));
      const body = await json(res);
      body.should.have.keys("access_token", "expires_in", "api_domain", "token_type", "scope");
      body.should.not.have.property("refresh_token");
      body.scope.should.equal("ZohoCRM.modules.leads.READ");
      sim.tokenRefreshCount.should.equal(before + 1);
      const ok = await get("/crm/v8/Leads?fields=Last_Name", { Authorization: `Zoho-oauthtoken ${body.access_token}` });
      ok.status.should.equal(204);
      const rv = await fetch(`${url}/oauth/v2/token/revoke?token=${rt}`, { method: "POST" });
      (await json(rv)).should.eql({ status: "success" });
      const after = await get("/crm/v8/Leads?fields=Last_Name", { Authorization: `Zoho-oauthtoken ${body.access_token}` });
      after.status.should.equal(401);
      after.body.code.should.equal("INVALID_TOKEN");
      const again = await fetch(`${url}/oauth/v2/token`, form({ grant_type: "refresh_token", client_id: CLIENT, client_secret: SECRET, refresh_token: rt }));
      (await json(again)).should.eql({ error: "invalid_code" });
      const bad = await fetch(`${url}/oauth/v2/token/revoke?token=nope`, { method: "POST" });
      bad.status.should.equal(400);
    });

    it("throttles more than 10 access tokens per refresh token in 10 minutes (HTTP 400 Access Denied)", async function () {
      const rt = sim.issueRefreshToken(CLIENT);
      const p = { grant_type: "refresh_token", client_id: CLIENT, client_secret: SECRET, refresh_token: rt };
      for (let i = 0; i < 10; i++) (await json(await fetch(`${url}/oauth/v2/token`, form(p)))).should.have.property("access_token");
      const res = await fetch(`${url}/oauth/v2/token`, form(p));
      res.status.should.equal(400);
      (await json(res)).should.eql({
        error_description: "You have made too many requests continuously. Please try again after some time.",
        error: "Access Denied",
        status: "failure",
      });
    });

    it("tokenThrottle fault answers the throttle body on the token endpoint", async function () {
      sim.inject({ tokenThrottle: true });
      const rt = sim.issueRefreshToken(CLIENT);
      const res = await fetch(`${url}/oauth/v2/token`, form({ grant_type: "refresh_token", client_id: CLIENT, client_secret: SECRET, refresh_token: rt }));
      res.status.should.equal(400);
      (await json(res)).error.should.equal("Access Denied");
    });

    it("expireAccessTokens() and short TTLs make CRM calls answer 401 INVALID_TOKEN", async function () {
      const s2 = new ZohoSimulator({ accessTokenTtlSeconds: 1, seedDemo: true });
      s2.addClient(CLIENT, SECRET);
      await s2.start();
      try {
        const t = await token(s2);
        t.expires_in.should.equal(1);
        const h = { Authorization: `Zoho-oauthtoken ${t.access_token}` };
        (await fetch(`${s2.url}/crm/v8/org`, { headers: h })).status.should.equal(200);
        s2.expireAccessTokens();
        const res = await fetch(`${s2.url}/crm/v8/org`, { headers: h });
        res.status.should.equal(401);
        (await json(res)).should.eql({ code: "INVALID_TOKEN", details: {}, message: "invalid oauth token", status: "error" });
      } finally {
        await s2.stop();
      }
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("auth and errors", function () {
    it("AUTHENTICATION_FAILURE, OAUTH_SCOPE_MISMATCH, INVALID_MODULE, INVALID_URL_PATTERN", async function () {
      let r = await get("/crm/v8/Leads?fields=Last_Name", {});
      r.status.should.equal(401);
      r.body.code.should.equal("AUTHENTICATION_FAILURE");
      r = await get("/crm/v8/Leads?fields=Last_Name", { Authorization: "Bearer abc" });
      r.body.code.should.equal("AUTHENTICATION_FAILURE");
      const t = await token(sim, "ZohoCRM.modules.contacts.READ");
      const h = { Authorization: `Zoho-oauthtoken ${t.access_token}` };
      r = await get("/crm/v8/Leads?fields=Last_Name", h);
      r.status.should.equal(401);
      r.body.should.eql({ code: "OAUTH_SCOPE_MISMATCH", details: {}, message: "invalid oauth scope to access this URL", status: "error" });
      (await get("/crm/v8/Contacts?fields=Last_Name", h)).status.should.equal(204);
      (await get("/crm/v8/settings/modules", h)).status.should.equal(401);
      r = await get("/crm/v8/Nope?fields=Last_Name");
      r.status.should.equal(400);
      r.body.should.eql({ code: "INVALID_MODULE", details: { resource_path_index: 0 }, message: "the module name given seems to be invalid", status: "error" });
      (await get("/crm/v8/Home?fields=Name")).body.code.should.equal("INVALID_MODULE");
      r = await get("/crm/v2/Leads");
      r.status.should.equal(404);
      r.body.code.should.equal("INVALID_URL_PATTERN");
    });

    it("search needs ZohoSearch.securesearch.READ", async function () {
      const t = await token(sim, "ZohoCRM.modules.ALL");
      const r = await get("/crm/v8/Leads/search?word=abc", { Authorization: `Zoho-oauthtoken ${t.access_token}` });
      r.status.should.equal(401);
      r.body.code.should.equal("OAUTH_SCOPE_MISMATCH");
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("metadata", function () {
    it("lists modules, fields (Leads has > 50), org and current user", async function () {
      let r = await get("/crm/v8/settings/modules");
      const names = r.body.modules.map((m) => m.api_name);
      names.should.containDeep(["Leads", "Contacts", "Accounts", "Deals", "Projects", "Home"]);
      const home = r.body.modules.find((m) => m.api_name === "Home");
      home.api_supported.should.be.false();
      r.body.modules.find((m) => m.api_name === "Projects").generated_type.should.equal("custom");
      r = await get("/crm/v8/settings/fields?module=Leads");
      r.body.fields.length.should.be.above(50);
      const email = r.body.fields.find((f) => f.api_name === "Email");
      email.should.have.properties({ data_type: "email", json_type: "string", unique: { casesensitive: "0" } });
      r.body.fields.find((f) => f.api_name === "Last_Name").system_mandatory.should.be.true();
      (await get("/crm/v8/settings/fields")).body.code.should.equal("REQUIRED_PARAM_MISSING");
      (await get("/crm/v8/settings/fields?module=Nope")).body.code.should.equal("INVALID_MODULE");
      r = await get("/crm/v8/org");
      r.body.org[0].should.have.properties({ company_name: "Zylker (simulated)", type: "production" });
      r.body.org[0].license_details.paid_type.should.equal("enterprise");
      r = await get("/crm/v8/users?type=CurrentUser");
      r.body.users[0].status.should.equal("active");
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("Get Records", function () {
    it("requires fields, caps them at 50, rejects unknown fields, 204 when empty", async function () {
      let r = await get("/crm/v8/Leads");
      r.status.should.equal(400);
      r.body.should.eql({ code: "REQUIRED_PARAM_MISSING", details: { param_name: "fields" }, message: "One of the expected parameter is missing", status: "error" });
      const f = await get("/crm/v8/settings/fields?module=Leads");
      const all = f.body.fields.map((x) => x.api_name);
      r = await get(`/crm/v8/Leads?fields=${all.slice(0, 51).join(",")}`);
      r.body.code.should.equal("LIMIT_EXCEEDED");
      r = await get("/crm/v8/Leads?fields=Last_Name,Bogus");
      r.body.code.should.equal("INVALID_DATA");
      const res = await fetch(`${url}/crm/v8/Leads?fields=Last_Name`, { headers: H });
      res.status.should.equal(204);
      should(res.headers.get("content-type")).be.null();
      (await res.text()).should.equal("");
    });

    it("returns only requested fields + id, string ids, S4 info keys", async function () {
      sim.seedRecords("Leads", 5);
      const r = await get("/crm/v8/Leads?fields=Last_Name,Email&per_page=2");
      r.status.should.equal(200);
      r.body.data.length.should.equal(2);
      Object.keys(r.body.data[0]).sort().should.eql(["Email", "Last_Name", "id"]);
      r.body.data[0].id.should.be.a.String().and.match(/^\d{19}$/);
      r.body.info.should.have.keys("call", "per_page", "next_page_token", "count", "sort_by", "page", "previous_page_token", "page_token_expiry", "sort_order", "email", "more_records");
      r.body.info.should.have.properties({ per_page: 2, count: 2, page: 1, sort_by: "id", sort_order: "desc", more_records: true });
      // default order: id desc
      (r.body.data[0].id > r.body.data[1].id).should.be.true();
      const one = await get(`/crm/v8/Leads/${r.body.data[0].id}`);
      one.body.data[0].should.have.properties("Owner", "Created_Time", "Lead_Source");
      (await get("/crm/v8/Leads/1234567890123456789")).body.should.eql({ code: "INVALID_DATA", details: { id: "1234567890123456789" }, message: "the id given seems to be invalid", status: "error" });
      (await get("/crm/v8/Leads/actions/count")).body.should.eql({ count: 5 });
    });

    it("pages 1..10 with page, then page_token past 2,000 (2,500 records), no duplicates", async function () {
      sim.seedRecords("Leads", 2500);
      const seen = new Set();
      let info;
      for (let page = 1; page <= 10; page++) {
        const r = await get(`/crm/v8/Leads?fields=Email&per_page=200&page=${page}`);
        r.body.data.forEach((d) => seen.add(d.id));
        info = r.body.info;
        info.page.should.equal(page);
        should(info.next_page_token).be.a.String();
      }
      const r11 = await get("/crm/v8/Leads?fields=Email&per_page=200&page=11");
      r11.status.should.equal(400);
      r11.body.code.should.equal("DISCRETE_PAGINATION_LIMIT_EXCEEDED");
      (await get(`/crm/v8/Leads?fields=Email&page=2&page_token=${info.next_page_token}`)).body.code.should.equal("AMBIGUITY_DURING_PROCESSING");
      (await get(`/crm/v8/Leads?fields=Email,Last_Name&page_token=${info.next_page_token}`)).body.code.should.equal("TOKEN_BOUND_DATA_MISMATCH");
      (await get(`/crm/v8/Leads?fields=Email&page_token=abcdef0123456789abcdef`)).body.code.should.equal("INVALID_DATA");
      let token = info.next_page_token;
      let calls = 0;
      while (token) {
        const r = await get(`/crm/v8/Leads?fields=Email&per_page=200&page_token=${token}`);
        r.status.should.equal(200);
        r.body.data.forEach((d) => seen.add(d.id));
        token = r.body.info.more_records ? r.body.info.next_page_token : null;
        calls++;
      }
      calls.should.equal(3);
      seen.size.should.equal(2500);

      // the same walk sorted by Modified_Time ascending, tokens from the first page on: stable and complete
      const times = [];
      const ids = new Set();
      let r = await get("/crm/v8/Leads?fields=Modified_Time&per_page=200&sort_by=Modified_Time&sort_order=asc");
      for (;;) {
        r.body.info.sort_order.should.equal("asc");
        r.body.data.forEach((d) => {
          ids.add(d.id);
          times.push(Date.parse(d.Modified_Time));
        });
        if (!r.body.info.more_records) break;
        r = await get(`/crm/v8/Leads?fields=Modified_Time&per_page=200&sort_by=Modified_Time&sort_order=asc&page_token=${r.body.info.next_page_token}`);
      }
      ids.size.should.equal(2500);
      times.every((t, i) => i === 0 || t >= times[i - 1]).should.be.true();
    });

    it("sort_by / sort_order / cvid / If-Modified-Since (304)", async function () {
      sim.seedRecords("Leads", [
        { Last_Name: "Old", Modified_Time: "2020-01-01T00:00:00+05:30" },
        { Last_Name: "New", Modified_Time: "2024-06-01T10:00:00+05:30" },
      ]);
      let r = await get("/crm/v8/Leads?fields=Last_Name&sort_by=Modified_Time&sort_order=asc");
      r.body.data.map((d) => d.Last_Name).should.eql(["Old", "New"]);
      (await get("/crm/v8/Leads?fields=Last_Name&cvid=123&sort_by=id")).body.code.should.equal("AMBIGUITY_DURING_PROCESSING");
      (await get("/crm/v8/Leads?fields=Last_Name&cvid=123")).body.data.length.should.equal(2);
      r = await get("/crm/v8/Leads?fields=Last_Name", { ...H, "If-Modified-Since": "2023-01-01T00:00:00+05:30" });
      r.body.data.map((d) => d.Last_Name).should.eql(["New"]);
      r = await get("/crm/v8/Leads?fields=Last_Name", { ...H, "If-Modified-Since": "2025-01-01T00:00:00+05:30" });
      r.status.should.equal(304);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("Search", function () {
    it("parses escaped criteria, and/or, operators; 204 when nothing matches", async function () {
      sim.seedRecords("Leads", [
        { Last_Name: "Burns,B", First_Name: "Mo", Company: "A (UK) Ltd", Email: "a@x.com", No_of_Employees: 10 },
        { Last_Name: "Burns", First_Name: "Mary", Company: "Back\\slash", Email: "b@x.com", No_of_Employees: 50 },
        { Last_Name: "Smith", First_Name: "Mark", Company: "Acme", Email: "c@x.com", No_of_Employees: 500 },
      ]);
      const s = (c, extra = "") => get(`/crm/v8/Leads/search?criteria=${encodeURIComponent(c)}${extra}`);
      let r = await s("((Last_Name:equals:Burns\\,B)and(First_Name:starts_with:M))");
      r.body.data.map((d) => d.Last_Name).should.eql(["Burns,B"]);
      r.body.info.should.eql({ per_page: 200, count: 1, page: 1, more_records: false });
      r = await s("(Company:equals:A \\(UK\\))");
      r.body.data.map((d) => d.Company).should.eql(["A (UK) Ltd"]);
      r = await s("(Company:equals:Back\\\\slash)");
      r.body.data.length.should.equal(1);
      r = await s("((Last_Name:equals:Burns)or(No_of_Employees:greater_than:100))");
      r.body.data.length.should.equal(3); // equals = contains
      r = await s("(No_of_Employees:between:20,600)");
      r.body.data.length.should.equal(2);
      r = await s("(Email:in:a@x.com,c@x.com)", "&fields=Email");
      Object.keys(r.body.data[0]).sort().should.eql(["Email", "id"]);
      r = await s("(Last_Name:equals:Nobody)");
      r.status.should.equal(204);
      (await s("((Last_Name:equals:x)")).body.code.should.equal("INVALID_QUERY");
      (await s("(Nope:equals:x)")).body.code.should.equal("INVALID_QUERY");
      (await s("(Last_Name:greater_than:x)")).body.code.should.equal("INVALID_QUERY");
      (await get("/crm/v8/Leads/search?email=B@X.COM")).body.data[0].Last_Name.should.equal("Burns");
      (await get("/crm/v8/Leads/search?word=acme")).body.data[0].Last_Name.should.equal("Smith");
      (await get("/crm/v8/Leads/search?word=a")).body.code.should.equal("INVALID_DATA");
      (await get("/crm/v8/Leads/search")).body.code.should.equal("EXPECTED_PARAM_MISSING");
    });

    it("caps search at 2,000 records (LIMIT_REACHED)", async function () {
      sim.seedRecords("Leads", 2100);
      const r10 = await get("/crm/v8/Leads/search?criteria=(Last_Name:starts_with:)&word=xx&per_page=200&page=10".replace("(Last_Name:starts_with:)", encodeURIComponent("(Email:equals:@)")));
      r10.status.should.equal(200);
      r10.body.info.more_records.should.be.true();
      const r11 = await get(`/crm/v8/Leads/search?criteria=${encodeURIComponent("(Email:equals:@)")}&per_page=200&page=11`);
      r11.status.should.equal(400);
      r11.body.should.eql({ code: "LIMIT_REACHED", details: { limit: 2000 }, message: "Maximum response iteration limit reached", status: "error" });
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("COQL", function () {
    beforeEach(function () {
      sim.seedRecords("Leads", [
        { Last_Name: "Boyle", First_Name: "Patricia", Lead_Source: "Advertisement", No_of_Employees: 5 },
        { Last_Name: "Boyle", First_Name: "Steve", Lead_Source: "Advertisement", No_of_Employees: 15 },
        { Last_Name: "O'Brien", First_Name: "Kate", Lead_Source: "Chat", No_of_Employees: 25 },
        { Last_Name: "Zed", First_Name: null, Lead_Source: "Partner", No_of_Employees: 35 },
      ]);
    });

    it("where / order by / limit / offset / quoting", async function () {
      let r = await coql("select Last_Name, First_Name from Leads where ((Last_Name = 'Boyle') and (Lead_Source = Advertisement)) limit 2");
      r.status.should.equal(200);
      r.body.data.map((d) => d.First_Name).should.eql(["Patricia", "Steve"]);
      r.body.info.should.eql({ count: 2, more_records: false });
      Object.keys(r.body.data[0]).sort().should.eql(["First_Name", "Last_Name", "id"]);
      r = await coql("select Last_Name from Leads where Last_Name = 'O''Brien'");
      r.body.data[0].Last_Name.should.equal("O'Brien");
      r = await coql("select No_of_Employees from Leads where No_of_Employees >= 10 order by No_of_Employees desc limit 1 offset 1");
      r.body.data[0].No_of_Employees.should.equal(25);
      r.body.info.more_records.should.be.true();
      r = await coql("select No_of_Employees from Leads where id is not null limit 1, 2");
      r.body.data.map((d) => d.No_of_Employees).should.eql([15, 25]);
      r = await coql("select Last_Name from Leads where (Last_Name like 'b%' or First_Name is null)");
      r.body.data.length.should.equal(3);
      r = await coql("select Last_Name from Leads where Lead_Source in ('Chat', 'Partner') and No_of_Employees between 20 and 30");
      r.body.data.map((d) => d.Last_Name).should.eql(["O'Brien"]);
      r = await coql("select Last_Name, Owner, Owner.name from Leads where Last_Name = 'Zed'");
      r.body.data[0].Owner.should.eql({ id: sim.user.id });
      r.body.data[0]["Owner.name"].should.equal(sim.user.full_name);
    });

    it("errors: no where, limit > 2000, offset cap, unknown field / module, flat chains; 204 when empty", async function () {
      let r = await coql("select Last_Name from Leads");
      r.status.should.equal(400);
      r.body.code.should.equal("SYNTAX_ERROR");
      r.body.details.should.eql({ clause: "where" });
      (await coql("select Last_Name from Leads where id is not null limit 2001")).body.code.should.equal("LIMIT_EXCEEDED");
      r = await coql("select Last_Name from Leads where id is not null limit 2000 offset 99000");
      r.body.code.should.equal("LIMIT_EXCEEDED");
      r.body.message.should.equal("Max records limit exceeded");
      (await coql("select Bogus from Leads where id is not null")).body.code.should.equal("INVALID_QUERY");
      (await coql("select Last_Name from Nope where id is not null")).body.code.should.equal("INVALID_QUERY");
      (await coql("select Last_Name from Leads where Last_Name = 'a' and Last_Name = 'b' and Last_Name = 'c'")).body.code.should.equal("SYNTAX_ERROR");
      const res = await fetch(`${url}/crm/v8/coql`, { method: "POST", headers: { ...H, "content-type": "application/json" }, body: JSON.stringify({ select_query: "select Last_Name from Leads where Last_Name = 'Nobody'" }) });
      res.status.should.equal(204);
      (await res.text()).should.equal("");
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("writes", function () {
    it("insert: 201 all success (S7 shape), 207 mixed, 400 all failed", async function () {
      let r = await send("POST", "/crm/v8/Leads", { data: [{ Last_Name: "A", Email: "a@x.com", Unknown_Field: 1 }], trigger: [] });
      r.status.should.equal(201);
      const ok = r.body.data[0];
      ok.should.have.properties({ code: "SUCCESS", message: "record added", status: "success" });
      ok.details.should.have.keys("Modified_Time", "Modified_By", "Created_Time", "id", "Created_By", "$approval_state");
      ok.details.id.should.match(/^\d{19}$/);
      r = await send("POST", "/crm/v8/Leads", { data: [{ Last_Name: "B", Email: "b@x.com" }, { First_Name: "no last" }, { Last_Name: "C", Email: "A@X.COM" }, "nope"] });
      r.status.should.equal(207);
      r.body.data[0].status.should.equal("success");
      r.body.data[1].should.eql({ code: "MANDATORY_NOT_FOUND", details: { api_name: "Last_Name", json_path: "$.data[1].Last_Name" }, message: "required field not found", status: "error" });
      r.body.data[2].should.eql({
        code: "DUPLICATE_DATA",
        details: { api_name: "Email", json_path: "$.data[2].Email", duplicate_record: { id: ok.details.id, module: { api_name: "Leads" } } },
        message: "duplicate data",
        status: "error",
      });
      r.body.data[3].code.should.equal("INVALID_DATA");
      r = await send("POST", "/crm/v8/Leads", { data: [{ First_Name: "x" }] });
      r.status.should.equal(400);
      r.body.data[0].code.should.equal("MANDATORY_NOT_FOUND");
      sim.records("Leads").length.should.equal(2);
      (await send("POST", "/crm/v8/Deals", { data: [{ Deal_Name: "D" }] })).body.data[0].details.api_name.should.equal("Stage");
    });

    it("request-level errors: > 100 records LIMIT_EXCEEDED, bad JSON, no data", async function () {
      const many = Array.from({ length: 101 }, (_, i) => ({ Last_Name: `L${i}` }));
      let r = await send("POST", "/crm/v8/Leads", { data: many });
      r.status.should.equal(400);
      r.body.code.should.equal("LIMIT_EXCEEDED");
      r.body.should.not.have.property("data");
      r = await send("POST", "/crm/v8/Leads", "{not json");
      r.status.should.equal(400);
      r.body.code.should.equal("INVALID_DATA");
      (await send("POST", "/crm/v8/Leads", { records: [] })).body.code.should.equal("INVALID_DATA");
      (await send("DELETE", "/crm/v8/Leads")).body.code.should.equal("REQUIRED_PARAM_MISSING");
    });

    it("update: 200, 207 with an unknown id, MANDATORY_NOT_FOUND for missing id", async function () {
      const [a, b] = sim.seedRecords("Leads", [{ Last_Name: "A", Email: "a@x.com" }, { Last_Name: "B", Email: "b@x.com" }]);
      let r = await send("PUT", "/crm/v8/Leads", { data: [{ id: a.id, Company: "Zylker" }] });
      r.status.should.equal(200);
      r.body.data[0].should.have.properties({ code: "SUCCESS", message: "record updated" });
      r.body.data[0].details.should.not.have.property("$approval_state");
      sim.records("Leads").find((x) => x.id === a.id).Company.should.equal("Zylker");
      r = await send("PUT", "/crm/v8/Leads", { data: [{ id: b.id, Email: "a@x.com" }, { id: "1111111111111111111", Company: "x" }, { Company: "no id" }] });
      r.status.should.equal(400);
      r.body.data[0].code.should.equal("DUPLICATE_DATA");
      r.body.data[1].should.eql({ code: "INVALID_DATA", details: { id: "1111111111111111111" }, message: "the id given seems to be invalid", status: "error" });
      r.body.data[2].details.should.eql({ api_name: "id", json_path: "$.data[2].id" });
      r = await send("PUT", "/crm/v8/Leads", { data: [{ id: b.id, Company: "ok" }, { id: "1111111111111111111" }] });
      r.status.should.equal(207);
    });

    it("upsert: matches on duplicate_check_fields, action insert|update, duplicate_field", async function () {
      const [a] = sim.seedRecords("Leads", [{ Last_Name: "A", Email: "a@x.com" }]);
      const r = await send("POST", "/crm/v8/Leads/upsert", { data: [{ Last_Name: "A2", Email: "A@x.com" }, { Last_Name: "N", Email: "n@x.com" }], duplicate_check_fields: ["Email"] });
      r.status.should.equal(200);
      r.body.data[0].should.have.properties({ code: "SUCCESS", duplicate_field: "Email", action: "update", message: "record updated" });
      r.body.data[0].details.id.should.equal(a.id);
      r.body.data[1].should.have.properties({ duplicate_field: null, action: "insert", message: "record added" });
      sim.records("Leads").map((x) => x.Last_Name).should.eql(["A2", "N"]);
      const p = await send("POST", "/crm/v8/Projects/upsert", { data: [{ Name: "Alpha" }] });
      p.body.data[0].action.should.equal("insert");
      const p2 = await send("POST", "/crm/v8/Projects/upsert", { data: [{ Name: "alpha", Status: "Completed" }] });
      p2.body.data[0].should.have.properties({ action: "update", duplicate_field: "Name" });
      (await send("POST", "/crm/v8/Leads/upsert", { data: [{ Last_Name: "x" }], duplicate_check_fields: ["Company"] })).body.code.should.equal("INVALID_DATA");
    });

    it("delete: 200 (S11), 207 mixed, 400 all failed", async function () {
      const [a, b] = sim.seedRecords("Leads", 2);
      let r = await send("DELETE", `/crm/v8/Leads?ids=${a.id}&wf_trigger=true`);
      r.status.should.equal(200);
      r.body.should.eql({ data: [{ code: "SUCCESS", details: { id: a.id }, message: "record deleted", status: "success" }] });
      r = await send("DELETE", `/crm/v8/Leads?ids=${b.id},${a.id}`);
      r.status.should.equal(207);
      r.body.data[1].should.eql({ code: "INVALID_DATA", details: { id: a.id }, message: "record not deleted", status: "error" });
      r = await send("DELETE", `/crm/v8/Leads?ids=${a.id}`);
      r.status.should.equal(400);
      sim.records("Leads").length.should.equal(0);
      (await get("/crm/v8/Leads/deleted")).body.data.length.should.equal(2);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("faults, latency, concurrency, credits", function () {
    it("status faults (429 with Retry-After, 500) honour match / times / afterRequests", async function () {
      sim.inject({ match: { path: "/crm/v8/org" }, status: 429, headers: { "Retry-After": "2" }, afterRequests: 1 });
      sim.inject({ status: 500, times: 2, match: { method: "GET", path: /\/users$/ } });
      (await get("/crm/v8/org")).status.should.equal(200);
      const r = await get("/crm/v8/org");
      r.status.should.equal(429);
      r.headers.get("retry-after").should.equal("2");
      r.body.should.eql({ code: "TOO_MANY_REQUESTS", details: {}, message: "too many requests", status: "error" });
      (await get("/crm/v8/org")).status.should.equal(200);
      (await get("/crm/v8/users?type=CurrentUser")).body.code.should.equal("INTERNAL_ERROR");
      (await get("/crm/v8/users?type=CurrentUser")).status.should.equal(500);
      (await get("/crm/v8/users?type=CurrentUser")).status.should.equal(200);
      sim.count({ path: "/crm/v8/org" }).should.be.above(2);
      sim.requests[sim.requests.length - 1].status.should.equal(200);
    });

    it("drop before (not processed) and drop after (processed, records written)", async function () {
      sim.inject({ match: { method: "POST", path: "/crm/v8/Leads" }, drop: "before" });
      await send("POST", "/crm/v8/Leads", { data: [{ Last_Name: "X" }] }).should.be.rejected();
      sim.records("Leads").length.should.equal(0);
      sim.inject({ match: { method: "POST", path: "/crm/v8/Leads" }, drop: "after" });
      await send("POST", "/crm/v8/Leads", { data: [{ Last_Name: "Y" }] }).should.be.rejected();
      sim.records("Leads").map((r) => r.Last_Name).should.eql(["Y"]);
    });

    it("delayMs holds the answer (client timeout) and latency applies to CRM calls", async function () {
      sim.inject({ delayMs: 60000 }); // only the client's abort can end this call, however late it fires
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 100);
      await fetch(`${url}/crm/v8/org`, { headers: H, signal: ac.signal }).should.be.rejected();
      clearTimeout(timer);
      sim.setLatency(60);
      const t0 = Date.now();
      (await get("/crm/v8/org")).status.should.equal(200);
      (Date.now() - t0).should.be.aboveOrEqual(55);
    });

    it("tracks maxInFlight and enforces concurrencyLimit with 429", async function () {
      const s2 = new ZohoSimulator({ concurrencyLimit: 2, latencyMs: 80 });
      s2.addClient(CLIENT, SECRET);
      await s2.start();
      try {
        const t = await token(s2);
        const h = { Authorization: `Zoho-oauthtoken ${t.access_token}` };
        const statuses = await Promise.all([1, 2, 3, 4].map(() => fetch(`${s2.url}/crm/v8/org`, { headers: h }).then((r) => r.status)));
        statuses.filter((s) => s === 200).length.should.equal(2);
        statuses.filter((s) => s === 429).length.should.equal(2);
        s2.maxInFlight.should.equal(4);
      } finally {
        await s2.stop();
      }
    });

    it("credits: X-API-CREDITS-REMAINING from 50% usage, 429 when exhausted", async function () {
      const s2 = new ZohoSimulator({ creditsPerDay: 4 });
      s2.addClient(CLIENT, SECRET);
      await s2.start();
      try {
        const t = await token(s2);
        const h = { Authorization: `Zoho-oauthtoken ${t.access_token}` };
        const hdrs = [];
        for (let i = 0; i < 5; i++) {
          const r = await fetch(`${s2.url}/crm/v8/org`, { headers: h });
          hdrs.push([r.status, r.headers.get("x-api-credits-remaining")]);
        }
        hdrs.should.eql([[200, null], [200, "2"], [200, "1"], [200, "0"], [429, null]]);
      } finally {
        await s2.stop();
      }
    });

    it("helper endpoints: /__sim/grant-token and /__sim/stats", async function () {
      const g = await json(await fetch(`${url}/__sim/grant-token?client_id=${CLIENT}&scope=ZohoCRM.modules.ALL`));
      const res = await fetch(`${url}/oauth/v2/token`, form({ grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code: g.grant_token }));
      (await json(res)).scope.should.equal("ZohoCRM.modules.ALL");
      const stats = await json(await fetch(`${url}/__sim/stats`));
      stats.should.have.properties("requests", "by_endpoint", "max_in_flight", "token_refresh_count");
    });
  });

  describe("seeding and reset", function () {
    it("seeds realistic records with increasing string ids and unique emails; reset keeps modules", async function () {
      const s2 = new ZohoSimulator();
      const recs = s2.seedRecords("Leads", 300);
      recs.length.should.equal(300);
      const ids = recs.map((r) => r.id);
      ids.every((id, i) => i === 0 || id > ids[i - 1]).should.be.true();
      new Set(recs.map((r) => r.Email.toLowerCase())).size.should.equal(300);
      recs[0].should.have.properties("First_Name", "Last_Name", "Company", "Phone", "Lead_Source", "Owner", "Created_Time", "Modified_Time");
      recs[0].Created_Time.should.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      s2.seedRecords("Accounts", 3);
      const contacts = s2.seedRecords("Contacts", 3);
      should(contacts[0].Account_Name.id).be.a.String();
      s2.reset();
      s2.records("Leads").length.should.equal(0);
      s2.seedRecords("Projects", 2).length.should.equal(2);
    });
  });
});
