"use strict";
// Tests for the simulator's COQL COUNT(), Bulk Read and Bulk Write (dist/simulator bulk-*.ts, zip-csv.ts).
// Run: npm run build && npx mocha --no-config --exit --timeout 60000 test/simulator-bulk.spec.js
const should = require("should");
const { unzipSync, zipSync, strToU8 } = require("fflate");
const { parse } = require("csv-parse/sync");
const { stringify } = require("csv-stringify/sync");
const { ZohoSimulator } = require("../dist/simulator");
const { simAuth, simHttp, simClient, waitFor, CLIENT_ID, CLIENT_SECRET } = require("./fixtures");

const ALL_SCOPES = "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.org.READ ZohoCRM.coql.READ ZohoCRM.bulk.ALL ZohoFiles.files.ALL ZohoCRM.notifications.ALL";
const ZGID = "60012345678";

describe("Zoho simulator: COQL COUNT, Bulk Read, Bulk Write", function () {
  this.timeout(60000);
  let sim;
  let url;
  let H; // auth header with every scope

  const token = (scope = ALL_SCOPES) => simAuth(sim, scope);
  const { call, get } = simHttp(() => url, () => H);

  const createRead = (query, extra = {}, headers) => call("POST", "/crm/bulk/v8/read", { body: { query, ...extra }, headers });
  async function readJob(query, extra) {
    const r = await createRead(query, extra);
    r.status.should.equal(201, JSON.stringify(r.body));
    const id = r.body.data[0].details.id;
    sim.bulk.complete(id);
    const s = await get(`/crm/bulk/v8/read/${id}`);
    s.status.should.equal(200);
    return s.body.data[0];
  }
  /** the files of a ZIP answer, as text */
  function unzip(raw) {
    const out = {};
    for (const [name, data] of Object.entries(unzipSync(new Uint8Array(raw)))) out[name] = Buffer.from(data).toString("utf8");
    return out;
  }
  async function exportRows(query) {
    const job = await readJob(query);
    const r = await get(job.result.download_url);
    r.status.should.equal(200);
    r.headers.get("content-type").should.equal("application/zip");
    const files = unzip(r.raw);
    Object.keys(files).should.eql([`${job.id}.csv`]);
    return { job, rows: parse(files[`${job.id}.csv`], { columns: true }), text: files[`${job.id}.csv`] };
  }

  function zipOf(csv, name = "leads.csv") {
    return zipSync({ [name]: strToU8(typeof csv === "string" ? csv : stringify(csv)) });
  }
  async function upload(zip, { headers = { ...H, feature: "bulk-write", "X-CRM-ORG": ZGID }, field = "file", filename = "leads.zip" } = {}) {
    const form = new FormData();
    form.append(field, new Blob([zip]), filename);
    return call("POST", "/crm/v8/upload", { body: form, headers, type: null });
  }
  async function fileId(csv, name) {
    const r = await upload(zipOf(csv, name));
    r.status.should.equal(200, JSON.stringify(r.body));
    return r.body.details.file_id;
  }
  const createWrite = (body, headers) => call("POST", "/crm/bulk/v8/write", { body, headers });
  const resource = (file_id, extra = {}) => ({ type: "data", module: { api_name: "Leads" }, file_id, ...extra });
  /** run a bulk write to the end; its status and result rows */
  async function bulkWrite(body) {
    const r = await createWrite(body);
    r.status.should.equal(201, JSON.stringify(r.body));
    sim.bulk.complete(r.body.details.id);
    const s = await get(`/crm/bulk/v8/write/${r.body.details.id}`);
    s.status.should.equal(200);
    s.body.status.should.equal("COMPLETED");
    const d = await get(s.body.result.download_url);
    d.status.should.equal(200);
    const files = unzip(d.raw);
    const names = Object.keys(files);
    names.should.have.length(1);
    return { status: s.body, name: names[0], rows: parse(files[names[0]], { columns: true }), header: parse(files[names[0]])[0] };
  }

  before(async function () {
    sim = new ZohoSimulator();
    sim.addClient(CLIENT_ID, CLIENT_SECRET);
    url = await sim.start();
  });

  after(async function () {
    await sim.stop();
  });

  beforeEach(async function () {
    sim.reset();
    sim.bulk.pause(); // tests move jobs on with sim.bulk.advance / complete, unless they resume
    H = await token();
  });

  // ------------------------------------------------------------------------------------------
  describe("COQL COUNT()", function () {
    it("answers one row keyed by the expression, with the where clause of a normal select (through the package's client)", async function () {
      const seeded = sim.seedRecords("Leads", 300);
      const want = seeded.filter((r) => r.Lead_Score > 50 && r.Lead_Source === "Web Download").length;
      const refresh = sim.issueRefreshToken(CLIENT_ID, ALL_SCOPES);
      const client = simClient(sim, refresh);
      const q = (select_query) => client.request({ method: "POST", path: "/coql", body: { select_query }, passStatuses: [204] });
      let r = await q("select COUNT(id) from Leads where (Lead_Score > 50 and Lead_Source = 'Web Download')");
      r.status.should.equal(200);
      r.data.should.eql({ data: [{ "COUNT(id)": want }], info: { count: 1, more_records: false } });
      r = await q("select count(id) from Leads where id is not null");
      r.data.data.should.eql([{ "count(id)": 300 }]);
      r = await q("select COUNT(id) from Leads where Last_Name = 'Nobody at all'");
      r.status.should.equal(200);
      r.data.data.should.eql([{ "COUNT(id)": 0 }]);
      sim.seedRecords("Leads", [{ Last_Name: "No mail" }]);
      r = await q("select COUNT(Email) as mails, COUNT(id) from Leads where id is not null");
      r.data.data.should.eql([{ mails: 300, "COUNT(id)": 301 }]);
    });

    it("refuses other aggregates, columns next to COUNT, and a duplicate COUNT", async function () {
      const coql = (select_query) => call("POST", "/crm/v8/coql", { body: { select_query } });
      for (const bad of ["select SUM(Lead_Score) from Leads where id is not null", "select Last_Name, COUNT(id) from Leads where id is not null"]) {
        const r = await coql(bad);
        r.status.should.equal(400);
        r.body.code.should.equal("SYNTAX_ERROR");
      }
      let r = await coql("select COUNT(id), COUNT(id) from Leads where id is not null");
      r.status.should.equal(400);
      r.body.code.should.equal("DUPLICATE_DATA");
      r = await coql("select COUNT(Nope) from Leads where id is not null");
      r.status.should.equal(400);
      r.body.code.should.equal("INVALID_QUERY");
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("Bulk Read", function () {
    it("creates a job (201 ADDED_SUCCESSFULLY) that goes ADDED, QUEUED, IN PROGRESS, COMPLETED and snapshots its records at completion", async function () {
      sim.seedRecords("Leads", 20);
      const r = await createRead({ module: { api_name: "Leads" }, fields: ["Last_Name"] });
      r.status.should.equal(201);
      r.body.info.should.eql({});
      const item = r.body.data[0];
      item.should.have.properties({ status: "success", code: "ADDED_SUCCESSFULLY", message: "Added successfully." });
      item.details.should.have.keys("id", "operation", "state", "created_by", "created_time");
      item.details.should.have.properties({ operation: "read", state: "ADDED", created_by: { id: sim.user.id, name: sim.user.full_name } });
      const id = item.details.id;
      id.should.match(/^\d+$/);
      const states = [];
      for (let i = 0; i < 4; i++) {
        const s = await get(`/crm/bulk/v8/read/${id}`);
        s.status.should.equal(200);
        const job = s.body.data[0];
        states.push(job.state);
        job.should.have.properties({ id, operation: "read", file_type: "csv", created_time: item.details.created_time });
        job.query.should.eql({ module: { id: sim.modules.get("leads").id, api_name: "Leads" }, fields: ["Last_Name"], page: 1 });
        if (job.state !== "COMPLETED") should(job.result).be.undefined();
        if (i === 2) sim.seedRecords("Leads", 5); // still in the job: the records are taken when it completes
        sim.bulk.advance(id);
      }
      states.should.eql(["ADDED", "QUEUED", "IN PROGRESS", "COMPLETED"]);
      sim.seedRecords("Leads", 7); // after completion: not in the job
      const s = await get(`/crm/bulk/v8/read/${id}`);
      s.body.data[0].result.should.eql({ page: 1, per_page: 200000, count: 25, download_url: `/crm/bulk/v8/read/${id}/result`, more_records: false });
      const d = await get(`/crm/bulk/v8/read/${id}/result`);
      const rows = parse(unzip(d.raw)[`${id}.csv`], { columns: true });
      rows.should.have.length(25);
      sim.bulk.jobs.get(id).state.should.equal("COMPLETED");
    });

    it("moves jobs on by itself every sim.bulk.stepMs", async function () {
      sim.bulk.stepMs = 5;
      sim.bulk.resume();
      sim.seedRecords("Leads", 3);
      const r = await createRead({ module: { api_name: "Leads" } });
      const id = r.body.data[0].details.id;
      const job = await waitFor(async () => {
        const s = await get(`/crm/bulk/v8/read/${id}`);
        return s.body.data[0].state === "COMPLETED" && s.body.data[0];
      }, { what: "the job to complete" });
      job.result.count.should.equal(3);
    });

    it("needs ZohoCRM.bulk.READ (or ALL) and the module's READ scope", async function () {
      const noBulk = await token("ZohoCRM.modules.ALL");
      const noModule = await token("ZohoCRM.bulk.READ ZohoCRM.modules.contacts.READ");
      const ok = await token("ZohoCRM.bulk.read ZohoCRM.modules.leads.READ");
      for (const h of [noBulk, noModule]) {
        const r = await createRead({ module: { api_name: "Leads" } }, {}, h);
        r.status.should.equal(401);
        r.body.should.eql({ code: "OAUTH_SCOPE_MISMATCH", details: {}, message: "invalid oauth scope to access this URL", status: "error" });
      }
      const r = await createRead({ module: { api_name: "Leads" } }, {}, ok);
      r.status.should.equal(201);
      const id = r.body.data[0].details.id;
      (await get(`/crm/bulk/v8/read/${id}`, noBulk)).status.should.equal(401);
      (await get(`/crm/bulk/v8/read/${id}`, noModule)).status.should.equal(401);
      (await get(`/crm/bulk/v8/read/${id}`, ok)).status.should.equal(200);
    });

    it("answers 415 without Content-Type application/json, and Zoho's 400s for bad queries", async function () {
      let r = await call("POST", "/crm/bulk/v8/read", { body: JSON.stringify({ query: { module: { api_name: "Leads" } } }), type: "text/plain" });
      r.status.should.equal(415);
      r.body.code.should.equal("MEDIA_TYPE_NOT_SUPPORTED");
      const bad = async (body, code, details) => {
        const res = await call("POST", "/crm/bulk/v8/read", { body });
        res.status.should.equal(400, JSON.stringify(body));
        res.body.code.should.equal(code);
        res.body.status.should.equal("error");
        if (details) res.body.details.should.containEql(details);
      };
      await bad({}, "MANDATORY_NOT_FOUND", { api_name: "query", json_path: "$.query" });
      await bad({ query: {} }, "MANDATORY_NOT_FOUND", { api_name: "module", json_path: "$.query.module" });
      await bad({ query: { module: { api_name: "Nope" } } }, "INVALID_MODULE", { json_path: "$.query.module.api_name" });
      await bad({ query: { module: { api_name: "Home" } } }, "INVALID_MODULE");
      await bad({ query: { module: { api_name: "Leads" }, fields: ["Last_Name", "Nope"] } }, "INVALID_DATA", { api_name: "Nope", json_path: "$.query.fields[1]" });
      await bad({ query: { module: { api_name: "Leads" }, fields: ["Owner.nope"] } }, "INVALID_DATA");
      await bad({ query: { module: { api_name: "Leads" }, cvid: "abc" } }, "INVALID_DATA", { api_name: "cvid" });
      await bad({ query: { module: { api_name: "Leads" }, page: 2 } }, "INVALID_DATA", { api_name: "page" });
      await bad({ query: { module: { api_name: "Leads" }, page: 1, page_token: "x" } }, "AMBIGUITY_DURING_PROCESSING");
      await bad({ query: { page_token: "not-a-token" } }, "INVALID_DATA", { api_name: "page_token" });
      await bad({ query: { module: { api_name: "Leads" } }, file_type: "ics" }, "INVALID_DATA", { api_name: "file_type" });
      await bad({ query: { module: { api_name: "Leads" } }, callback: { url: "not a url" } }, "INVALID_DATA");
      const crit = (criteria) => ({ query: { module: { api_name: "Leads" }, criteria } });
      await bad(crit({ field: { api_name: "Nope" }, comparator: "equal", value: "x" }), "INVALID_DATA", { json_path: "$.query.criteria.field.api_name" });
      await bad(crit({ field: { api_name: "Lead_Score" }, comparator: "contains", value: "1" }), "INVALID_DATA", { api_name: "comparator" });
      await bad(crit({ field: { api_name: "Email_Opt_Out" }, comparator: "not_equal", value: true }), "INVALID_DATA", { api_name: "comparator" });
      await bad(crit({ field: { api_name: "Lead_Score" }, comparator: "equal", value: "ten" }), "INVALID_DATA", { json_path: "$.query.criteria.value" });
      await bad(crit({ field: { api_name: "Created_Time" }, comparator: "between", value: ["2024-01-01T00:00:00+05:30"] }), "INVALID_DATA");
      await bad(crit({ field: { api_name: "Last_Name" }, comparator: "equal" }), "MANDATORY_NOT_FOUND", { api_name: "value" });
      await bad(crit({ group_operator: "xor", group: [] }), "INVALID_DATA", { api_name: "group_operator" });
      await bad(crit({ group_operator: "and", group: [{ field: { api_name: "Nope" }, comparator: "equal", value: "x" }] }), "INVALID_DATA", { json_path: "$.query.criteria.group[0].field.api_name" });
      r = await get("/crm/bulk/v8/read/123456");
      r.status.should.equal(404);
      r.body.should.eql({ code: "RESOURCE_NOT_FOUND", details: { id: "123456" }, message: "The requested resource doesn't exist.", status: "error" });
      r = await get("/crm/bulk/v8/read");
      r.status.should.equal(400);
      r.body.code.should.equal("INVALID_REQUEST_METHOD");
      r = await get("/crm/bulk/v8/nope");
      r.status.should.equal(404);
      r.body.code.should.equal("INVALID_URL_PATTERN");
      r = await createRead({ module: { api_name: "Leads" } });
      r = await get(`/crm/bulk/v8/read/${r.body.data[0].details.id}/result`);
      r.status.should.equal(404); // not completed yet
      r.body.code.should.equal("RESOURCE_NOT_FOUND");
    });

    it("filters with criteria: comparators by type, groups, ${EMPTY} and relation fields", async function () {
      sim.bulk.downloadWindowMs = 0; // more than 10 downloads here: no per-minute limit
      const [zylker, acme] = sim.seedRecords("Accounts", [{ Account_Name: "Zylker", Phone: "555-1000" }, { Account_Name: "Acme" }]);
      sim.seedRecords("Contacts", [
        { Last_Name: "Boyle", First_Name: "Pat", Email: "pat@zylker.example", Account_Name: { id: zylker.id }, Email_Opt_Out: true, Date_of_Birth: "1990-05-01", Created_Time: "2024-02-10T10:00:00+05:30" },
        { Last_Name: "boyle", Email: "b2@acme.example", Account_Name: { id: acme.id }, Date_of_Birth: "1985-01-15", Created_Time: "2024-03-10T10:00:00+05:30" },
        { Last_Name: "Smith", First_Name: "Ann", Account_Name: { id: zylker.id }, Created_Time: "2024-04-10T10:00:00+05:30" },
        { Last_Name: "Jones", Email: "jones@other.example", Created_Time: "2024-05-10T10:00:00+05:30" },
      ]);
      const names = async (criteria) => {
        const { rows } = await exportRows({ module: { api_name: "Contacts" }, fields: ["Last_Name"], criteria });
        return rows.map((r) => r.Last_Name);
      };
      const c = (api_name, comparator, value) => ({ field: { api_name }, comparator, value });
      (await names(c("Last_Name", "equal", "BOYLE"))).should.eql(["Boyle", "boyle"]);
      (await names(c("Last_Name", "not_equal", "Boyle"))).should.eql(["Smith", "Jones"]);
      (await names(c("Last_Name", "in", ["Smith", "Jones"]))).should.eql(["Smith", "Jones"]);
      (await names(c("Email", "equal", "${EMPTY}"))).should.eql(["Smith"]);
      (await names(c("Email", "not_equal", "${EMPTY}"))).should.eql(["Boyle", "boyle", "Jones"]);
      (await names(c("Email", "ends_with", ".example"))).should.have.length(3);
      (await names(c("Email", "contains", "acme"))).should.eql(["boyle"]);
      (await names(c("Email", "not_contains", "acme"))).should.eql(["Boyle", "Smith", "Jones"]);
      (await names(c("First_Name", "starts_with", "an"))).should.eql(["Smith"]);
      (await names(c("Email_Opt_Out", "equal", true))).should.eql(["Boyle"]);
      (await names(c("Date_of_Birth", "less_than", "1989-01-01"))).should.eql(["boyle"]);
      (await names(c("Created_Time", "between", ["2024-03-01T00:00:00+05:30", "2024-04-30T23:59:59+05:30"]))).should.eql(["boyle", "Smith"]);
      (await names(c("Created_Time", "not_between", ["2024-03-01T00:00:00+05:30", "2024-04-30T23:59:59+05:30"]))).should.eql(["Boyle", "Jones"]);
      (await names(c("Account_Name", "equal", zylker.id))).should.eql(["Boyle", "Smith"]);
      (await names(c("Account_Name", "equal", "${EMPTY}"))).should.eql(["Jones"]);
      (await names(c("Account_Name.Account_Name", "equal", "Acme"))).should.eql(["boyle"]);
      (await names(c("Owner.last_name", "equal", "Boyle"))).should.have.length(4);
      (await names({ group_operator: "or", group: [c("Last_Name", "equal", "Jones"), { group_operator: "and", group: [c("Last_Name", "equal", "Boyle"), c("Email_Opt_Out", "equal", false)] }] })).should.eql(["boyle", "Jones"]);
    });

    it("writes Zoho's CSV: id first, numbers, booleans, ISO datetimes, yyyy-MM-dd dates, ';' multi-selects, ids for lookups and owners", async function () {
      const [zylker] = sim.seedRecords("Accounts", [{ Account_Name: "Zylker, Inc.", Phone: "555-1000" }]);
      const [lead] = sim.seedRecords("Leads", [
        {
          Last_Name: 'O"Brien, Jr.',
          Company: "Multi\nline",
          Lead_Score: 42,
          Annual_Revenue: 1234567.5,
          Email_Opt_Out: true,
          Newsletter: false,
          Next_Follow_Up: "2024-07-01",
          Trial_Start: "2024-06-01T09:30:00+05:30",
          Languages_Known: ["English", "German"],
        },
      ]);
      const [contact] = sim.seedRecords("Contacts", [{ Last_Name: "Boyle", Account_Name: { id: zylker.id } }]);
      const fields = ["Last_Name", "Company", "Lead_Score", "Annual_Revenue", "Email_Opt_Out", "Newsletter", "Next_Follow_Up", "Trial_Start", "Languages_Known", "Owner", "Email", "Owner.last_name", "Owner.email"];
      let { rows, text } = await exportRows({ module: { api_name: "Leads" }, fields });
      text.split("\n")[0].should.equal(["id", ...fields].join(","));
      rows.should.eql([
        {
          id: lead.id,
          Last_Name: 'O"Brien, Jr.',
          Company: "Multi\nline",
          Lead_Score: "42",
          Annual_Revenue: "1234567.5",
          Email_Opt_Out: "true",
          Newsletter: "false",
          Next_Follow_Up: "2024-07-01",
          Trial_Start: "2024-06-01T09:30:00+05:30",
          Languages_Known: "English;German",
          Owner: sim.user.id,
          Email: "",
          "Owner.last_name": "Boyle",
          "Owner.email": sim.user.email,
        },
      ]);
      ({ rows } = await exportRows({ module: { api_name: "Contacts" }, fields: ["Account_Name", "Account_Name.Account_Name", "Account_Name.Phone", "Created_Time"] }));
      rows.should.eql([{ id: contact.id, Account_Name: zylker.id, "Account_Name.Account_Name": "Zylker, Inc.", "Account_Name.Phone": "555-1000", Created_Time: contact.Created_Time }]);
      ({ rows } = await exportRows({ module: { api_name: "Contacts" } })); // all fields, in metadata order
      Object.keys(rows[0]).should.eql(["id", ...sim.modules.get("contacts").fields.map((f) => f.api_name)]);
    });

    it("pages with sim.bulk.pageSize: more_records, next_page_token, then page 2 and 3 from the token", async function () {
      sim.bulk.pageSize = 500;
      const seeded = sim.seedRecords("Leads", 1200);
      const ids = [];
      let job = await readJob({ module: { api_name: "Leads" }, fields: ["Last_Name"], criteria: { field: { api_name: "id" }, comparator: "greater_than", value: "0" } });
      job.result.should.have.properties({ page: 1, per_page: 500, count: 500, more_records: true });
      job.result.next_page_token.should.be.a.String();
      const pages = [job];
      while (job.result.more_records) {
        job = await readJob({ page_token: job.result.next_page_token });
        job.query.should.have.properties({ page: pages.length + 1, fields: ["Last_Name"] });
        pages.push(job);
      }
      pages.map((p) => [p.result.page, p.result.count, p.result.more_records]).should.eql([[1, 500, true], [2, 500, true], [3, 200, false]]);
      should(pages[2].result.next_page_token).be.undefined();
      for (const p of pages) {
        const d = await get(p.result.download_url);
        for (const r of parse(unzip(d.raw)[`${p.id}.csv`], { columns: true })) ids.push(r.id);
      }
      ids.should.eql(seeded.map((r) => r.id));
      const other = await createRead({ module: { api_name: "Contacts" }, page_token: pages[0].result.next_page_token });
      other.status.should.equal(400);
      other.body.details.api_name.should.equal("module");
    });

    it("sim.bulk.failNext makes the next job end in FAILURE, with no file", async function () {
      sim.bulk.failNext({ reason: "export failed (injected)" });
      const failed = await readJob({ module: { api_name: "Leads" } });
      failed.state.should.equal("FAILURE");
      failed.error.should.eql({ code: "INTERNAL_ERROR", message: "export failed (injected)" });
      should(failed.result).be.undefined();
      const d = await get(`/crm/bulk/v8/read/${failed.id}/result`);
      d.status.should.equal(404);
      d.body.details.state.should.equal("FAILURE");
      (await readJob({ module: { api_name: "Leads" } })).state.should.equal("COMPLETED");
      sim.bulk.failNext({ reason: "x", code: "LIMIT_EXCEEDED", operation: "write" });
      (await readJob({ module: { api_name: "Leads" } })).state.should.equal("COMPLETED"); // only a write fails
      [...sim.bulk.jobs.values()].map((j) => j.state).should.eql(["FAILURE", "COMPLETED", "COMPLETED"]);
    });

    it("allows 10 downloads per rolling window (sim.bulk.downloadWindowMs), the 11th gets 429", async function () {
      sim.bulk.downloadWindowMs = 400;
      sim.seedRecords("Leads", 2);
      const job = await readJob({ module: { api_name: "Leads" } });
      const started = Date.now();
      for (let i = 0; i < 10; i++) (await get(job.result.download_url)).status.should.equal(200);
      const r = await get(job.result.download_url);
      if (Date.now() - started < 400) {
        r.status.should.equal(429);
        r.body.code.should.equal("TOO_MANY_REQUESTS");
      }
      await new Promise((res) => setTimeout(res, 420));
      (await get(job.result.download_url)).status.should.equal(200);
    });

    it("bulk paths are CRM calls: faults, latency and the request log apply", async function () {
      sim.seedRecords("Leads", 2);
      sim.inject({ match: { path: /^\/crm\/bulk\/v8\/read$/ }, status: 500 });
      let r = await createRead({ module: { api_name: "Leads" } });
      r.status.should.equal(500);
      r.body.code.should.equal("INTERNAL_ERROR");
      const job = await readJob({ module: { api_name: "Leads" } });
      sim.inject({ match: { path: /\/result$/ }, status: 429 });
      (await get(job.result.download_url)).status.should.equal(429);
      sim.setLatency(150);
      const t0 = Date.now();
      r = await get(job.result.download_url);
      (Date.now() - t0).should.be.aboveOrEqual(140);
      r.status.should.equal(200);
      sim.setLatency(0);
      sim.count({ path: `/crm/bulk/v8/read/${job.id}/result` }).should.equal(2);
      sim.requests.filter((e) => e.path.startsWith("/crm/bulk/")).every((e) => e.status !== undefined).should.be.true();
      sim.inFlight.should.equal(0);
    });

    it("streams a large export as a valid ZIP", async function () {
      sim.seedRecords("Leads", 5000);
      const { rows } = await exportRows({ module: { api_name: "Leads" } });
      rows.should.have.length(5000);
      rows[4999].id.should.equal(sim.records("Leads")[4999].id);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("Bulk Write", function () {
    const leadsCsv = [
      ["Last_Name", "Email", "Lead_Score", "Next_Follow_Up", "Trial_Start", "Email_Opt_Out", "Languages_Known", "Annual_Revenue"],
      ["Adams", "adams@x.example", "10", "12/31/2024", "06/01/2024 09:30:00", "TRUE", "English;German", "1000.5"],
      ["Baker", "baker@x.example", "", "2024-02-03", "2024-06-01T10:00:00Z", "false", "", ""],
      ["", "nolast@x.example", "ten", "13/45/2024", "", "maybe", "", ""],
      ["Clark", "adams@x.example", "5", "", "", "", "", ""],
    ];

    it("upload: needs feature and X-CRM-ORG headers, ZohoFiles.files.ALL, multipart with a zipped CSV", async function () {
      const zip = zipOf(leadsCsv);
      let r = await upload(zip);
      r.status.should.equal(200);
      r.body.should.have.properties({ status: "success", code: "FILE_UPLOAD_SUCCESS", message: "file uploaded." });
      r.body.details.should.have.keys("file_id", "created_time");
      sim.bulk.files.get(r.body.details.file_id).rows.should.have.length(4);
      const org = (await get("/crm/v8/org")).body.org[0];
      org.zgid.should.equal(ZGID);
      r = await upload(zip, { headers: { ...H, "X-CRM-ORG": ZGID } });
      r.status.should.equal(400);
      r.body.should.have.properties({ code: "MANDATORY_NOT_FOUND", details: { header_name: "feature" } });
      r = await upload(zip, { headers: { ...H, feature: "bulk-write" } });
      r.status.should.equal(400);
      r.body.should.have.properties({ code: "MANDATORY_NOT_FOUND", details: { header_name: "X-CRM-ORG" } });
      r = await upload(zip, { headers: { ...H, feature: "bulk-write", "X-CRM-ORG": org.id } });
      r.status.should.equal(400);
      r.body.should.have.properties({ code: "INVALID_DATA", details: { header_name: "X-CRM-ORG" } });
      r = await upload(zip, { headers: { ...H, feature: "bulk-read", "X-CRM-ORG": ZGID } });
      r.status.should.equal(400);
      r.body.code.should.equal("INVALID_DATA");
      r = await upload(zip, { headers: { ...(await token("ZohoCRM.modules.ALL ZohoCRM.bulk.ALL")), feature: "bulk-write", "X-CRM-ORG": ZGID } });
      r.status.should.equal(401);
      r.body.code.should.equal("OAUTH_SCOPE_MISMATCH");
      r = await upload(zip, { field: "attachment" });
      r.status.should.equal(400);
      r.body.should.have.properties({ code: "MANDATORY_NOT_FOUND", details: { param_name: "file" } });
      r = await upload(strToU8("Last_Name\nplain csv, not zipped\n"));
      r.status.should.equal(400);
      r.body.should.have.properties({ code: "INVALID_FILE_FORMAT", message: "The file you uploaded is not in the zip format." });
      r = await upload(zipSync({ "a.csv": strToU8("Last_Name\nA\n"), "b.csv": strToU8("Last_Name\nB\n") }));
      r.status.should.equal(400);
      r.body.code.should.equal("INVALID_FILE_FORMAT");
      r = await call("POST", "/crm/v8/upload", { body: "x", headers: { ...H, feature: "bulk-write", "X-CRM-ORG": ZGID }, type: "application/zip" });
      r.status.should.equal(415);
      const log = sim.requests.find((e) => e.path === "/crm/v8/upload");
      log.body.should.eql({ file: `<file leads.zip, ${zip.length} bytes>` });
    });

    it("insert: states ADDED, IN PROGRESS, COMPLETED; converts the CSV's values; result CSV with RECORD_ID, STATUS, ERRORS", async function () {
      const id = await fileId(leadsCsv);
      const r = await createWrite({ operation: "insert", resource: [resource(id)] });
      r.status.should.equal(201);
      r.body.should.eql({ status: "success", code: "SUCCESS", message: "success", details: { id: r.body.details.id, created_by: { id: sim.user.id, name: sim.user.full_name } } });
      const job = r.body.details.id;
      const seen = [];
      for (let i = 0; i < 3; i++) {
        const s = await get(`/crm/bulk/v8/write/${job}`);
        s.status.should.equal(200);
        seen.push([s.body.status, s.body.resource[0].status, s.body.resource[0].file.total_count]);
        s.body.should.have.properties({ id: job, operation: "insert", character_encoding: "UTF-8" });
        s.body.resource[0].module.should.eql({ api_name: "Leads", id: sim.modules.get("leads").id });
        if (s.body.status !== "COMPLETED") should(s.body.result).be.undefined();
        sim.bulk.advance(job);
      }
      seen.should.eql([["ADDED", "ADDED", undefined], ["IN PROGRESS", "IN PROGRESS", 4], ["COMPLETED", "COMPLETED", 4]]);
      const s = await get(`/crm/bulk/v8/write/${job}`);
      s.body.resource[0].file.should.eql({ status: "COMPLETED", name: "leads.csv", added_count: 2, skipped_count: 2, updated_count: 0, total_count: 4 });
      s.body.result.download_url.should.equal(`${url}/v8/crm/${sim.org.domain_name}/bulk-write/${job}/${job}.zip`);
      const d = await get(s.body.result.download_url);
      d.status.should.equal(200);
      const files = unzip(d.raw);
      Object.keys(files).should.eql(["Leads-leads.csv"]);
      const rows = parse(files["Leads-leads.csv"]);
      rows[0].should.eql(["Last_Name", "Email", "Lead_Score", "RECORD_ID", "STATUS", "ERRORS"]);
      const stored = sim.records("Leads");
      stored.should.have.length(2);
      rows.slice(1).should.eql([
        ["Adams", "adams@x.example", "10", stored[0].id, "ADDED", ""],
        ["Baker", "baker@x.example", "", stored[1].id, "ADDED", ""],
        ["", "nolast@x.example", "ten", "", "SKIPPED", "MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-Lead_Score,Next_Follow_Up,Email_Opt_Out"],
        ["Clark", "adams@x.example", "5", "", "SKIPPED", "DUPLICATE_DATA-Email"],
      ]);
      stored[0].should.have.properties({
        Last_Name: "Adams",
        Lead_Score: 10,
        Next_Follow_Up: "2024-12-31",
        Trial_Start: "2024-06-01T09:30:00+05:30",
        Email_Opt_Out: true,
        Languages_Known: ["English", "German"],
        Annual_Revenue: 1000.5,
      });
      stored[1].should.have.properties({ Last_Name: "Baker", Lead_Score: null, Next_Follow_Up: "2024-02-03", Trial_Start: "2024-06-01T10:00:00Z", Email_Opt_Out: false });
    });

    it("maps columns with field_mappings (index, default_value, lookups by find_by) and the header row without them", async function () {
      const [zylker] = sim.seedRecords("Accounts", [{ Account_Name: "Zylker" }]);
      const csv = [["Surname", "Company name", "Mail", "Account id"], ["Doe", "Zylker", "doe@x.example", zylker.id], ["Roe", "nobody", "roe@x.example", ""]];
      const id = await fileId(csv, "contacts.csv");
      const { rows, name } = await bulkWrite({
        operation: "insert",
        resource: [
          {
            type: "data",
            module: { api_name: "Contacts" },
            file_id: id,
            field_mappings: [
              { api_name: "Last_Name", index: 0 },
              { api_name: "Account_Name", index: 1, find_by: "Account_Name" },
              { api_name: "Email", index: "2" },
              { api_name: "Lead_Source", default_value: { value: "Trade Show" } },
            ],
          },
        ],
      });
      name.should.equal("Contacts-contacts.csv");
      rows.map((r) => [r.Surname, r.STATUS, r.ERRORS]).should.eql([["Doe", "ADDED", ""], ["Roe", "SKIPPED", "INVALID_DATA-Company name"]]);
      const [doe] = sim.records("Contacts");
      doe.should.have.properties({ Last_Name: "Doe", Email: "doe@x.example", Lead_Source: "Trade Show", Account_Name: { name: "Zylker", id: zylker.id } });
      // no field_mappings: header names are API names ("<Lookup>.id" and "<Lookup>.<field>" for lookups), others ignored
      const id2 = await fileId([["Last_Name", "Account_Name.id", "Unknown_Column"], ["Poe", zylker.id, "x"]], "c2.csv");
      const auto = await bulkWrite({ operation: "insert", resource: [{ type: "data", module: { api_name: "Contacts" }, file_id: id2 }] });
      auto.rows.map((r) => r.STATUS).should.eql(["ADDED"]);
      sim.records("Contacts")[1].Account_Name.should.eql({ name: "Zylker", id: zylker.id });
    });

    it("update and upsert by find_by (id or a unique field); ignore_empty keeps what an empty cell would clear", async function () {
      const [a, b] = sim.seedRecords("Leads", [
        { Last_Name: "Adams", Email: "adams@x.example", Company: "Old A", Lead_Score: 1 },
        { Last_Name: "Baker", Email: "baker@x.example", Company: "Old B", Lead_Score: 2 },
      ]);
      let id = await fileId([["Email", "Company", "Lead_Score"], ["ADAMS@x.example", "New A", ""], ["nobody@x.example", "New N", "3"], ["", "x", "4"]]);
      let out = await bulkWrite({ operation: "update", ignore_empty: true, resource: [resource(id, { find_by: "Email" })] });
      out.rows.map((r) => [r.STATUS, r.RECORD_ID, r.ERRORS]).should.eql([["UPDATED", a.id, ""], ["SKIPPED", "", "RESOURCE_NOT_FOUND-Email"], ["SKIPPED", "", "MANDATORY_NOT_FOUND-Email"]]);
      out.status.resource[0].file.should.have.properties({ added_count: 0, updated_count: 1, skipped_count: 2, total_count: 3 });
      sim.records("Leads")[0].should.have.properties({ Company: "New A", Lead_Score: 1, Email: "ADAMS@x.example" });
      id = await fileId([["id", "Company", "Lead_Score"], [b.id, "New B", ""]]);
      await bulkWrite({ operation: "update", resource: [resource(id, { find_by: "id" })] });
      sim.records("Leads")[1].should.have.properties({ Company: "New B", Lead_Score: null });
      id = await fileId([["Last_Name", "Email", "Company"], ["Baker", "baker@x.example", "Upserted B"], ["Newman", "new@x.example", "N"]]);
      out = await bulkWrite({ operation: "upsert", resource: [resource(id, { find_by: "Email" })] });
      out.rows.map((r) => r.STATUS).should.eql(["UPDATED", "ADDED"]);
      out.status.resource[0].file.should.have.properties({ added_count: 1, updated_count: 1, skipped_count: 0 });
      sim.records("Leads").map((r) => r.Company).should.eql(["New A", "Upserted B", "N"]);
      // insert with find_by skips rows that match a record
      id = await fileId([["Last_Name", "Email"], ["Again", "new@x.example"]]);
      out = await bulkWrite({ operation: "insert", resource: [resource(id, { find_by: "Email" })] });
      out.rows.map((r) => [r.STATUS, r.ERRORS]).should.eql([["SKIPPED", "DUPLICATE_DATA-Email"]]);
    });

    it("request errors: find_by required for update / upsert, bad operation, file, mappings; 415; scopes", async function () {
      const id = await fileId(leadsCsv);
      const bad = async (body, status, code, details) => {
        const r = await createWrite(body);
        r.status.should.equal(status, JSON.stringify(body));
        r.body.code.should.equal(code);
        if (details) r.body.details.should.containEql(details);
      };
      await bad({ operation: "update", resource: [resource(id)] }, 400, "MANDATORY_NOT_FOUND", { api_name: "find_by", json_path: "$.resource[0].find_by" });
      await bad({ operation: "upsert", resource: [resource(id)] }, 400, "MANDATORY_NOT_FOUND", { api_name: "find_by" });
      await bad({ operation: "upsert", resource: [resource(id, { find_by: "Company" })] }, 400, "INVALID_DATA", { api_name: "find_by" });
      await bad({ operation: "update", resource: [resource(id, { find_by: "id" })] }, 400, "INVALID_DATA", { api_name: "find_by" }); // not mapped
      await bad({ resource: [resource(id)] }, 400, "MANDATORY_NOT_FOUND", { api_name: "operation" });
      await bad({ operation: "merge", resource: [resource(id)] }, 400, "INVALID_DATA", { api_name: "operation" });
      await bad({ operation: "insert" }, 400, "MANDATORY_NOT_FOUND", { api_name: "resource" });
      await bad({ operation: "insert", resource: [resource(id), resource(id)] }, 400, "NOT_SUPPORTED");
      await bad({ operation: "insert", resource: [resource("999")] }, 400, "INVALID_DATA", { api_name: "file_id" });
      await bad({ operation: "insert", resource: [{ ...resource(id), module: { api_name: "Nope" } }] }, 400, "INVALID_MODULE");
      await bad({ operation: "insert", resource: [resource(id, { field_mappings: [{ api_name: "Nope", index: 0 }] })] }, 400, "INVALID_DATA", { api_name: "Nope" });
      await bad({ operation: "insert", resource: [resource(id, { field_mappings: [{ api_name: "Last_Name", index: 99 }] })] }, 400, "INVALID_DATA", { api_name: "index" });
      await bad({ operation: "insert", resource: [{ ...resource(id, { field_mappings: [{ api_name: "Account_Name", index: 0 }] }), module: { api_name: "Contacts" } }] }, 400, "MANDATORY_NOT_FOUND", { api_name: "find_by" });
      let r = await call("POST", "/crm/bulk/v8/write", { body: JSON.stringify({ operation: "insert", resource: [resource(id)] }), type: "text/plain" });
      r.status.should.equal(415);
      r = await createWrite({ operation: "insert", resource: [resource(id)] }, await token("ZohoCRM.modules.ALL ZohoCRM.bulk.READ"));
      r.status.should.equal(401);
      r = await createWrite({ operation: "update", resource: [resource(id, { find_by: "Email" })] }, await token("ZohoCRM.bulk.CREATE ZohoCRM.modules.leads.CREATE"));
      r.status.should.equal(401);
      (await get("/crm/bulk/v8/write/42")).status.should.equal(404);
      r = await createWrite({ operation: "insert", resource: [resource(id)] });
      r = await get(`${url}/v8/crm/${sim.org.domain_name}/bulk-write/${r.body.details.id}/${r.body.details.id}.zip`);
      r.status.should.equal(404); // not completed yet
    });

    it("takes at most 25,000 rows per file", async function () {
      const rows = (n) => ["Last_Name", ...Array.from({ length: n }, (_, i) => `L${i}`)].join("\n") + "\n";
      let id = await fileId(rows(25001));
      const r = await createWrite({ operation: "insert", resource: [resource(id)] });
      r.status.should.equal(400);
      r.body.should.have.properties({ code: "LIMIT_EXCEEDED", details: { api_name: "file_id", json_path: "$.resource[0].file_id", limit: 25000 } });
      id = await fileId(rows(25000));
      const out = await bulkWrite({ operation: "insert", resource: [resource(id)] });
      out.status.resource[0].file.added_count.should.equal(25000);
      sim.records("Leads").should.have.length(25000);
    });

    it("a failed job writes nothing; bulk writes send no notification callbacks; sim.reset() clears bulk state", async function () {
      const id = await fileId(leadsCsv);
      sim.bulk.failNext({ reason: "import failed", operation: "write" });
      const r = await createWrite({ operation: "insert", resource: [resource(id)] });
      sim.bulk.complete();
      const s = await get(`/crm/bulk/v8/write/${r.body.details.id}`);
      s.body.status.should.equal("FAILURE");
      s.body.resource[0].status.should.equal("FAILED");
      s.body.error.should.eql({ code: "INTERNAL_ERROR", message: "import failed" });
      sim.records("Leads").should.have.length(0);
      const w = await call("POST", "/crm/v8/actions/watch", { body: { watch: [{ channel_id: 1, events: ["Leads.all"], notify_url: "https://example.com/hook" }] } });
      w.status.should.equal(201);
      await bulkWrite({ operation: "insert", resource: [resource(id)] });
      sim.records("Leads").should.have.length(2);
      await sim.callbacksSettled();
      sim.callbacks.should.have.length(0);
      (await call("POST", "/crm/v8/Leads", { body: { data: [{ Last_Name: "Api" }] } })).status.should.equal(201);
      await sim.callbacksSettled();
      sim.callbacks.should.have.length(1); // an API write does notify
      sim.bulk.pageSize = 10;
      sim.reset();
      sim.bulk.jobs.size.should.equal(0);
      sim.bulk.files.size.should.equal(0);
      sim.bulk.pageSize.should.equal(200000);
      sim.bulk.paused.should.be.false();
    });
  });
});
