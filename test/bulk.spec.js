// Bulk Read and Bulk Write with the client against the simulator: jobs, streaming ZIP/CSV,
// typing by field metadata, job pages, failures, scopes, the download limit, exactly-once results.
"use strict";
const should = require("should");
const { startSimulator, simClient, waitFor, CLIENT_ID } = require("./fixtures");
const { bulkReadPages, bulkWriteRecords, bulkCriteria, typedValue } = require("../dist/nodes/zoho");
const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");

const BULK_SCOPE = `${DEFAULT_SCOPE} ZohoCRM.bulk.ALL ZohoFiles.files.ALL`;

async function collect(iterable) {
  const pages = [];
  for await (const page of iterable) pages.push(page);
  return pages;
}

const fast = { pollMs: 5, maxPollMs: 20 };

describe("bulk: Bulk Read exports", function () {
  let sim, client, seeded;
  before(async () => {
    ({ sim } = await startSimulator());
    seeded = sim.seedRecords("Leads", 1200);
  });
  after(async () => sim.stop());
  beforeEach(() => {
    sim.requests = [];
    sim.bulk.stepMs = 5;
    sim.bulk.pageSize = 500;
    client = simClient(sim, sim.issueRefreshToken(CLIENT_ID, BULK_SCOPE));
  });

  it("exports every record once, following job pages by page_token, typed by field metadata", async () => {
    const states = [];
    const pages = await collect(
      bulkReadPages(client, {
        module: "Leads",
        fields: ["Last_Name", "Email", "No_of_Employees", "Annual_Revenue", "Email_Opt_Out", "Languages_Known", "Owner", "Next_Follow_Up", "Created_Time"],
        chunkSize: 100,
        onState: (state, id) => states.push(`${id} ${state}`),
        ...fast,
      }),
    );
    const records = pages.flatMap((p) => p.records);
    records.should.have.length(1200);
    new Set(records.map((r) => r.id)).size.should.equal(1200);
    records.map((r) => r.id).sort().should.eql(seeded.map((r) => r.id).sort());
    pages.every((p) => p.records.length <= 100).should.be.true(); // memory bounded by a chunk
    // Three jobs of at most 500 (sim.bulk.pageSize), the second and third from the page token.
    const created = sim.requests.filter((r) => r.method === "POST" && r.path === "/crm/bulk/v8/read");
    created.should.have.length(3);
    should(created[0].body.query.page).equal(1);
    created.slice(1).forEach((r) => r.body.query.page_token.should.be.a.String());
    created.forEach((r) => String(r.headers["content-type"]).should.match(/application\/json/));
    sim.requests.filter((r) => /\/result$/.test(r.path)).should.have.length(3);
    // Typed as the JSON API would give them.
    const byId = new Map(seeded.map((r) => [r.id, r]));
    for (const r of records.slice(0, 50)) {
      const src = byId.get(r.id);
      should(r.No_of_Employees).equal(src.No_of_Employees ?? null);
      should(r.Email_Opt_Out).equal(src.Email_Opt_Out ?? null);
      if (Array.isArray(src.Languages_Known) && src.Languages_Known.length) r.Languages_Known.should.eql(src.Languages_Known);
      if (src.Owner) r.Owner.should.eql({ id: src.Owner.id });
      if (src.Annual_Revenue !== null && src.Annual_Revenue !== undefined) r.Annual_Revenue.should.be.a.Number();
    }
    states.filter((s) => / (ADDED|COMPLETED|DOWNLOADING)$/.test(s)).length.should.be.aboveOrEqual(9);
  });

  it("exports what the criteria select: a simple object, or Zoho's criteria JSON", async () => {
    const web = seeded.filter((r) => r.Lead_Source === "Web Download").length;
    const a = (await collect(bulkReadPages(client, { module: "Leads", fields: ["Lead_Source"], criteria: { Lead_Source: "Web Download" }, ...fast }))).flatMap((p) => p.records);
    a.should.have.length(web);
    a.every((r) => r.Lead_Source === "Web Download").should.be.true();
    const json = { group_operator: "or", group: [{ field: { api_name: "Lead_Source" }, comparator: "equal", value: "Web Download" }, { field: { api_name: "Lead_Source" }, comparator: "equal", value: "Chat" }] };
    const b = (await collect(bulkReadPages(client, { module: "Leads", fields: ["Lead_Source"], criteria: json, ...fast }))).flatMap((p) => p.records);
    b.length.should.equal(seeded.filter((r) => ["Web Download", "Chat"].includes(r.Lead_Source)).length);
  });

  it("stops at maxRecords without reading further job pages", async () => {
    const records = (await collect(bulkReadPages(client, { module: "Leads", fields: ["Last_Name"], maxRecords: 120, chunkSize: 50, ...fast }))).flatMap((p) => p.records);
    records.should.have.length(120);
    sim.requests.filter((r) => r.method === "POST" && r.path === "/crm/bulk/v8/read").should.have.length(1);
  });

  it("a job that ends in FAILURE reaches the caller with the job id and its state", async () => {
    sim.bulk.failNext({ reason: "the export could not be made" });
    const err = await collect(bulkReadPages(client, { module: "Leads", fields: ["Last_Name"], ...fast })).then(() => null, (e) => e);
    should(err).not.be.null();
    err.code.should.equal("BULK_JOB_FAILED");
    err.message.should.match(/bulk job \d+ ended in state FAILURE/);
  });

  it("without the bulk scope, says which scopes to add", async () => {
    const plain = simClient(sim, sim.issueRefreshToken(CLIENT_ID));
    const err = await collect(bulkReadPages(plain, { module: "Leads", ...fast })).then(() => null, (e) => e);
    err.code.should.equal("OAUTH_SCOPE_MISMATCH");
    err.message.should.match(/ZohoCRM\.bulk\.READ/);
  });

  it("waits out Zoho's limit of 10 downloads a minute (429) and loses nothing", async () => {
    sim.bulk.pageSize = 500;
    // The 11th download within a minute is answered 429 (the simulator's own limit is tested in
    // simulator-bulk.spec.js); here two downloads are refused that way, whatever the machine's speed.
    sim.inject({ match: { path: /^\/crm\/bulk\/v8\/read\/\d+\/result$/ }, status: 429, code: "TOO_MANY_REQUESTS", times: 2, afterRequests: 1 });
    const records = (await collect(bulkReadPages(client, { module: "Leads", fields: ["Last_Name"], ...fast }))).flatMap((p) => p.records);
    records.should.have.length(1200);
    new Set(records.map((r) => r.id)).size.should.equal(1200);
    sim.requests.filter((r) => /\/result$/.test(r.path) && r.status === 429).should.have.length(2);
    sim.requests.filter((r) => /\/result$/.test(r.path) && r.status === 200).should.have.length(3);
  });

  it("builds Zoho's criteria from simple objects and checks hand-written ones", () => {
    bulkCriteria({ Lead_Source: "Web" }).should.eql({ field: { api_name: "Lead_Source" }, comparator: "equal", value: "Web" });
    bulkCriteria({ A: ["x", "y"], B: null }).should.eql({
      group_operator: "and",
      group: [
        { field: { api_name: "A" }, comparator: "in", value: ["x", "y"] },
        { field: { api_name: "B" }, comparator: "equal", value: "${EMPTY}" },
      ],
    });
    for (const bad of ["text", [1], { field: { api_name: "A" }, comparator: "drop table" }, { group: [] }, { "bad name": 1 }, { A: {} }]) {
      (() => bulkCriteria(bad)).should.throw(/INVALID_INPUT/, JSON.stringify(bad));
    }
    typedValue("12", "integer").should.equal(12);
    // Uploads go to the data center's file host; a proxy or the simulator keeps its own address.
    const { apiBaseFor } = require("../dist/nodes/zoho");
    apiBaseFor("files", "https://www.zohoapis.eu").should.equal("https://content.zohoapis.eu");
    apiBaseFor("files", "https://sandbox.zohoapis.com.au").should.equal("https://content.zohoapis.com.au");
    apiBaseFor("files", "http://127.0.0.1:8090").should.equal("http://127.0.0.1:8090");
    apiBaseFor("bulk", "https://www.zohoapis.in").should.equal("https://www.zohoapis.in");
    typedValue("true", "boolean").should.be.true();
    typedValue("a;b", "multiselectpicklist").should.eql(["a", "b"]);
    typedValue("123", "lookup").should.eql({ id: "123" });
    should(typedValue("", "text")).be.null();
    typedValue("12345678901234567890", "bigint").should.equal("12345678901234567890"); // too large to be exact: kept as text
  });
});

