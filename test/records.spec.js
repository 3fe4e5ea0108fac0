// Reading records with the client (list, search, COQL, get) against the simulator: paging rules,
// call counts, caps, field chunking, errors and cancellation.
"use strict";
require("should");
const { startSimulator, simClient: fixtureClient, rejection, CLIENT_ID } = require("./fixtures");

// Each client mints its own access token; a fresh refresh token per client keeps the tests under
// Zoho's (and the simulator's) limit of 10 access tokens per refresh token per 10 minutes.
const simClient = (sim, _refreshToken, extra) => fixtureClient(sim, sim.issueRefreshToken(CLIENT_ID), extra);
const {
  ZohoError,
  listPages,
  searchPages,
  coqlPages,
  getRecord,
  listFields,
  listModules,
  clearMetadataCache,
  escapeCriteriaValue,
  escapeCriteria,
  buildCriteria,
  criterion,
  quoteCoqlString,
  parseCoqlLimits,
  parseFieldList,
  parseMaxRecords,
  recordIdOf,
  formatModifiedSince,
  fieldChunks,
} = require("../dist/nodes/zoho");

const LEADS = "/crm/v8/Leads";
const LEADS_COUNT = "/crm/v8/Leads/actions/count";
const COQL = "/crm/v8/coql";

async function collect(iterable) {
  const pages = [];
  for await (const page of iterable) pages.push(page);
  return pages;
}

