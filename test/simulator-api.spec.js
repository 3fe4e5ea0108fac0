"use strict";
// Tests for the simulator's related records, notes, attachments, count, deleted records and Zoho Desk API
// (dist/simulator: related.ts, files.ts, records.ts, desk.ts). Run: npm run build && npx mocha --no-config --exit test/simulator-api.spec.js
const should = require("should");
const { ZohoSimulator } = require("../dist/simulator");
const { simAuth, simHttp, CLIENT_ID, CLIENT_SECRET } = require("./fixtures");

const DAY = 86400000;

describe("Zoho simulator: related records, files, count, deleted, Desk", function () {
  this.timeout(30000);
  let sim;
  let url;
  let H;

  const auth = (t) => ({ Authorization: `Zoho-oauthtoken ${t}` });
  const { call, get } = simHttp(() => url, () => H);

  function fileForm(name, bytes, type) {
    const fd = new FormData();
    fd.append("file", new Blob([bytes], type ? { type } : {}), name);
    return fd;
  }

  before(async function () {
    sim = new ZohoSimulator();
    sim.addClient(CLIENT_ID, CLIENT_SECRET);
    url = await sim.start();
    H = await simAuth(sim);
  });

  after(() => sim.stop());

  beforeEach(function () {
    sim.clearRecords();
    sim.clearFaults();
    sim.setLatency(0);
    sim.clock.real();
    sim.desk.reset();
  });

  // ------------------------------------------------------------------------------------------
  describe("related records", function () {
    it("lists an account's contacts and deals and a contact's deals; fields required; 204 when none", async function () {
      const [a, b] = sim.seedRecords("Accounts", [{ Account_Name: "Zylker" }, { Account_Name: "Other" }]);
      const [c1, c2] = sim.seedRecords("Contacts", [
        { Last_Name: "Boyle", Account_Name: { id: a.id } },
        { Last_Name: "Kate", Account_Name: { id: a.id } },
        { Last_Name: "Elsewhere", Account_Name: { id: b.id } },
      ]);
      sim.seedRecords("Deals", [
        { Deal_Name: "D1", Stage: "Qualification", Account_Name: { id: a.id }, Contact_Name: { id: c1.id } },
        { Deal_Name: "D2", Stage: "Qualification", Account_Name: { id: b.id }, Contact_Name: { id: c1.id } },
      ]);
      let r = await get(`/crm/v8/Accounts/${a.id}/Contacts`);
      r.status.should.equal(400);
      r.body.should.eql({ code: "REQUIRED_PARAM_MISSING", details: { param_name: "fields" }, message: "One of the expected parameter is missing", status: "error" });
      r = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name,Account_Name&sort_order=asc`);
      r.status.should.equal(200);
      r.body.data.map((d) => d.Last_Name).should.eql(["Boyle", "Kate"]);
      r.body.data[0].Account_Name.should.eql({ name: "Zylker", id: a.id });
      Object.keys(r.body.data[0]).sort().should.eql(["Account_Name", "Last_Name", "id"]);
      r.body.info.should.have.properties({ count: 2, page: 1, per_page: 200, more_records: false, next_page_token: null, sort_order: "asc" });
      r = await get(`/crm/v8/Accounts/${a.id}/Deals?fields=Deal_Name`);
      r.body.data.map((d) => d.Deal_Name).should.eql(["D1"]);
      r = await get(`/crm/v8/Contacts/${c1.id}/Deals?fields=Deal_Name&sort_order=asc`);
      r.body.data.map((d) => d.Deal_Name).should.eql(["D1", "D2"]);
      r = await get(`/crm/v8/Contacts/${c2.id}/Deals?fields=Deal_Name`);
      r.status.should.equal(204);
      r.raw.length.should.equal(0);
      should(r.headers.get("content-type")).be.null();
      r = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name&ids=${c2.id}`);
      r.body.data.map((d) => d.id).should.eql([c2.id]);
      (await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Nope`)).body.code.should.equal("INVALID_DATA");
    });

    it("pages as Get Records: page, per_page <= 200, page_token past 2,000, bound to the parent record", async function () {
      const [a, b] = sim.seedRecords("Accounts", [{ Account_Name: "Big" }, { Account_Name: "Small" }]);
      sim.seedRecords("Contacts", Array.from({ length: 2300 }, (_, i) => ({ Last_Name: `C${i}`, Account_Name: { id: a.id } })));
      sim.seedRecords("Contacts", Array.from({ length: 5 }, (_, i) => ({ Last_Name: `S${i}`, Account_Name: { id: b.id } })));
      (await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name&per_page=201`)).body.code.should.equal("INVALID_DATA");
      const seen = new Set();
      let info;
      for (let page = 1; page <= 10; page++) {
        const r = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name&per_page=200&page=${page}`);
        r.status.should.equal(200);
        r.body.data.forEach((d) => {
          d.Last_Name.should.startWith("C");
          seen.add(d.id);
        });
        info = r.body.info;
        info.page.should.equal(page);
      }
      info.more_records.should.be.true();
      const r11 = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name&per_page=200&page=11`);
      r11.body.code.should.equal("DISCRETE_PAGINATION_LIMIT_EXCEEDED");
      const foreign = await get(`/crm/v8/Accounts/${b.id}/Contacts?fields=Last_Name&page_token=${info.next_page_token}`);
      foreign.body.code.should.equal("TOKEN_BOUND_DATA_MISMATCH");
      (await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name&page=2&page_token=${info.next_page_token}`)).body.code.should.equal("AMBIGUITY_DURING_PROCESSING");
      let token = info.next_page_token;
      while (token) {
        const r = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name&per_page=200&page_token=${token}`);
        r.status.should.equal(200);
        r.body.data.forEach((d) => seen.add(d.id));
        token = r.body.info.more_records ? r.body.info.next_page_token : null;
      }
      seen.size.should.equal(2300);
      const small = await get(`/crm/v8/Accounts/${b.id}/Contacts?fields=Last_Name&sort_by=Created_Time&sort_order=asc&per_page=2`);
      small.body.data.length.should.equal(2);
      small.body.info.should.have.properties({ sort_by: "Created_Time", sort_order: "asc", more_records: true });
    });

    it("unknown parent, unknown related list, unknown module, wrong verb", async function () {
      const [lead] = sim.seedRecords("Leads", [{ Last_Name: "L" }]);
      let r = await get("/crm/v8/Accounts/1234567890123456789/Contacts?fields=Last_Name");
      r.status.should.equal(400);
      r.body.should.eql({ code: "INVALID_DATA", details: { resource_path_index: 1 }, message: "the id given seems to be invalid", status: "error" });
      r = await get(`/crm/v8/Leads/${lead.id}/Deals?fields=Deal_Name`);
      r.status.should.equal(400);
      r.body.should.eql({ code: "INVALID_DATA", details: { resource_path_index: 2 }, message: "the related list name given seems to be invalid", status: "error" });
      (await get(`/crm/v8/Leads/${lead.id}/notes?fields=Note_Title`)).body.details.should.eql({ resource_path_index: 2 });
      (await get(`/crm/v8/Nope/${lead.id}/Notes?fields=Note_Title`)).body.code.should.equal("INVALID_MODULE");
      r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments/123`);
      r.body.code.should.equal("INVALID_REQUEST_METHOD");
      r = await call("PUT", `/crm/v8/Leads/${lead.id}/Notes`, { body: { data: [{}] } });
      r.body.code.should.equal("INVALID_REQUEST_METHOD");
      for (const path of [`/crm/v8/Leads/${lead.id}/Notes/1/x`, `/crm/v8/Leads/${lead.id}/photo/1`, `/crm/v8/Leads/${lead.id}/Notes/1`]) {
        r = await get(path);
        r.status.should.equal(404);
        r.body.code.should.equal("INVALID_URL_PATTERN");
      }
    });

    it("needs the READ scope of the module and of the related module", async function () {
      const [a] = sim.seedRecords("Accounts", [{ Account_Name: "Zylker" }]);
      sim.seedRecords("Contacts", [{ Last_Name: "Boyle", Account_Name: { id: a.id } }]);
      let r = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name`, await simAuth(sim, "ZohoCRM.modules.accounts.READ"));
      r.status.should.equal(401);
      r.body.code.should.equal("OAUTH_SCOPE_MISMATCH");
      r = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name`, await simAuth(sim, "ZohoCRM.modules.contacts.READ"));
      r.status.should.equal(401);
      r = await get(`/crm/v8/Accounts/${a.id}/Contacts?fields=Last_Name`, await simAuth(sim, "ZohoCRM.modules.accounts.READ,ZohoCRM.modules.contacts.READ"));
      r.status.should.equal(200);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("settings/related_lists", function () {
    it("names each module's related lists with href and module", async function () {
      let r = await get("/crm/v8/settings/related_lists?module=Accounts");
      r.status.should.equal(200);
      r.body.related_lists.map((l) => l.api_name).should.eql(["Contacts", "Deals", "Notes", "Attachments"]);
      const contacts = r.body.related_lists[0];
      contacts.should.have.properties({ display_label: "Contacts", href: "Accounts/{ENTITYID}/Contacts", sequence_number: "1", type: "default", visible: true });
      contacts.module.api_name.should.equal("Contacts");
      contacts.id.should.match(/^\d+$/);
      r = await get("/crm/v8/settings/related_lists?module=Contacts");
      r.body.related_lists.map((l) => [l.api_name, l.module.api_name, l.href]).should.eql([
        ["Deals", "Deals", "Contacts/{ENTITYID}/Deals"],
        ["Notes", "Notes", "Contacts/{ENTITYID}/Notes"],
        ["Attachments", "Attachments", "Contacts/{ENTITYID}/Attachments"],
      ]);
      (await get("/crm/v8/settings/related_lists?module=Leads")).body.related_lists.map((l) => l.api_name).should.eql(["Notes", "Attachments"]);
      (await get("/crm/v8/settings/related_lists?module=Notes")).body.related_lists.should.eql([]);
      (await get("/crm/v8/settings/related_lists")).body.should.eql({ code: "REQUIRED_PARAM_MISSING", details: { param_name: "module" }, message: "One of the expected parameter is missing", status: "error" });
      (await get("/crm/v8/settings/related_lists?module=Nope")).body.code.should.equal("INVALID_MODULE");
      (await get("/crm/v8/settings/related_lists?module=Leads", await simAuth(sim, "ZohoCRM.modules.ALL"))).status.should.equal(401);
      (await get("/crm/v8/settings/related_lists?module=Leads", await simAuth(sim, "ZohoCRM.settings.related_lists.READ"))).status.should.equal(200);
      // each href, with the id put in, is a related-records path
      const [acc] = sim.seedRecords("Accounts", [{ Account_Name: "Zylker" }]);
      for (const l of (await get("/crm/v8/settings/related_lists?module=Accounts")).body.related_lists) {
        const path = l.href.replace("{ENTITYID}", acc.id);
        (await get(`/crm/v8/${path}?fields=id`)).status.should.equal(204);
      }
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("notes", function () {
    it("inserts notes through POST /Notes and under a record, lists them as the record's Notes", async function () {
      const [lead, other] = sim.seedRecords("Leads", [{ First_Name: "Patricia", Last_Name: "Boyle" }, { Last_Name: "Other" }]);
      let r = await call("POST", "/crm/v8/Notes", {
        body: { data: [{ Note_Title: "v8 form", Note_Content: "first", Parent_Id: { module: { api_name: "Leads" }, id: lead.id } }, { Note_Content: "second", Parent_Id: lead.id, $se_module: "Leads" }] },
      });
      r.status.should.equal(201);
      r.body.data.map((d) => [d.code, d.message]).should.eql([["SUCCESS", "record added"], ["SUCCESS", "record added"]]);
      r = await call("POST", "/crm/v8/Notes", {
        body: { data: [{ Note_Content: "no module", Parent_Id: lead.id }, { Note_Content: "bad parent", Parent_Id: { module: { api_name: "Leads" }, id: "1234567890123456789" } }, { Note_Title: "no content", Parent_Id: lead.id, $se_module: "Leads" }] },
      });
      r.status.should.equal(400);
      r.body.data[0].should.eql({ code: "MANDATORY_NOT_FOUND", details: { api_name: "$se_module", json_path: "$.data[0].$se_module" }, message: "required field not found", status: "error" });
      r.body.data[1].should.have.properties({ code: "INVALID_DATA", message: "the related id given seems to be invalid" });
      r.body.data[2].should.have.properties({ code: "MANDATORY_NOT_FOUND", details: { api_name: "Note_Content", json_path: "$.data[2].Note_Content" } });

      r = await call("POST", `/crm/v8/Leads/${lead.id}/Notes`, { body: { data: [{ Note_Title: "Call", Note_Content: "under the record" }, { Note_Title: "empty" }] } });
      r.status.should.equal(207);
      r.body.data[0].should.have.properties({ code: "SUCCESS", message: "record added", status: "success" });
      r.body.data[0].details.should.have.properties("id", "Created_Time", "Modified_Time", "Created_By");
      r.body.data[1].code.should.equal("MANDATORY_NOT_FOUND");
      const noteId = r.body.data[0].details.id;
      (await call("POST", "/crm/v8/Leads/1234567890123456789/Notes", { body: { data: [{ Note_Content: "x" }] } })).body.details.should.eql({ resource_path_index: 1 });

      r = await get(`/crm/v8/Leads/${lead.id}/Notes?fields=Note_Title,Note_Content,Parent_Id,$se_module&sort_order=asc`);
      r.status.should.equal(200);
      r.body.data.map((d) => d.Note_Content).should.eql(["first", "second", "under the record"]);
      r.body.data[2].Parent_Id.should.eql({ module: { api_name: "Leads", id: r.body.data[2].Parent_Id.module.id }, name: "Patricia Boyle", id: lead.id });
      r.body.data[2].$se_module.should.equal("Leads");
      (await get(`/crm/v8/Leads/${other.id}/Notes?fields=Note_Title`)).status.should.equal(204);
      const one = await get(`/crm/v8/Notes/${noteId}`);
      one.body.data[0].should.have.properties({ Note_Title: "Call", $se_module: "Leads" });
      // the Notes module lists, counts and searches like any module
      (await get("/crm/v8/Notes/actions/count")).body.should.eql({ count: 3 });
      (await get(`/crm/v8/Notes/search?criteria=(Note_Title:equals:Call)`)).body.data.map((d) => d.id).should.eql([noteId]);
    });

    it("creating notes under a record needs the Notes CREATE scope and the module's READ", async function () {
      const [lead] = sim.seedRecords("Leads", [{ Last_Name: "Boyle" }]);
      const body = { data: [{ Note_Content: "x" }] };
      let r = await call("POST", `/crm/v8/Leads/${lead.id}/Notes`, { headers: await simAuth(sim, "ZohoCRM.modules.leads.ALL"), body });
      r.status.should.equal(401);
      r.body.code.should.equal("OAUTH_SCOPE_MISMATCH");
      r = await call("POST", `/crm/v8/Leads/${lead.id}/Notes`, { headers: await simAuth(sim, "ZohoCRM.modules.notes.CREATE"), body });
      r.status.should.equal(401);
      r = await call("POST", `/crm/v8/Leads/${lead.id}/Notes`, { headers: await simAuth(sim, "ZohoCRM.modules.leads.READ,ZohoCRM.modules.notes.CREATE"), body });
      r.status.should.equal(201);
    });

    it("seeds notes on existing records", function () {
      sim.seedRecords("Accounts", 3);
      const notes = sim.seedRecords("Notes", 4);
      notes.forEach((n) => {
        n.Parent_Id.module.api_name.should.equal("Accounts");
        n.$se_module.should.equal("Accounts");
        n.Parent_Id.name.should.be.a.String();
      });
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("attachments and photo", function () {
    // every byte value, CRLFs and a boundary-looking line: a multipart parser that is not binary safe breaks it
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from("\r\n--boundary\r\n\r\n"), Buffer.alloc(70000, 0xa5), Buffer.from([0x0d, 0x0a])]);

    it("uploads, lists, downloads the same bytes and deletes", async function () {
      const [lead, other] = sim.seedRecords("Leads", [{ Last_Name: "Boyle" }, { Last_Name: "Other" }]);
      let r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments`, { body: fileForm("report.pdf", bytes, "application/pdf") });
      r.status.should.equal(200);
      r.body.data.length.should.equal(1);
      const up = r.body.data[0];
      up.should.have.properties({ code: "SUCCESS", message: "attachment uploaded successfully", status: "success" });
      up.details.should.have.properties("id", "Created_Time", "Modified_Time", "Created_By", "Modified_By");
      const id = up.details.id;
      sim.requests[sim.requests.length - 1].body.should.eql({ file: `<file report.pdf, ${bytes.length} bytes>` });

      r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments`, { body: fileForm("blob.bin", Buffer.from("tiny")) });
      const second = r.body.data[0].details.id;
      r = await get(`/crm/v8/Leads/${lead.id}/Attachments?fields=File_Name,Size,Parent_Id,$se_module&sort_order=asc`);
      r.status.should.equal(200);
      r.body.data.map((d) => [d.id, d.File_Name, d.Size, d.$se_module]).should.eql([[id, "report.pdf", String(bytes.length), "Leads"], [second, "blob.bin", "4", "Leads"]]);
      r.body.data[0].Parent_Id.should.have.properties({ id: lead.id, name: "Boyle" });
      (await get(`/crm/v8/Leads/${lead.id}/Attachments`)).body.code.should.equal("REQUIRED_PARAM_MISSING");
      (await get(`/crm/v8/Leads/${other.id}/Attachments?fields=File_Name`)).status.should.equal(204);

      r = await get(`/crm/v8/Leads/${lead.id}/Attachments/${id}`);
      r.status.should.equal(200);
      r.headers.get("content-type").should.equal("application/pdf");
      r.headers.get("content-disposition").should.match(/^attachment; filename="report\.pdf"/);
      r.headers.get("content-length").should.equal(String(bytes.length));
      r.raw.equals(bytes).should.be.true();
      r = await get(`/crm/v8/Leads/${lead.id}/Attachments/${second}`);
      r.headers.get("content-type").should.equal("application/octet-stream");
      r.raw.toString().should.equal("tiny");

      (await get(`/crm/v8/Leads/${other.id}/Attachments/${id}`)).body.should.eql({ code: "INVALID_DATA", details: { resource_path_index: 3 }, message: "the id given seems to be invalid", status: "error" });
      (await get(`/crm/v8/Leads/${lead.id}/Attachments/1234567890123456789`)).body.details.should.eql({ resource_path_index: 3 });

      r = await call("DELETE", `/crm/v8/Leads/${lead.id}/Attachments/${id}`);
      r.body.should.eql({ data: [{ code: "SUCCESS", details: { id }, message: "record deleted", status: "success" }] });
      (await get(`/crm/v8/Leads/${lead.id}/Attachments/${id}`)).status.should.equal(400);
      (await get(`/crm/v8/Leads/${lead.id}/Attachments?fields=File_Name`)).body.data.map((d) => d.id).should.eql([second]);
    });

    it("refuses a body that is not multipart, a missing file, an unknown record; needs the attachments scope", async function () {
      const [lead] = sim.seedRecords("Leads", [{ Last_Name: "Boyle" }]);
      let r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments`, { body: { data: [] } });
      r.status.should.equal(415);
      r.body.code.should.equal("MEDIA_TYPE_NOT_SUPPORTED");
      const fd = new FormData();
      fd.append("other", "text");
      r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments`, { body: fd });
      r.status.should.equal(400);
      r.body.should.eql({ code: "MANDATORY_NOT_FOUND", details: { param_name: "file" }, message: "required param not found", status: "error" });
      r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments`, { body: fileForm("big.bin", Buffer.alloc(20 * 1024 * 1024 + 1)) });
      r.status.should.equal(413);
      r.body.code.should.equal("FILE_TOO_LARGE");
      r = await call("POST", "/crm/v8/Leads/1234567890123456789/Attachments", { body: fileForm("a.txt", Buffer.from("a")) });
      r.body.details.should.eql({ resource_path_index: 1 });
      r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments`, { headers: await simAuth(sim, "ZohoCRM.modules.leads.ALL"), body: fileForm("a.txt", Buffer.from("a")) });
      r.status.should.equal(401);
      const t = await simAuth(sim, "ZohoCRM.modules.leads.READ,ZohoCRM.modules.attachments.ALL");
      r = await call("POST", `/crm/v8/Leads/${lead.id}/Attachments`, { headers: t, body: fileForm("a.txt", Buffer.from("a")) });
      r.status.should.equal(200);
      r = await get(`/crm/v8/Leads/${lead.id}/Attachments/${r.body.data[0].details.id}`, t);
      r.headers.get("content-type").should.equal("text/plain");
      r.raw.toString().should.equal("a");
    });

    it("uploads, downloads and deletes a record photo", async function () {
      const [contact] = sim.seedRecords("Contacts", [{ Last_Name: "Boyle" }]);
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytes]);
      (await get(`/crm/v8/Contacts/${contact.id}/photo`)).status.should.equal(204);
      let r = await call("POST", `/crm/v8/Contacts/${contact.id}/photo`, { body: fileForm("face.png", png, "image/png") });
      r.status.should.equal(200);
      r.body.should.eql({ code: "SUCCESS", details: {}, message: "photo uploaded successfully", status: "success" });
      r = await get(`/crm/v8/Contacts/${contact.id}/photo`);
      r.headers.get("content-type").should.equal("image/png");
      r.raw.equals(png).should.be.true();
      r = await call("POST", `/crm/v8/Contacts/${contact.id}/photo`, { body: fileForm("notes.txt", Buffer.from("x")) });
      r.status.should.equal(400);
      r.body.code.should.equal("INVALID_DATA");
      (await call("POST", `/crm/v8/Contacts/${contact.id}/photo`, { headers: await simAuth(sim, "ZohoCRM.modules.contacts.READ"), body: fileForm("f.png", png) })).status.should.equal(401);
      r = await call("DELETE", `/crm/v8/Contacts/${contact.id}/photo`);
      r.body.message.should.equal("photo deleted");
      (await get(`/crm/v8/Contacts/${contact.id}/photo`)).status.should.equal(204);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("count", function () {
    it("counts all, or by criteria (escaped values), email, phone, word; cvid", async function () {
      sim.seedRecords("Leads", [
        { Last_Name: "Burns,B", First_Name: "Mia", City: "Paris", Email: "mia@zylker.example.com", Phone: "+1 (555) 010-2030" },
        { Last_Name: "O(Brien)", City: "Paris", Email: "ob@zylker.example.com" },
        { Last_Name: "K\\", City: "Berlin" },
        { Last_Name: "Burnside", City: "Berlin", Company: "Widget Works" },
      ]);
      const count = async (qs) => (await get(`/crm/v8/Leads/actions/count${qs}`)).body;
      (await count("")).should.eql({ count: 4 });
      const crit = (c) => `?criteria=${encodeURIComponent(c)}`;
      (await count(crit("(Last_Name:equals:Burns\\,B)"))).should.eql({ count: 1 });
      (await count(crit("(Last_Name:equals:O\\(Brien\\))"))).should.eql({ count: 1 });
      (await count(crit("(Last_Name:equals:K\\\\)"))).should.eql({ count: 1 });
      (await count(crit("((Last_Name:starts_with:Burn)and(City:equals:Berlin))"))).should.eql({ count: 1 });
      (await count(crit("((City:equals:Paris)or(City:equals:Berlin))"))).should.eql({ count: 4 });
      (await count(crit("(City:in:Paris,Rome)"))).should.eql({ count: 2 });
      (await count("?email=MIA@zylker.example.com")).should.eql({ count: 1 });
      (await count("?phone=5550102030")).should.eql({ count: 1 });
      (await count("?word=widget")).should.eql({ count: 1 });
      (await count("?cvid=5725767000000087501")).should.eql({ count: 4 });
      (await count(crit("(City:equals:Nowhere)"))).should.eql({ count: 0 });
      (await count("?cvid=abc")).code.should.equal("INVALID_DATA");
      (await count(crit("(Bogus:equals:x)"))).code.should.equal("INVALID_QUERY");
      (await count("?word=a")).code.should.equal("INVALID_DATA");
      (await get("/crm/v8/Leads/actions/count", await simAuth(sim, "ZohoCRM.modules.contacts.READ"))).status.should.equal(401);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("deleted records", function () {
    it("filters type=recycle / permanent / all and pages them", async function () {
      const leads = sim.seedRecords("Leads", Array.from({ length: 5 }, (_, i) => ({ Last_Name: `L${i}` })));
      const r0 = await call("DELETE", `/crm/v8/Leads?ids=${leads.slice(0, 3).map((l) => l.id).join(",")}`);
      r0.status.should.equal(200);
      sim.ui.delete("Leads", leads[3].id, { permanent: true });
      sim.ui.delete("Leads", leads[4].id, { permanent: true });
      const recycle = await get("/crm/v8/Leads/deleted?type=recycle");
      recycle.body.data.map((d) => d.id).sort().should.eql(leads.slice(0, 3).map((l) => l.id).sort());
      recycle.body.data.forEach((d) => {
        d.type.should.equal("recycle");
        d.display_name.should.match(/^L[012]$/);
      });
      const permanent = await get("/crm/v8/Leads/deleted?type=permanent");
      permanent.body.data.map((d) => d.id).sort().should.eql(leads.slice(3).map((l) => l.id).sort());
      permanent.body.data.forEach((d) => should(d.display_name).be.null());
      (await get("/crm/v8/Leads/deleted")).body.data.length.should.equal(5);
      (await get("/crm/v8/Leads/deleted?type=all")).body.info.should.have.properties({ count: 5, more_records: false });
      (await get("/crm/v8/Leads/deleted?type=bin")).body.code.should.equal("PATTERN_NOT_MATCHED");
      // paging: 2 + 2 + 1, then 204; per_page capped at 200
      const ids = [];
      for (let page = 1; page <= 3; page++) {
        const r = await get(`/crm/v8/Leads/deleted?per_page=2&page=${page}`);
        r.body.info.should.have.properties({ page, per_page: 2, count: page < 3 ? 2 : 1, more_records: page < 3 });
        ids.push(...r.body.data.map((d) => d.id));
      }
      new Set(ids).size.should.equal(5);
      (await get("/crm/v8/Leads/deleted?per_page=2&page=4")).status.should.equal(204);
      (await get("/crm/v8/Leads/deleted?type=recycle&per_page=2&page=2")).body.data.length.should.equal(1);
      (await get("/crm/v8/Leads/deleted?per_page=201")).body.code.should.equal("INVALID_DATA");
      // after 60 days the recycle bin's items show as permanent
      sim.clock.advance(61 * DAY);
      (await get("/crm/v8/Leads/deleted?type=recycle")).status.should.equal(204);
      (await get("/crm/v8/Leads/deleted?type=permanent")).body.data.length.should.equal(5);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("Zoho Desk", function () {
    let D; // headers with a Desk + CRM token

    before(async function () {
      D = await simAuth(sim, "ZohoCRM.modules.ALL,Desk.tickets.ALL,Desk.basic.READ");
    });

    const orgId = () => sim.desk.defaultOrg.info.id;
    const desk = (method, path, { headers, body, org = orgId() } = {}) => call(method, path, { headers: { ...(headers ?? D), ...(org ? { orgId: org } : {}) }, body });

    it("a grant holds CRM and Desk scopes: the refresh token's access tokens work on both", async function () {
      const rt = sim.issueRefreshToken(CLIENT_ID, "ZohoCRM.modules.ALL Desk.tickets.READ,Desk.basic.READ");
      const res = await fetch(`${url}/oauth/v2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: rt }).toString(),
      });
      const t = await res.json();
      t.scope.should.equal("ZohoCRM.modules.ALL Desk.tickets.READ Desk.basic.READ");
      t.api_domain.should.equal(url);
      (await get("/crm/v8/Leads?fields=Last_Name", auth(t.access_token))).status.should.equal(204);
      (await get("/api/v1/organizations", auth(t.access_token))).status.should.equal(200);
      const g = await (await fetch(`${url}/__sim/grant-token?client_id=${CLIENT_ID}&scope=${encodeURIComponent("Desk.tickets.ALL,Desk.basic.ALL")}`)).json();
      g.grant_token.should.match(/^1000\./);
    });

    it("lists organizations without orgId; Desk's error shape for a missing or bad token and a missing scope", async function () {
      let r = await get("/api/v1/organizations", D);
      r.status.should.equal(200);
      r.body.data.length.should.equal(2);
      r.body.data[0].should.have.properties({ id: "60012345678", isDefault: true, companyName: "Zylker Support (simulated)", portalName: "zylker" });
      r.body.data[1].isDefault.should.be.false();
      r = await get("/api/v1/organizations", {});
      r.status.should.equal(401);
      r.body.should.eql({ errorCode: "UNAUTHORIZED", message: "You are not authenticated to perform this operation." });
      r = await get("/api/v1/tickets", { ...auth("1000.nope.nope"), orgId: orgId() });
      r.status.should.equal(401);
      r.body.should.eql({ errorCode: "INVALID_OAUTH", message: "The OAuth Token you provided is invalid." });
      const crmOnly = H;
      r = await get("/api/v1/organizations", crmOnly);
      r.status.should.equal(403);
      r.body.should.eql({ errorCode: "SCOPE_MISMATCH", message: "The OAuth Token does not contain the scope to perform this operation." });
      (await desk("GET", "/api/v1/tickets", { headers: crmOnly })).body.errorCode.should.equal("SCOPE_MISMATCH");
      const ticketsOnly = await simAuth(sim, "Desk.tickets.READ");
      (await get("/api/v1/organizations", ticketsOnly)).status.should.equal(403);
      (await desk("GET", "/api/v1/tickets", { headers: ticketsOnly })).status.should.equal(204);
      (await desk("POST", "/api/v1/tickets", { headers: ticketsOnly, body: {} })).body.errorCode.should.equal("SCOPE_MISMATCH");
      r = await desk("GET", "/api/v1/departments");
      r.body.data.map((d) => d.name).should.eql(["Support", "Billing"]);
    });

    it("requires the orgId header: missing 422, not a number 422, another org's 403", async function () {
      let r = await desk("GET", "/api/v1/tickets", { org: null });
      r.status.should.equal(422);
      r.body.should.eql({ errorCode: "INVALID_DATA", message: "The data is invalid due to validation restrictions", errors: [{ fieldName: "orgId", errorType: "missing", errorMessage: "orgId header is missing" }] });
      r = await desk("GET", "/api/v1/tickets", { org: "zylker" });
      r.status.should.equal(422);
      r.body.errors[0].errorType.should.equal("invalid");
      r = await desk("GET", "/api/v1/tickets", { org: "123" });
      r.status.should.equal(403);
      r.body.should.eql({ errorCode: "OAUTH_ORG_MISMATCH", message: "The OAuthToken is not valid for specified organization." });
      sim.desk.seedTickets(3);
      (await desk("GET", "/api/v1/tickets", { org: sim.desk.orgs[1].info.id })).status.should.equal(204);
      (await desk("GET", "/api/v1/tickets")).body.data.length.should.equal(3);
    });

    it("pages 250 tickets with from / limit, filters by status, sorts", async function () {
      const seeded = sim.desk.seedTickets(250);
      seeded.length.should.equal(250);
      let r = await desk("GET", "/api/v1/tickets");
      r.status.should.equal(200);
      r.body.data.length.should.equal(10);
      r.body.data[0].should.have.properties({ ticketNumber: "101", id: seeded[0].id });
      r.body.data[0].should.have.properties("subject", "status", "statusType", "departmentId", "contactId", "createdTime", "webUrl");
      r.body.data[0].should.not.have.property("description");
      r.body.data[0].createdTime.should.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      const ids = [];
      for (const [from, n] of [[1, 100], [101, 100], [201, 50]]) {
        r = await desk("GET", `/api/v1/tickets?from=${from}&limit=100`);
        r.body.data.length.should.equal(n);
        ids.push(...r.body.data.map((t) => t.id));
      }
      ids.should.eql(seeded.map((t) => t.id));
      (await desk("GET", "/api/v1/tickets?from=251&limit=100")).status.should.equal(204);
      r = await desk("GET", "/api/v1/tickets?limit=101");
      r.status.should.equal(422);
      r.body.errors[0].should.have.properties({ fieldName: "limit", errorType: "invalid" });
      (await desk("GET", "/api/v1/tickets?from=0")).body.errors[0].fieldName.should.equal("from");
      // statuses come 4 Open, 2 On Hold, 1 Escalated, 3 Closed in every 10
      const all = async (qs) => {
        const out = [];
        for (let from = 1; ; from += 100) {
          const p = await desk("GET", `/api/v1/tickets?limit=100&from=${from}${qs}`);
          if (p.status === 204) return out;
          out.push(...p.body.data);
        }
      };
      (await all("&status=Open")).length.should.equal(100);
      (await all("&status=on%20hold")).every((t) => t.status === "On Hold" && t.statusType === "On Hold").should.be.true();
      (await all("&status=Open,Closed")).length.should.equal(175);
      (await all("&status=Escalated")).length.should.equal(25);
      (await desk("GET", "/api/v1/tickets?status=Bogus")).status.should.equal(422);
      r = await desk("GET", "/api/v1/tickets?sortBy=-ticketNumber&limit=2");
      r.body.data.map((t) => t.ticketNumber).should.eql(["350", "349"]);
      (await desk("GET", "/api/v1/tickets?sortBy=subject")).status.should.equal(422);
      const dep = sim.desk.defaultOrg.departments[1].id;
      (await all(`&departmentId=${dep}`)).length.should.equal(125);
    });

    it("gets one ticket; creates tickets with Desk's validation errors", async function () {
      const [first] = sim.desk.seedTickets(2);
      let r = await desk("GET", `/api/v1/tickets/${first.id}`);
      r.status.should.equal(200);
      r.body.should.have.properties({ id: first.id, ticketNumber: "101", description: "Seeded by the simulator." });
      r = await desk("GET", "/api/v1/tickets/1892000000999999");
      r.status.should.equal(404);
      r.body.errorCode.should.equal("URL_NOT_FOUND");

      r = await desk("POST", "/api/v1/tickets", { body: {} });
      r.status.should.equal(422);
      r.body.errorCode.should.equal("INVALID_DATA");
      r.body.errors.map((e) => [e.fieldName, e.errorType]).should.eql([["/subject", "missing"], ["/departmentId", "missing"], ["/contactId", "missing"]]);
      r = await desk("POST", "/api/v1/tickets", { body: { subject: "x", departmentId: "1", contactId: "2", priority: "Urgent" } });
      r.body.errors.map((e) => [e.fieldName, e.errorType]).should.eql([["/departmentId", "invalid"], ["/contactId", "invalid"], ["/priority", "invalid"]]);
      (await desk("POST", "/api/v1/tickets", { body: "{not json" })).status.should.equal(422);

      const org = sim.desk.defaultOrg;
      r = await desk("POST", "/api/v1/tickets", { body: { subject: "Printer on fire", departmentId: org.departments[0].id, contactId: org.contacts[3].id, priority: "High", description: "Smoke" } });
      r.status.should.equal(200);
      r.body.should.have.properties({ subject: "Printer on fire", status: "Open", statusType: "Open", priority: "High", ticketNumber: "103", email: org.contacts[3].email, description: "Smoke" });
      (await desk("GET", `/api/v1/tickets/${r.body.id}`)).body.subject.should.equal("Printer on fire");
      r = await desk("POST", "/api/v1/tickets", { body: { subject: "New customer", departmentId: org.departments[0].id, contact: { lastName: "Lee", email: "lee@new.example.com" } } });
      r.status.should.equal(200);
      sim.desk.defaultOrg.contacts.find((c) => c.id === r.body.contactId).email.should.equal("lee@new.example.com");
      sim.desk.tickets().length.should.equal(4);
      (await desk("GET", "/api/v1/tickets?limit=100")).body.data.length.should.equal(4);
    });

    it("unknown paths and verbs; Desk calls are logged, delayed, faulted and counted in flight", async function () {
      let r = await desk("GET", "/api/v1/nope");
      r.status.should.equal(404);
      r.body.should.eql({ errorCode: "URL_NOT_FOUND", message: "The URL you requested could not be found on our server." });
      r = await desk("DELETE", "/api/v1/tickets");
      r.status.should.equal(405);
      r.body.errorCode.should.equal("METHOD_NOT_ALLOWED");
      sim.desk.seedTickets(5);
      const before = sim.count({ path: "/api/v1/tickets" });
      await desk("GET", "/api/v1/tickets");
      sim.count({ path: "/api/v1/tickets" }).should.equal(before + 1);
      sim.requests[sim.requests.length - 1].should.have.properties({ method: "GET", path: "/api/v1/tickets", status: 200 });
      sim.requests[sim.requests.length - 1].headers.orgid.should.equal(orgId());

      sim.inject({ match: { path: "/api/v1/tickets" }, status: 429 });
      r = await desk("GET", "/api/v1/tickets");
      r.status.should.equal(429);
      r.body.should.eql({ errorCode: "TOO_MANY_REQUESTS", message: "You have made too many requests. Please try again later." });
      sim.inject({ status: 500 });
      r = await desk("GET", "/api/v1/tickets");
      r.status.should.equal(500);
      r.body.errorCode.should.equal("INTERNAL_SERVER_ERROR");
      sim.inject({ match: { path: "/api/v1/organizations" }, code: "INVALID_OAUTH" });
      r = await get("/api/v1/organizations", D);
      r.status.should.equal(401);
      r.body.should.eql({ errorCode: "INVALID_OAUTH", message: "The OAuth Token you provided is invalid." });
      (await desk("GET", "/api/v1/tickets")).status.should.equal(200);

      sim.setLatency(200);
      sim.maxInFlight = 0;
      const t0 = Date.now();
      const rs = await Promise.all([1, 2, 3].map(() => desk("GET", "/api/v1/tickets")));
      rs.map((x) => x.status).should.eql([200, 200, 200]);
      (Date.now() - t0).should.be.aboveOrEqual(190);
      sim.maxInFlight.should.equal(3);
      sim.inFlight.should.equal(0);
      sim.deskInFlight.should.equal(0);
      const stats = await (await fetch(`${url}/__sim/stats`)).json();
      stats.desk_requests.should.be.above(5);
    });

    it("sim.reset() puts Desk back to its start", function () {
      sim.desk.seedTickets(4);
      const s2 = new ZohoSimulator({ seedDemo: false });
      s2.desk.seedTickets(2).length.should.equal(2);
      s2.reset();
      s2.desk.tickets().should.eql([]);
      s2.desk.orgs.length.should.equal(2);
      s2.desk.seedTickets(1)[0].ticketNumber.should.equal("101");
    });
  });
});