describe("bulk: Bulk Write imports", function () {
  let sim, client;
  beforeEach(async () => {
    ({ sim } = await startSimulator());
    sim.bulk.stepMs = 5;
    client = simClient(sim, sim.issueRefreshToken(CLIENT_ID, BULK_SCOPE));
  });
  afterEach(async () => sim.stop());

  const leads = (n, tag) => Array.from({ length: n }, (_, i) => ({ Last_Name: `${tag} ${i}`, Email: `${tag}.${i}@example.com`, No_of_Employees: i, Languages_Known: ["English", "German"] }));
  const held = (tag) => sim.records("Leads").filter((r) => String(r.Email).startsWith(`${tag}.`));

  it("creates records in jobs of at most 25,000 (here 250), every record once, with Zoho's outcome", async () => {
    const input = leads(600, "bw");
    input[7] = { Last_Name: "", Email: "bad" }; // skipped by Zoho: no Last_Name, not an email
    const results = await bulkWriteRecords(client, { operation: "create", module: "Leads", records: input, jobSize: 250, ...fast });
    results.should.have.length(600);
    results.forEach((r, i) => r.index.should.equal(i));
    results.filter((r) => r.ok).should.have.length(599);
    results[7].ok.should.be.false();
    results[7].code.should.equal("MANDATORY_NOT_FOUND");
    results[0].id.should.match(/^\d{18,19}$/);
    held("bw").should.have.length(599);
    new Set(held("bw").map((r) => r.Email)).size.should.equal(599);
    held("bw")[0].Languages_Known.should.eql(["English", "German"]);
    const uploads = sim.requests.filter((r) => r.path === "/crm/v8/upload");
    uploads.should.have.length(3);
    uploads.forEach((u) => {
      u.headers.feature.should.equal("bulk-write");
      u.headers["x-crm-org"].should.equal(sim.org.zgid);
    });
    sim.requests.filter((r) => r.method === "POST" && r.path === "/crm/bulk/v8/write").should.have.length(3);
  });

  it("upserts by the duplicate-check field: inserts and updates reported as such", async () => {
    await bulkWriteRecords(client, { operation: "create", module: "Leads", records: leads(3, "up"), ...fast });
    const input = [...leads(3, "up").map((r) => ({ ...r, Company: "Updated" })), ...leads(2, "upnew")];
    const results = await bulkWriteRecords(client, { operation: "upsert", module: "Leads", records: input, findBy: "Email", ...fast });
    results.map((r) => r.action).should.eql(["update", "update", "update", "insert", "insert"]);
    held("up").every((r) => r.Company === "Updated").should.be.true();
    held("upnew").should.have.length(2);
  });

  it("without the file scope, every record fails with advice naming the bulk scopes; nothing is written", async () => {
    const c = simClient(sim, sim.issueRefreshToken(CLIENT_ID, `${DEFAULT_SCOPE} ZohoCRM.bulk.ALL`));
    const results = await bulkWriteRecords(c, { operation: "create", module: "Leads", records: leads(3, "noscope"), ...fast });
    results.every((r) => !r.ok && r.code === "OAUTH_SCOPE_MISMATCH").should.be.true();
    results[0].advice.should.match(/ZohoFiles\.files\.ALL/);
    held("noscope").should.have.length(0);
  });

  it("stopped while a job runs: its records are OUTCOME_UNKNOWN naming the job, later jobs not created (ABORTED)", async () => {
    sim.bulk.pause();
    const ctl = new AbortController();
    const writing = bulkWriteRecords(client, { operation: "create", module: "Leads", records: leads(30, "stop"), jobSize: 10, signal: ctl.signal, ...fast });
    await waitFor(() => sim.requests.some((r) => r.method === "POST" && r.path === "/crm/bulk/v8/write"), { what: "the first job" });
    ctl.abort();
    const results = await writing;
    results.slice(0, 10).every((r) => r.code === "OUTCOME_UNKNOWN" && /bulk job (\d+|\?)/.test(r.message)).should.be.true();
    results.slice(10).every((r) => r.code === "ABORTED").should.be.true();
    sim.requests.filter((r) => r.method === "POST" && r.path === "/crm/bulk/v8/write").should.have.length(1);
    sim.bulk.resume();
  });
});