const allRecords = (pages) => pages.flatMap((p) => p.records);
const crmRequests = (sim, path) => sim.requests.filter((r) => r.path === path);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe("records: list (Get Records)", function () {
  let sim, refreshToken, client, seeded;
  before(async () => {
    ({ sim, refreshToken } = await startSimulator());
    seeded = sim.seedRecords("Leads", 2500);
    sim.seedRecords("Contacts", 401);
    sim.seedRecords("Accounts", 200);
  });
  after(async () => sim.stop());
  beforeEach(() => {
    sim.requests = [];
    sim.clearFaults();
    sim.setLatency(0);
    client = simClient(sim, refreshToken);
  });

  it("reads more than 2,000 records: pages 1..10, then page_token from page 10, never both", async () => {
    const pages = await collect(listPages(client, { module: "Leads", fields: ["Last_Name", "Email"] }));
    const records = allRecords(pages);
    records.length.should.equal(2500);
    new Set(records.map((r) => r.id)).size.should.equal(2500);
    records.forEach((r) => r.id.should.be.a.String());
    // Zoho's default order: id descending
    records.map((r) => r.id).should.eql(seeded.map((r) => r.id).reverse());
    pages.map((p) => p.page).should.eql([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    pages[12].info.more_records.should.be.false();

    const calls = crmRequests(sim, LEADS);
    calls.length.should.equal(13); // ceil(2500/200)
    for (const c of calls) {
      (c.query.page !== undefined && c.query.page_token !== undefined).should.be.false("page and page_token together");
      if (c.query.page !== undefined) Number(c.query.page).should.be.belowOrEqual(10);
      c.query.per_page.should.equal("200");
      c.status.should.equal(200);
    }
    calls.filter((c) => c.query.page !== undefined).map((c) => Number(c.query.page)).sort((a, b) => a - b).should.eql([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const firstTokenCall = sim.requests.findIndex((r) => r.path === LEADS && r.query.page_token);
    const page10 = sim.requests.findIndex((r) => r.path === LEADS && r.query.page === "10");
    firstTokenCall.should.be.above(page10);
    calls.filter((c) => c.query.page_token).length.should.equal(3);
    sim.count({ path: LEADS_COUNT }).should.be.belowOrEqual(1);
  });

  it("makes exactly ceil(N/200) list calls for N records (explicit fields)", async () => {
    for (const [module, n] of [["Contacts", 401], ["Accounts", 200], ["Leads", 2500]]) {
      sim.requests = [];
      const records = allRecords(await collect(listPages(client, { module, fields: ["id", "Created_Time"] })));
      records.length.should.equal(n);
      sim.count({ method: "GET", path: `/crm/v8/${module}` }).should.equal(Math.ceil(n / 200), module);
    }
  });

  it("asks pages 1..10 concurrently within the connection's limit, and hands them out in order", async () => {
    sim.setLatency(40);
    sim.maxInFlight = 0;
    client = simClient(sim, refreshToken, { concurrency: 4 });
    const started = Date.now();
    const pages = await collect(listPages(client, { module: "Leads", fields: ["Last_Name"], maxRecords: 2000 }));
    const elapsed = Date.now() - started;
    allRecords(pages).length.should.equal(2000);
    pages.map((p) => p.page).should.eql([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    sim.maxInFlight.should.be.above(1);
    sim.maxInFlight.should.be.belowOrEqual(4);
    sim.count({ path: LEADS }).should.equal(10);
    // 10 pages one after the other would take ≥ 400 ms
    elapsed.should.be.below(400);
  });

  it("goes page by page without a count call when the connection allows one call at a time", async () => {
    client = simClient(sim, refreshToken, { concurrency: 1 });
    const records = allRecords(await collect(listPages(client, { module: "Contacts", fields: ["Last_Name"] })));
    records.length.should.equal(401);
    sim.count({ path: "/crm/v8/Contacts" }).should.equal(3);
    sim.count({ path: "/crm/v8/Contacts/actions/count" }).should.equal(0);
  });

  describe("maxRecords", function () {
    it("uses one call with per_page = maxRecords when it fits in a page, and no count call", async () => {
      const records = allRecords(await collect(listPages(client, { module: "Leads", fields: ["Last_Name"], maxRecords: 150 })));
      records.length.should.equal(150);
      const calls = crmRequests(sim, LEADS);
      calls.length.should.equal(1);
      calls[0].query.per_page.should.equal("150");
      sim.count({ path: LEADS_COUNT }).should.equal(0);
    });

    it("stops after ceil(max/200) calls and shrinks the last page when that lines up", async () => {
      const pages = await collect(listPages(client, { module: "Leads", fields: ["Last_Name"], maxRecords: 450 }));
      const records = allRecords(pages);
      records.length.should.equal(450);
      records.map((r) => r.id).should.eql(seeded.map((r) => r.id).reverse().slice(0, 450));
      const calls = crmRequests(sim, LEADS);
      calls.length.should.equal(3);
      const last = calls.find((c) => c.query.per_page !== "200");
      last.query.should.containEql({ per_page: "50", page: "9" }); // records 401-450
    });

    it("continues into the page_token chain only as far as needed", async () => {
      const records = allRecords(await collect(listPages(client, { module: "Leads", fields: ["Last_Name"], maxRecords: 2201 })));
      records.length.should.equal(2201);
      sim.count({ path: LEADS }).should.equal(12);
    });

    it("never asks for more than exist when maxRecords is larger than the module", async () => {
      const records = allRecords(await collect(listPages(client, { module: "Contacts", fields: ["Last_Name"], maxRecords: 1000 })));
      records.length.should.equal(401);
      sim.count({ path: "/crm/v8/Contacts" }).should.equal(3);
    });

    it("stops calling when the consumer stops early", async () => {
      for await (const page of listPages(client, { module: "Leads", fields: ["Last_Name"] })) {
        page.page.should.equal(1);
        break;
      }
      await sleep(20); // calls already on the wire (a new connection each) may still be arriving
      const soFar = sim.requests.length;
      await sleep(50);
      sim.requests.length.should.equal(soFar);
      sim.count({ path: LEADS }).should.be.belowOrEqual(client.concurrency + 1);
    });
  });

  describe("every field (fields empty)", function () {
    it("reads the field list, splits it into calls of at most 50 fields and merges each page by id", async () => {
      clearMetadataCache(client);
      const meta = await listFields(client, "Leads");
      meta.length.should.be.above(50);
      sim.requests = [];
      const pages = await collect(listPages(client, { module: "Leads", maxRecords: 400 }));
      const records = allRecords(pages);
      records.length.should.equal(400);
      const calls = crmRequests(sim, LEADS);
      calls.length.should.equal(4); // 2 pages x 2 field chunks
      for (const c of calls) {
        const fields = c.query.fields.split(",");
        fields.length.should.be.belowOrEqual(50);
        fields.should.containEql("id");
      }
      sim.count({ path: "/crm/v8/settings/fields" }).should.equal(0); // cached above
      const stored = new Map(sim.records("Leads").map((r) => [r.id, r]));
      const listable = meta.filter((f) => !["subform", "multiselectlookup", "multiuserlookup"].includes(f.data_type));
      for (const r of records.slice(0, 5).concat(records.slice(-5))) {
        const s = stored.get(r.id);
        for (const f of listable) r.should.have.property(f.api_name);
        r.Last_Name.should.eql(s.Last_Name);
        r.should.have.property("Email", s.Email === undefined ? null : s.Email);
      }
    });

    it("fetches the field metadata once per client for a while", async () => {
      clearMetadataCache(client);
      await collect(listPages(client, { module: "Accounts", maxRecords: 5 }));
      await collect(listPages(client, { module: "Accounts", maxRecords: 5 }));
      sim.count({ path: "/crm/v8/settings/fields" }).should.equal(1);
      const modules = await listModules(client);
      modules.map((m) => m.api_name).should.containEql("Projects");
    });

    it("keeps groups of 50 fields including id", () => {
      const sixty = Array.from({ length: 60 }, (_, i) => `F${i}`);
      const chunks = fieldChunks(sixty);
      chunks.length.should.equal(2);
      chunks.forEach((c) => c.length.should.be.belowOrEqual(50) && c.should.containEql("id"));
      fieldChunks(sixty.slice(0, 50)).should.eql([sixty.slice(0, 50)]);
    });
  });

  it("sorts by Created_Time ascending", async () => {
    const records = allRecords(await collect(listPages(client, { module: "Contacts", fields: ["Created_Time"], sortBy: "Created_Time", sortOrder: "asc" })));
    const times = records.map((r) => Date.parse(r.Created_Time));
    times.should.eql(times.slice().sort((a, b) => a - b));
    crmRequests(sim, "/crm/v8/Contacts")[0].query.should.containEql({ sort_by: "Created_Time", sort_order: "asc" });
  });

  it("reads only records modified since a time (If-Modified-Since), without a count call", async () => {
    const stored = sim.records("Contacts");
    const times = stored.map((r) => Date.parse(r.Modified_Time)).sort((a, b) => a - b);
    const since = new Date(times[300]);
    const expected = stored.filter((r) => Date.parse(r.Modified_Time) > since.getTime()).length;
    const records = allRecords(await collect(listPages(client, { module: "Contacts", fields: ["Modified_Time"], modifiedSince: since })));
    records.length.should.equal(expected);
    const calls = crmRequests(sim, "/crm/v8/Contacts");
    calls[0].headers["if-modified-since"].should.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    sim.count({ path: "/crm/v8/Contacts/actions/count" }).should.equal(0);
    // nothing modified since: 304, an empty read
    sim.requests = [];
    (await collect(listPages(client, { module: "Contacts", fields: ["Last_Name"], modifiedSince: new Date(Date.now() + 86400000).toISOString() }))).should.eql([]);
    crmRequests(sim, "/crm/v8/Contacts")[0].status.should.equal(304);
  });

  it("yields nothing for an empty module (204)", async () => {
    (await collect(listPages(client, { module: "Deals", fields: ["Deal_Name"] }))).should.eql([]);
    crmRequests(sim, "/crm/v8/Deals")[0].status.should.equal(204);
  });

  it("rejects a custom view combined with sortBy, and bad options, before calling Zoho", async () => {
    (await rejection(collect(listPages(client, { module: "Leads", fields: ["Last_Name"], cvid: "123", sortBy: "id" })))).code.should.equal("INVALID_INPUT");
    (await rejection(collect(listPages(client, { module: "Leads", fields: ["Last_Name"], sortBy: "Last_Name" })))).code.should.equal("INVALID_INPUT");
    (await rejection(collect(listPages(client, { module: "Leads/../org", fields: ["Last_Name"] })))).code.should.equal("INVALID_MODULE");
    (await rejection(collect(listPages(client, { module: "Leads", fields: ["a"], maxRecords: -1 })))).code.should.equal("INVALID_INPUT");
    sim.requests.length.should.equal(0);
  });
});

describe("records: economy (every call counted, the count call included)", function () {
  let sim, refreshToken, client;
  before(async () => {
    ({ sim, refreshToken } = await startSimulator());
    sim.seedRecords("Leads", 2000);
    sim.seedRecords("Contacts", 401);
    sim.seedRecords("Accounts", 200);
  });
  after(async () => sim.stop());
  beforeEach(() => {
    sim.requests = [];
    sim.clearFaults();
    sim.setLatency(0);
    client = simClient(sim, refreshToken);
  });
  const crmCalls = () => sim.requests.filter((r) => r.path.startsWith("/crm/")).length;

  it("a read that fits in one page is exactly one call", async () => {
    (await collect(listPages(client, { module: "Accounts", fields: ["Account_Name"] })))[0].records.should.have.length(200);
    crmCalls().should.equal(1);
    sim.requests = [];
    allRecords(await collect(searchPages(client, { module: "Contacts", word: sim.records("Contacts")[0].Last_Name }))).length.should.be.above(0);
    crmCalls().should.equal(1);
  });

  it("a read that finds nothing is exactly one call (list, modified since, search)", async () => {
    sim.clearRecords("Deals");
    (await collect(listPages(client, { module: "Deals", fields: ["Deal_Name"] }))).should.eql([]);
    (await collect(listPages(client, { module: "Contacts", fields: ["Last_Name"], modifiedSince: new Date(Date.now() + 86400000) }))).should.eql([]);
    (await collect(searchPages(client, { module: "Contacts", email: "nobody@nowhere.example" }))).should.eql([]);
    crmCalls().should.equal(3);
    sim.count({ path: "/crm/v8/Deals/actions/count" }).should.equal(0);
  });

  it("two pages: no count call (page 2 is known to exist from page 1)", async () => {
    allRecords(await collect(listPages(client, { module: "Contacts", fields: ["Last_Name"], maxRecords: 400 }))).length.should.equal(400);
    crmCalls().should.equal(2);
  });

  it("asks for the count only once page 1 says there are more, then reads the rest concurrently", async () => {
    sim.setLatency(30);
    const pages = await collect(listPages(client, { module: "Leads", fields: ["Last_Name"] }));
    allRecords(pages).length.should.equal(2000);
    const calls = sim.requests.filter((r) => r.path.startsWith("/crm/"));
    calls.length.should.equal(11); // 10 pages + 1 count
    calls[0].query.page.should.equal("1");
    const countAt = calls.findIndex((r) => r.path === "/crm/v8/Leads/actions/count");
    countAt.should.be.within(1, 2); // after page 1, alongside page 2
    pages[pages.length - 1].totalCount.should.equal(2000);
    sim.maxInFlight.should.be.above(2);
  });

  it("treats a count that is too high as an upper bound: the first short page ends the read", async () => {
    sim.inject({ match: { path: "/crm/v8/Contacts/actions/count" }, status: 200, body: { count: 1800 } });
    const client5 = simClient(sim, refreshToken, { concurrency: 5 });
    allRecords(await collect(listPages(client5, { module: "Contacts", fields: ["Last_Name"] }))).length.should.equal(401);
    const listCalls = sim.count({ path: "/crm/v8/Contacts" });
    // Pages 1-3 hold the records; at most a window of pages started on the count's word is wasted,
    // never the nine pages the count promised.
    listCalls.should.be.within(3, 3 + client5.concurrency - 1);
    sim.count({ path: "/crm/v8/Contacts/actions/count" }).should.equal(1);
  });

  it("with a count that is too low, goes on page by page while Zoho says there are more", async () => {
    sim.inject({ match: { path: "/crm/v8/Leads/actions/count" }, status: 200, body: { count: 450 } });
    allRecords(await collect(listPages(client, { module: "Leads", fields: ["Last_Name"] }))).length.should.equal(2000);
    sim.count({ path: LEADS }).should.equal(10);
  });
});

describe("records: search", function () {
  let sim, refreshToken, client;
  before(async () => {
    ({ sim, refreshToken } = await startSimulator());
    sim.seedRecords("Leads", 2300);
    sim.seedRecords("Accounts", [
      { Account_Name: "Smith (UK), Ltd" },
      { Account_Name: "Smith UK Ltd" },
      { Account_Name: "Back\\slash" },
    ]);
  });
  after(async () => sim.stop());
  beforeEach(() => {
    sim.requests = [];
    sim.clearFaults();
    client = simClient(sim, refreshToken);
  });

  it("stops at Zoho's 2,000-record cap and reports it instead of failing", async () => {
    const pages = await collect(searchPages(client, { module: "Leads", criteria: "(id:greater_than:1)" }));
    allRecords(pages).length.should.equal(2000);
    const last = pages[pages.length - 1];
    last.capped.should.containEql({ reason: "search_limit", limit: 2000 });
    pages.slice(0, -1).forEach((p) => (p.capped === undefined).should.be.true());
    last.totalCount.should.equal(2300);
    const calls = crmRequests(sim, "/crm/v8/Leads/search");
    calls.length.should.equal(10);
    calls.forEach((c) => c.status.should.equal(200));
    calls.forEach((c) => Number(c.query.page).should.be.belowOrEqual(10));
  });

  it("does not report a cap when maxRecords is reached first", async () => {
    const pages = await collect(searchPages(client, { module: "Leads", criteria: "(id:greater_than:1)", maxRecords: 2000 }));
    allRecords(pages).length.should.equal(2000);
    pages.forEach((p) => (p.capped === undefined).should.be.true());
  });

  it("escapes ( ) , and \\ in criteria values, whether written by hand or built", async () => {
    const byHand = allRecords(await collect(searchPages(client, { module: "Accounts", criteria: "(Account_Name:equals:Smith (UK), Ltd)" })));
    byHand.map((r) => r.Account_Name).should.eql(["Smith (UK), Ltd"]);
    crmRequests(sim, "/crm/v8/Accounts/search")[0].query.criteria.should.equal("(Account_Name:equals:Smith \\(UK\\)\\, Ltd)");
    const built = allRecords(await collect(searchPages(client, { module: "Accounts", criteria: { Account_Name: "Smith (UK), Ltd" } })));
    built.map((r) => r.Account_Name).should.eql(["Smith (UK), Ltd"]);
    const slash = allRecords(await collect(searchPages(client, { module: "Accounts", criteria: [["Account_Name", "equals", "Back\\slash"]] })));
    slash.map((r) => r.Account_Name).should.eql(["Back\\slash"]);
  });

  it("searches by email, phone and word; nothing found is an empty read (204)", async () => {
    const lead = sim.records("Leads")[7];
    allRecords(await collect(searchPages(client, { module: "Leads", email: lead.Email }))).map((r) => r.id).should.containEql(lead.id);
    (await collect(searchPages(client, { module: "Leads", email: "nobody@nowhere.example" }))).should.eql([]);
    (await collect(searchPages(client, { module: "Leads", word: "zzqqxxnothing" }))).should.eql([]);
    const uri = crmRequests(sim, "/crm/v8/Leads/search").map((c) => Object.keys(c.query).filter((k) => ["email", "word", "criteria", "phone"].includes(k)));
    uri.should.eql([["email"], ["email"], ["word"]]);
  });

  it("needs one of criteria, email, phone or word", async () => {
    (await rejection(collect(searchPages(client, { module: "Leads" })))).code.should.equal("INVALID_INPUT");
  });
});

describe("records: COQL", function () {
  let sim, refreshToken, client;
  before(async () => {
    ({ sim, refreshToken } = await startSimulator());
    sim.seedRecords("Leads", 2500);
    sim.seedRecords("Contacts", [{ Last_Name: "O'Brien" }, { Last_Name: "Murphy" }]);
  });
  after(async () => sim.stop());
  beforeEach(() => {
    sim.requests = [];
    client = simClient(sim, refreshToken);
  });

  const queries = () => crmRequests(sim, COQL).map((r) => r.body.select_query).filter((q) => !/COUNT\(id\)/.test(q));
  const countQueries = () => crmRequests(sim, COQL).map((r) => r.body.select_query).filter((q) => /COUNT\(id\)/.test(q));

  it("pages with LIMIT/OFFSET until more_records is false", async () => {
    const pages = await collect(coqlPages(client, { query: "select Last_Name, Email from Leads where id is not null" }));
    const records = allRecords(pages);
    records.length.should.equal(2500);
    new Set(records.map((r) => r.id)).size.should.equal(2500);
    records.map((r) => r.id).should.eql(sim.records("Leads").map((r) => r.id)); // ascending id, in order
    // The row count beside the first call, then the pages it promises, several at once.
    countQueries().should.eql(["select COUNT(id) from Leads where id is not null"]);
    queries().should.eql([
      "select Last_Name, Email from Leads where id is not null LIMIT 200 OFFSET 0",
      "select Last_Name, Email from Leads where id is not null LIMIT 2000 OFFSET 200",
      "select Last_Name, Email from Leads where id is not null LIMIT 300 OFFSET 2200",
    ]);
  });

  it("fetches the pages after the first several at a time, and only as many as the count says", async () => {
    sim.setLatency(30);
    sim.maxInFlight = 0;
    const c = simClient(sim, refreshToken, { concurrency: 4 });
    const pages = await collect(coqlPages(c, { query: "select Last_Name from Leads where id is not null" }));
    allRecords(pages).map((r) => r.id).should.eql(sim.records("Leads").map((r) => r.id));
    sim.maxInFlight.should.be.above(1);
    sim.maxInFlight.should.be.belowOrEqual(4);
    queries().length.should.equal(3); // 200 + 2,000 + 300: no call past the end
    sim.setLatency(0);
  });

  it("treats a count that is too high as an upper bound, and one that is too low as a floor", async () => {
    sim.inject({ match: { path: COQL }, status: 200, body: { data: [{ "COUNT(id)": 9000 }], info: { count: 1, more_records: false } }, times: 1 });
    const high = allRecords(await collect(coqlPages(client, { query: "select Last_Name from Leads where id is not null" })));
    high.length.should.equal(2500);
    queries().length.should.be.belowOrEqual(3 + client.concurrency); // pages started on the count's word past the end, at most a window
    sim.requests = [];
    sim.inject({ match: { path: COQL }, status: 200, body: { data: [{ "COUNT(id)": 300 }], info: { count: 1, more_records: false } }, times: 1 });
    const low = allRecords(await collect(coqlPages(client, { query: "select Last_Name from Leads where id is not null" })));
    low.map((r) => r.id).should.eql(sim.records("Leads").map((r) => r.id)); // nothing lost: Zoho's more_records goes on
  });

  it("honours the query's own LIMIT and OFFSET (both syntaxes)", async () => {
    const ids = sim.records("Leads").map((r) => r.id);
    const a = allRecords(await collect(coqlPages(client, { query: "select Last_Name from Leads where id is not null order by id asc limit 2100 offset 10;" })));
    a.map((r) => r.id).should.eql(ids.slice(10, 2110));
    queries().should.eql([
      "select Last_Name from Leads where id is not null order by id asc LIMIT 2000 OFFSET 10",
      "select Last_Name from Leads where id is not null order by id asc LIMIT 100 OFFSET 2010",
    ]);
    countQueries().should.eql(["select COUNT(id) from Leads where id is not null"]); // ORDER BY left out
    sim.requests = [];
    const b = allRecords(await collect(coqlPages(client, { query: "select Last_Name from Leads where id is not null LIMIT 5, 3" })));
    b.map((r) => r.id).should.eql(ids.slice(5, 8));
    queries().should.eql(["select Last_Name from Leads where id is not null LIMIT 3 OFFSET 5"]);
    countQueries().should.eql([]); // fits in one call: no count
  });

  it("stops at maxRecords with as few calls as possible", async () => {
    const records = allRecords(await collect(coqlPages(client, { query: "select Last_Name from Leads where id is not null", maxRecords: 2300 })));
    records.length.should.equal(2300);
    queries().should.eql([
      "select Last_Name from Leads where id is not null LIMIT 2000 OFFSET 0",
      "select Last_Name from Leads where id is not null LIMIT 300 OFFSET 2000",
    ]);
  });

  it("quotes string literals for users of the client", async () => {
    const q = `select Last_Name from Contacts where Last_Name = ${quoteCoqlString("O'Brien")}`;
    allRecords(await collect(coqlPages(client, { query: q }))).map((r) => r.Last_Name).should.eql(["O'Brien"]);
  });

  it("yields nothing for no rows (204)", async () => {
    (await collect(coqlPages(client, { query: "select Deal_Name from Deals where id is not null" }))).should.eql([]);
    crmRequests(sim, COQL).find((r) => !/COUNT/.test(r.body.select_query)).status.should.equal(204);
  });

  it("reports SYNTAX_ERROR with advice", async () => {
    const err = await rejection(collect(coqlPages(client, { query: "select Last_Name from Leads" })));
    err.should.be.instanceOf(ZohoError);
    err.code.should.equal("SYNTAX_ERROR");
    err.message.should.match(/where id is not null/);
    (await rejection(collect(coqlPages(client, { query: "delete from Leads" })))).code.should.equal("INVALID_INPUT");
  });
});

describe("records: Zoho's 100,000-record reach", function () {
  let sim, refreshToken, client;
  before(async function () {
    this.timeout(60000);
    ({ sim, refreshToken } = await startSimulator());
    sim.seedRecords("Projects", 100050);
    client = simClient(sim, refreshToken);
  });
  after(async () => sim.stop());

  it("lists at most 100,000 records and reports the cap", async function () {
    this.timeout(60000);
    let count = 0;
    let capped;
    for await (const page of listPages(client, { module: "Projects", fields: ["Name"] })) {
      count += page.records.length;
      capped = page.capped || capped;
    }
    count.should.equal(100000);
    capped.should.containEql({ reason: "list_limit", limit: 100000 });
    sim.count({ path: "/crm/v8/Projects" }).should.equal(500);
    sim.requests.filter((r) => r.path === "/crm/v8/Projects").every((r) => r.status === 200).should.be.true();
  });

  it("stops COQL offset paging at 100,000 rows and reports the cap", async () => {
    sim.requests = [];
    const pages = await collect(coqlPages(client, { query: "select Name from Projects where id is not null offset 97500" }));
    allRecords(pages).length.should.equal(2500);
    pages[pages.length - 1].capped.should.containEql({ reason: "coql_limit", limit: 100000 });
    crmRequests(sim, COQL)
      .map((r) => r.body.select_query)
      .filter((q) => !/COUNT/.test(q))
      .map((q) => q.replace(/^.* LIMIT/, "LIMIT"))
      .should.eql(["LIMIT 200 OFFSET 97500", "LIMIT 2000 OFFSET 97700", "LIMIT 300 OFFSET 99700"]);
  });
});

describe("records: get one record", function () {
  let sim, refreshToken, client, lead;
  before(async () => {
    ({ sim, refreshToken } = await startSimulator());
    [lead] = sim.seedRecords("Leads", 3);
  });
  after(async () => sim.stop());
  beforeEach(() => (client = simClient(sim, refreshToken)));

  it("returns the record with all fields, or only the fields asked for", async () => {
    const all = await getRecord(client, "Leads", lead.id);
    all.id.should.equal(lead.id);
    all.Last_Name.should.equal(lead.Last_Name);
    Object.keys(all).length.should.be.above(50);
    const some = await getRecord(client, "Leads", lead.id, ["Last_Name"]);
    some.should.have.property("Last_Name", lead.Last_Name);
    some.should.not.have.property("Email");
  });

  it("reports Zoho's error for an unknown id and refuses ids that lost precision", async () => {
    (await rejection(getRecord(client, "Leads", "1234567890123456789"))).code.should.equal("INVALID_DATA");
    (await rejection(getRecord(client, "Leads", 5725767000001000000))).code.should.equal("INVALID_INPUT");
    (await rejection(getRecord(client, "Leads", "12; drop"))).code.should.equal("INVALID_INPUT");
  });
});

describe("records: errors", function () {
  let sim, refreshToken, client;
  before(async () => {
    ({ sim, refreshToken } = await startSimulator());
    sim.seedRecords("Leads", 2100);
  });
  after(async () => sim.stop());
  beforeEach(() => {
    sim.requests = [];
    sim.clearFaults();
    client = simClient(sim, refreshToken);
  });

  it("INVALID_MODULE with advice about the API name", async () => {
    const err = await rejection(collect(listPages(client, { module: "Nope", fields: ["Name"] })));
    err.code.should.equal("INVALID_MODULE");
    err.advice.should.match(/API name/);
  });

  it("OAUTH_SCOPE_MISMATCH for a refresh token without the COQL or search scope", async () => {
    const narrow = fixtureClient(sim, sim.issueRefreshToken(CLIENT_ID, "ZohoCRM.modules.ALL ZohoCRM.settings.ALL"));
    const coql = await rejection(collect(coqlPages(narrow, { query: "select Last_Name from Leads where id is not null" })));
    coql.code.should.equal("OAUTH_SCOPE_MISMATCH");
    coql.advice.should.match(/ZohoCRM\.coql\.READ/);
    const search = await rejection(collect(searchPages(narrow, { module: "Leads", word: "abc" })));
    search.code.should.equal("OAUTH_SCOPE_MISMATCH");
    search.advice.should.match(/ZohoSearch\.securesearch\.READ/);
  });

  it("NO_PERMISSION (injected) on a page in the middle: earlier pages come out, then the error", async () => {
    sim.inject({ match: { method: "GET", path: LEADS }, afterRequests: 3, status: 403, code: "NO_PERMISSION", body: { code: "NO_PERMISSION", details: { permissions: ["Crm_Implied_Api_Access"] }, message: "permission denied", status: "error" } });
    client = simClient(sim, refreshToken, { concurrency: 1 });
    const seen = [];
    const err = await rejection(
      (async () => {
        for await (const page of listPages(client, { module: "Leads", fields: ["Last_Name"] })) seen.push(page.page);
      })(),
    );
    err.code.should.equal("NO_PERMISSION");
    err.advice.should.match(/Zoho CRM API Access/);
    seen.should.eql([1, 2, 3]);
    sim.count({ path: LEADS }).should.equal(4);
  });

  it("SYNTAX_ERROR from COQL", async () => {
    (await rejection(collect(coqlPages(client, { query: "select Last_Name from Leads where" })))).code.should.equal("SYNTAX_ERROR");
  });
});

describe("records: cancellation", function () {
  let sim, refreshToken;
  before(async () => {
    ({ sim, refreshToken } = await startSimulator({ latencyMs: 30 }));
    sim.seedRecords("Leads", 2500);
  });
  after(async () => sim.stop());

  for (const [name, make] of [
    ["list", (client, signal) => listPages(client, { module: "Leads", fields: ["Last_Name"], signal })],
    ["coql", (client, signal) => coqlPages(client, { query: "select Last_Name from Leads where id is not null", signal })],
  ]) {
    it(`${name}: aborting stops the read promptly and no further calls are made`, async () => {
      sim.requests = [];
      const client = simClient(sim, refreshToken, { concurrency: 2 });
      const controller = new AbortController();
      const pages = [];
      const started = Date.now();
      const err = await rejection(
        (async () => {
          for await (const page of make(client, controller.signal)) {
            pages.push(page);
            if (pages.length === 1) setTimeout(() => controller.abort(), 5);
          }
        })(),
      );
      err.code.should.equal("ABORTED");
      (Date.now() - started).should.be.below(1000);
      await sleep(20); // calls sent just before the abort may still be arriving
      const calls = sim.requests.length;
      calls.should.be.belowOrEqual(10); // a few pages ahead of the consumer at most
      await sleep(150);
      sim.requests.length.should.equal(calls);
    });
  }

  it("an already aborted signal makes no call at all", async () => {
    sim.requests = [];
    const client = simClient(sim, refreshToken);
    const controller = new AbortController();
    controller.abort();
    (await rejection(collect(listPages(client, { module: "Leads", fields: ["Last_Name"], signal: controller.signal })))).code.should.equal("ABORTED");
    sim.requests.length.should.equal(0);
  });
});

describe("records: helpers", function () {
  it("escapes criteria values", () => {
    escapeCriteriaValue("Burns,B").should.equal("Burns\\,B");
    escapeCriteriaValue("a(b)c").should.equal("a\\(b\\)c");
    escapeCriteriaValue("K\\").should.equal("K\\\\");
    criterion("Last_Name", "equals", "Burns,B").should.equal("(Last_Name:equals:Burns\\,B)");
    criterion("Lead_Source", "in", ["Web", "Ads, Paid"]).should.equal("(Lead_Source:in:Web,Ads\\, Paid)");
  });

  it("escapes values inside hand-written criteria, once", () => {
    const cases = [
      ["(Last_Name:equals:Burns,B)", "(Last_Name:equals:Burns\\,B)"],
      ["((Last_Name:equals:Burns\\,B)and(First_Name:starts_with:M))", "((Last_Name:equals:Burns\\,B)and(First_Name:starts_with:M))"],
      ["((Company:equals:Smith (UK))or(Company:equals:A, B))", "((Company:equals:Smith \\(UK\\))or(Company:equals:A\\, B))"],
      ["(Lead_Source:in:Web,Trade Show)", "(Lead_Source:in:Web,Trade Show)"],
      ["(Created_Time:between:2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00)", "(Created_Time:between:2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00)"],
      ["(Last_Name:equals:K\\)", "(Last_Name:equals:K\\\\)"],
      ["(Website:equals:http://x.example/a)", "(Website:equals:http://x.example/a)"],
      ["Last_Name:equals:a,b", "Last_Name:equals:a\\,b"],
      ["(((A:equals:1)and(B:equals:2))or(C:equals:x (y)))", "(((A:equals:1)and(B:equals:2))or(C:equals:x \\(y\\)))"],
    ];
    for (const [input, expected] of cases) {
      escapeCriteria(input).should.equal(expected, input);
      escapeCriteria(expected).should.equal(expected, `idempotent: ${expected}`);
    }
    escapeCriteria("((broken").should.equal("((broken");
  });

  it("builds criteria from objects and condition lists", () => {
    buildCriteria({ Last_Name: "Burns,B", Lead_Source: ["Web", "Ads"] }).should.equal("((Last_Name:equals:Burns\\,B)and(Lead_Source:in:Web,Ads))");
    buildCriteria([["A", "equals", 1], { field: "B", operator: "starts_with", value: "x" }, ["C", "equals", true]]).should.equal(
      "(((A:equals:1)and(B:starts_with:x))and(C:equals:true))",
    );
    buildCriteria([["A", "equals", 1], ["B", "equals", 2]], "or").should.equal("((A:equals:1)or(B:equals:2))");
    (() => buildCriteria([["A B", "equals", 1]])).should.throw(/field API name/);
  });

  it("quotes COQL string literals", () => {
    quoteCoqlString("O'Brien").should.equal("'O''Brien'");
    quoteCoqlString("").should.equal("''");
  });

  it("finds a query's own LIMIT and OFFSET", () => {
    parseCoqlLimits("select a from B where id is not null").should.eql({ base: "select a from B where id is not null", offset: 0 });
    parseCoqlLimits("select a from B where x = 1 LIMIT 10").should.eql({ base: "select a from B where x = 1", limit: 10, offset: 0 });
    parseCoqlLimits("select a from B where x = 1 limit 10 offset 20 ;").should.eql({ base: "select a from B where x = 1", limit: 10, offset: 20 });
    parseCoqlLimits("select a from B where x = 1 limit 20, 10").should.eql({ base: "select a from B where x = 1", limit: 10, offset: 20 });
    parseCoqlLimits("select a from B where x = 1 offset 5 limit 10").should.eql({ base: "select a from B where x = 1", limit: 10, offset: 5 });
    parseCoqlLimits("select a from B where x = 'limit 5'").should.eql({ base: "select a from B where x = 'limit 5'", offset: 0 });
  });

  it("checks fields, ids, maxRecords and dates", () => {
    parseFieldList(" Last_Name, Email ,,Last_Name").should.eql(["Last_Name", "Email"]);
    parseFieldList(["id", "$approval_state"]).should.eql(["id", "$approval_state"]);
    (() => parseFieldList("a b")).should.throw(/field API name/);
    (() => parseFieldList([{}])).should.throw();
    recordIdOf(" 5725767000001000001 ").should.equal("5725767000001000001");
    recordIdOf(42).should.equal("42");
    (() => recordIdOf(5725767000001000001)).should.throw(/strings/);
    parseMaxRecords("").should.equal(0);
    parseMaxRecords("25").should.equal(25);
    (() => parseMaxRecords("abc")).should.throw();
    (() => parseMaxRecords(1.5)).should.throw();
    formatModifiedSince("2024-05-10T14:10:47+05:30").should.equal("2024-05-10T14:10:47+05:30");
    formatModifiedSince("2024-05-10T14:10:47.500Z").should.equal("2024-05-10T14:10:47+00:00");
    formatModifiedSince("2024-05-10T14:10").should.equal("2024-05-10T14:10:00+00:00"); // no zone = UTC
    formatModifiedSince("1715331047000").should.equal("2024-05-10T08:50:47+00:00"); // epoch ms as digits
    // Strict: what JavaScript's Date would bend into some time is refused ("12" would be 2001).
    for (const bad of ["1", "12", 12, "2024-05-10", "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "10/05/2024", 1.5, -1, {}, true]) {
      (() => formatModifiedSince(bad)).should.throw(/ISO 8601/, String(bad));
    }
    formatModifiedSince(Date.UTC(2024, 0, 2, 3, 4, 5)).should.equal("2024-01-02T03:04:05+00:00");
    (() => formatModifiedSince("yesterday")).should.throw(/ISO 8601/);
  });
});
