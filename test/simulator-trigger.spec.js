"use strict";
// Tests for what a trigger node needs from the Zoho simulator (dist/simulator): the clock and UTC offset, changes
// "from the Zoho UI" and late visibility, Get Deleted Records, If-Modified-Since + sort_by=Modified_Time, and the
// Notification API with its callbacks and callback faults.
// Run: npm run build && npx mocha --no-config --exit --timeout 30000 test/simulator-trigger.spec.js
const http = require("http");
const should = require("should");
const { ZohoSimulator, DEFAULT_SCOPE } = require("../dist/simulator");
const { isoTime } = require("../dist/simulator/util");

const CLIENT = "client-t";
const SECRET = "secret-t";
const SCOPE = `${DEFAULT_SCOPE} ZohoCRM.notifications.ALL`;
const T0 = Date.parse("2024-06-01T10:00:00Z"); // 15:30:00+05:30
const MIN = 60000;

async function json(res) {
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

/** A local notify target: records every POST it receives; `status` sets what it answers. */
function notifyTarget() {
  const target = { received: [], status: 200, url: "" };
  target.server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      target.received.push({ method: req.method, url: req.url, headers: req.headers, body: text ? JSON.parse(text) : undefined });
      res.writeHead(target.status);
      res.end();
    });
  });
  return new Promise((resolve) =>
    target.server.listen(0, "127.0.0.1", () => {
      target.port = target.server.address().port;
      target.url = `http://127.0.0.1:${target.port}`;
      resolve(target);
    }),
  );
}

describe("Zoho simulator: trigger support", function () {
  this.timeout(20000);
  let sim, url, H, target;

  async function token(scope = SCOPE) {
    const code = sim.issueGrantToken(CLIENT, { scope });
    const res = await fetch(`${url}/oauth/v2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: CLIENT, client_secret: SECRET, code }).toString(),
    });
    return { Authorization: `Zoho-oauthtoken ${(await json(res)).access_token}` };
  }

  async function call(method, path, { body, headers = H } = {}) {
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await json(res) };
  }
  const get = (path, headers) => call("GET", path, { headers });
  const watch = (method, body, headers) => call(method, "/crm/v8/actions/watch", { body, headers });
  const enable = (items, headers) => watch("POST", { watch: items }, headers);
  const insert = (records) => call("POST", "/crm/v8/Leads", { body: { data: records } });
  const names = (r) => (r.body ? r.body.data.map((d) => d.Last_Name) : []);

  before(async function () {
    sim = new ZohoSimulator();
    sim.addClient(CLIENT, SECRET);
    url = await sim.start();
    target = await notifyTarget();
  });

  after(async function () {
    await sim.stop();
    await new Promise((r) => target.server.close(r));
  });

  beforeEach(async function () {
    await sim.callbacksSettled();
    sim.reset();
    H = await token();
    target.received = [];
    target.status = 200;
  });

  // ------------------------------------------------------------------------------------------
  describe("clock and UTC offset", function () {
    it("stamps API writes, UI changes, seeds, deletes and the Date header from sim.clock", async function () {
      sim.clock.set(T0);
      let r = await insert([{ Last_Name: "Clocked" }]);
      r.status.should.equal(201);
      r.body.data[0].details.Created_Time.should.equal("2024-06-01T15:30:00+05:30");
      r.body.data[0].details.Modified_Time.should.equal("2024-06-01T15:30:00+05:30");
      r.headers.get("date").should.equal(new Date(T0).toUTCString());
      const id = r.body.data[0].details.id;
      await new Promise((res) => setTimeout(res, 20));
      sim.clock.now().should.equal(T0); // frozen until set again or advanced
      sim.clock.advance(5500);
      r = await call("PUT", `/crm/v8/Leads/${id}`, { body: { data: [{ Company: "Later" }] } });
      r.body.data[0].details.Modified_Time.should.equal("2024-06-01T15:30:05+05:30");
      r.body.data[0].details.Created_Time.should.equal("2024-06-01T15:30:00+05:30");
      const [seeded] = sim.seedRecords("Leads", [{ Last_Name: "Seeded" }]);
      seeded.Created_Time.should.equal("2024-06-01T15:30:05+05:30");
      sim.ui.update("Leads", seeded.id, { Company: "x" }).Modified_Time.should.equal("2024-06-01T15:30:05+05:30");
      sim.clock.advance(MIN);
      (await call("DELETE", `/crm/v8/Leads?ids=${id}`)).status.should.equal(200);
      (await get("/crm/v8/Leads/deleted")).body.data[0].deleted_time.should.equal("2024-06-01T15:31:05+05:30");
      const c = await get("/__sim/clock");
      c.body.should.eql({ now: T0 + 65500, time: "2024-06-01T15:31:05+05:30", frozen: true, utc_offset_minutes: 330 });
      (await call("POST", "/__sim/clock?advance=1000")).body.now.should.equal(T0 + 66500);
      // running clock: advance() keeps it running, ahead of real time; real() goes back
      sim.clock.real();
      sim.clock.frozen.should.be.false();
      sim.clock.advance(3600000);
      (sim.clock.now() - Date.now()).should.be.approximately(3600000, 1000);
      sim.clock.real();
      (sim.clock.now() - Date.now()).should.be.approximately(0, 1000);
    });

    it("formats with a settable offset across a daylight-saving change (instants compared, not strings)", async function () {
      isoTime(T0, 345).should.equal("2024-06-01T15:45:00+05:45");
      isoTime(T0, -570).should.equal("2024-06-01T00:30:00-09:30");
      isoTime(T0).should.equal("2024-06-01T15:30:00+05:30");
      (() => sim.setUtcOffset(900)).should.throw();
      sim.setUtcOffset(-240, "America/New_York");
      (await get("/crm/v8/org")).body.org[0].time_zone.should.equal("America/New_York");
      sim.clock.set("2024-11-03T05:30:00Z"); // 01:30 EDT
      const a = sim.ui.create("Leads", { Last_Name: "Summer" });
      a.Modified_Time.should.equal("2024-11-03T01:30:00-04:00");
      sim.setUtcOffset(-300); // clocks go back: 01:30 happens again, in EST
      sim.clock.advance(3600000);
      const b = sim.ui.create("Leads", { Last_Name: "Winter" });
      b.Modified_Time.should.equal("2024-11-03T01:30:00-05:00");
      a.Modified_Time.should.equal("2024-11-03T01:30:00-04:00"); // a stored datetime keeps its offset
      let r = await get("/crm/v8/Leads?fields=Last_Name,Modified_Time&sort_by=Modified_Time&sort_order=asc");
      names(r).should.eql(["Summer", "Winter"]);
      r = await get("/crm/v8/Leads?fields=Last_Name", { ...H, "If-Modified-Since": "2024-11-03T01:30:00-04:00" });
      names(r).should.eql(["Winter"]);
      sim.reset();
      sim.utcOffsetMinutes.should.equal(330);
      sim.clock.frozen.should.be.false();
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("changes from the Zoho UI", function () {
    it("create / update / delete: stamped from the clock, not API calls, no credits", async function () {
      sim.clock.set(T0);
      const before = { requests: sim.requests.length, credits: sim.creditsUsed };
      const rec = sim.ui.create("Leads", { Last_Name: "Uma", Company: "UI Ltd", Created_Time: "2000-01-01T00:00:00+05:30" });
      rec.id.should.match(/^\d{19}$/);
      rec.Created_Time.should.equal("2024-06-01T15:30:00+05:30");
      rec.Modified_Time.should.equal(rec.Created_Time);
      rec.Full_Name.should.equal("Uma");
      sim.clock.advance(2 * MIN);
      const upd = sim.ui.update("Leads", rec.id, { First_Name: "Ann" });
      upd.Modified_Time.should.equal("2024-06-01T15:32:00+05:30");
      upd.Created_Time.should.equal("2024-06-01T15:30:00+05:30");
      upd.Full_Name.should.equal("Ann Uma");
      upd.Company.should.equal("UI Ltd");
      const entry = sim.ui.delete("Leads", rec.id);
      entry.should.eql({
        deleted_by: { name: "Patricia Boyle", id: "5725767000000411001" },
        id: rec.id,
        display_name: "Ann Uma",
        type: "recycle",
        created_by: { name: "Patricia Boyle", id: "5725767000000411001" },
        deleted_time: "2024-06-01T15:32:00+05:30",
      });
      sim.records("Leads").length.should.equal(0);
      sim.requests.length.should.equal(before.requests);
      sim.creditsUsed.should.equal(before.credits);
      (() => sim.ui.create("Leads", { Nope__c: 1 })).should.throw(/no field Nope__c/);
      (() => sim.ui.update("Leads", "1", {})).should.throw(/no Leads record/);
      (() => sim.ui.delete("Leads", rec.id)).should.throw(/no Leads record/);
      (() => sim.ui.create("Nope", {})).should.throw(/unknown module/);
    });

    it("late visibility: the API shows a change only visibleAfterMs after its stamp; callbacks go at once", async function () {
      sim.clock.set(T0);
      await enable([{ channel_id: 1, events: ["Leads.all"], notify_url: `${target.url}/cb` }]);
      const ghost = sim.ui.create("Leads", { Last_Name: "Ghost" }, { visibleAfterMs: MIN });
      await sim.callbacksSettled();
      target.received.map((x) => x.body.ids).should.eql([[ghost.id]]); // the callback precedes API visibility
      const hiddenEverywhere = async () => {
        (await get("/crm/v8/Leads?fields=Last_Name")).status.should.equal(204);
        (await get(`/crm/v8/Leads/${ghost.id}`)).body.code.should.equal("INVALID_DATA");
        (await get("/crm/v8/Leads/search?criteria=(Last_Name:equals:Ghost)")).status.should.equal(204);
        (await get("/crm/v8/Leads/actions/count")).body.should.eql({ count: 0 });
        (await call("POST", "/crm/v8/coql", { body: { select_query: "select Last_Name from Leads where Last_Name = 'Ghost'" } })).status.should.equal(204);
      };
      await hiddenEverywhere();
      sim.clock.advance(MIN - 1);
      await hiddenEverywhere();
      sim.records("Leads").length.should.equal(1); // stored all along
      sim.clock.advance(1);
      let r = await get("/crm/v8/Leads?fields=Last_Name,Modified_Time");
      r.body.data.should.eql([{ Last_Name: "Ghost", Modified_Time: "2024-06-01T15:30:00+05:30", id: ghost.id }]);
      (await get("/crm/v8/Leads/actions/count")).body.should.eql({ count: 1 });

      // an update: the previous state stays visible, then the new one appears with its (earlier) stamp
      sim.clock.advance(MIN);
      sim.ui.update("Leads", ghost.id, { Company: "Late Co" }, { visibleAfterMs: 50000 });
      sim.clock.advance(20000);
      sim.ui.update("Leads", ghost.id, { Phone: "555" }, { visibleAfterMs: 50000 }); // still hidden behind the first
      r = await get(`/crm/v8/Leads/${ghost.id}?fields=Company,Phone,Modified_Time`);
      r.body.data[0].should.eql({ Company: null, Phone: null, Modified_Time: "2024-06-01T15:30:00+05:30", id: ghost.id });
      // a poller that read at 15:32:30, saw nothing and kept "15:32:30" as its position misses the update for good
      // unless it sends the position minus an overlap
      sim.clock.advance(50000);
      const naive = await get("/crm/v8/Leads?fields=Company", { ...H, "If-Modified-Since": "2024-06-01T15:32:30+05:30" });
      naive.status.should.equal(304);
      const overlapped = await get("/crm/v8/Leads?fields=Company,Phone,Modified_Time", { ...H, "If-Modified-Since": "2024-06-01T15:31:30+05:30" });
      overlapped.body.data.should.eql([{ Company: "Late Co", Phone: "555", Modified_Time: "2024-06-01T15:32:20+05:30", id: ghost.id }]);

      // an API write of a hidden record works on the stored state and makes it visible
      const hidden = sim.ui.create("Leads", { Last_Name: "Shy" }, { visibleAfterMs: MIN });
      (await get("/crm/v8/Leads/actions/count")).body.count.should.equal(1);
      r = await call("PUT", "/crm/v8/Leads", { body: { data: [{ id: hidden.id, Company: "Seen" }] } });
      r.status.should.equal(200);
      (await get(`/crm/v8/Leads/${hidden.id}?fields=Company`)).body.data[0].Company.should.equal("Seen");
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("Get Deleted Records", function () {
    it("types recycle / permanent / all, nulls on permanent items, emptyRecycleBin, 204, errors, scope", async function () {
      sim.clock.set(T0);
      (await get("/crm/v8/Leads/deleted")).status.should.equal(204);
      const recs = sim.seedRecords("Leads", [{ Last_Name: "A" }, { Last_Name: "B" }, { Last_Name: "C" }, { Last_Name: "D" }]);
      const [a, b, c, d] = recs.map((x) => x.id);
      (await call("DELETE", `/crm/v8/Leads?ids=${a},${b}`)).status.should.equal(200);
      sim.clock.advance(1000);
      sim.ui.delete("Leads", c);
      sim.ui.delete("Leads", d, { permanent: true });
      let r = await get("/crm/v8/Leads/deleted?type=recycle");
      r.body.data.map((x) => x.id).sort().should.eql([a, b, c].sort());
      r.body.data.forEach((x) => x.type.should.equal("recycle"));
      r.body.data.find((x) => x.id === a).should.eql({
        deleted_by: { name: "Patricia Boyle", id: "5725767000000411001" },
        id: a,
        display_name: "A",
        type: "recycle",
        created_by: { name: "Patricia Boyle", id: "5725767000000411001" },
        deleted_time: "2024-06-01T15:30:00+05:30",
      });
      r.body.info.should.eql({ per_page: 200, count: 3, page: 1, more_records: false });
      r = await get("/crm/v8/Leads/deleted?type=permanent");
      r.body.data.should.eql([{ deleted_by: null, id: d, display_name: null, type: "permanent", created_by: null, deleted_time: "2024-06-01T15:30:01+05:30" }]);
      (await get("/crm/v8/Leads/deleted")).body.data.length.should.equal(4);
      (await get("/crm/v8/Leads/deleted?type=all")).body.data.length.should.equal(4);
      sim.emptyRecycleBin("Leads").should.equal(3);
      (await get("/crm/v8/Leads/deleted?type=recycle")).status.should.equal(204);
      r = await get("/crm/v8/Leads/deleted?type=permanent");
      r.body.data.length.should.equal(4);
      r.body.data.find((x) => x.id === a).should.eql({ deleted_by: null, id: a, display_name: null, type: "permanent", created_by: null, deleted_time: "2024-06-01T15:30:00+05:30" });
      r = await get("/crm/v8/Leads/deleted?type=gone");
      r.status.should.equal(400);
      r.body.code.should.equal("PATTERN_NOT_MATCHED");
      (await get("/crm/v8/Leads/deleted?per_page=201")).body.code.should.equal("INVALID_DATA");
      (await get("/crm/v8/Leads/deleted", { ...H, "If-Modified-Since": "yesterday" })).body.code.should.equal("INVALID_DATA");
      (await get("/crm/v8/Contacts/deleted")).status.should.equal(204);
      const noRead = await get("/crm/v8/Leads/deleted", await token("ZohoCRM.modules.contacts.READ"));
      noRead.status.should.equal(401);
      noRead.body.code.should.equal("OAUTH_SCOPE_MISMATCH");
      // retention on the clock: recycle items show as permanent after 60 days, everything is gone after 120
      sim.ui.delete("Leads", sim.ui.create("Leads", { Last_Name: "E" }).id);
      sim.clock.advance(61 * 86400000);
      r = await get("/crm/v8/Leads/deleted?type=recycle");
      r.status.should.equal(204);
      (await get("/crm/v8/Leads/deleted?type=permanent")).body.data.length.should.equal(5);
      sim.clock.advance(60 * 86400000);
      (await get("/crm/v8/Leads/deleted")).status.should.equal(204);
    });

    it("If-Modified-Since on deleted_time: exclusive, like the list", async function () {
      sim.clock.set(T0);
      const [a, b] = sim.seedRecords("Leads", [{ Last_Name: "A" }, { Last_Name: "B" }]).map((x) => x.id);
      sim.ui.delete("Leads", a);
      sim.clock.advance(10000);
      sim.ui.delete("Leads", b, { permanent: true });
      const since = (ims) => get("/crm/v8/Leads/deleted", { ...H, "If-Modified-Since": ims });
      (await since("2024-06-01T15:29:59+05:30")).body.data.map((x) => x.id).sort().should.eql([a, b].sort());
      (await since("2024-06-01T15:30:00+05:30")).body.data.map((x) => x.id).should.eql([b]); // same second: excluded
      (await since("2024-06-01T10:00:09Z")).body.data.map((x) => x.id).should.eql([b]);
      (await since("Sat, 01 Jun 2024 10:00:09 GMT")).body.data.map((x) => x.id).should.eql([b]);
      (await since("2024-06-01T15:30:10+05:30")).status.should.equal(204);
    });

    it("pages with page / per_page in a fixed order that is not by deleted_time (nor by id)", async function () {
      sim.clock.set(T0);
      const ids = sim.seedRecords("Leads", 30).map((x) => x.id);
      for (const id of ids) {
        sim.clock.advance(1000);
        sim.ui.delete("Leads", id);
      }
      const read = async () => {
        const seen = [];
        for (let page = 1; ; page++) {
          const r = await get(`/crm/v8/Leads/deleted?per_page=7&page=${page}`);
          r.status.should.equal(200);
          r.body.info.page.should.equal(page);
          r.body.info.count.should.equal(r.body.data.length);
          seen.push(...r.body.data);
          if (!r.body.info.more_records) break;
        }
        return seen;
      };
      const first = await read();
      first.length.should.equal(30);
      new Set(first.map((x) => x.id)).size.should.equal(30);
      const times = first.map((x) => Date.parse(x.deleted_time));
      times.should.not.eql(times.slice().sort((p, q) => p - q));
      times.should.not.eql(times.slice().sort((p, q) => q - p));
      first.map((x) => x.id).should.not.eql(ids);
      first.map((x) => x.id).should.not.eql(ids.slice().reverse());
      (await read()).should.eql(first); // deterministic
      (await get("/crm/v8/Leads/deleted?per_page=7&page=6")).status.should.equal(204);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("list with If-Modified-Since and sort_by=Modified_Time", function () {
    it("orders ties in one second by id ascending, across a page boundary, by page and by page_token", async function () {
      const at = (s) => isoTime(T0 + s * 1000);
      const rows = [];
      for (let i = 0; i < 2; i++) rows.push({ Last_Name: `old${i}`, Modified_Time: at(-5) });
      for (let i = 0; i < 7; i++) rows.push({ Last_Name: `tie${i}`, Modified_Time: at(0) });
      for (let i = 0; i < 3; i++) rows.push({ Last_Name: `next${i}`, Modified_Time: at(1) });
      // seed the later second first, so id order and insertion order differ from time order
      const seeded = sim.seedRecords("Leads", [...rows.slice(9), ...rows.slice(0, 9)]);
      const byName = Object.fromEntries(seeded.map((r) => [r.Last_Name, r.id]));
      const expected = [...rows.slice(2, 9), ...rows.slice(9)].map((r) => r.Last_Name);
      expected.map((n) => byName[n]).slice(0, 7).should.eql(seeded.slice(5, 12).map((r) => r.id)); // ties ascend by id
      const headers = { ...H, "If-Modified-Since": at(-1) };
      const q = "/crm/v8/Leads?fields=Last_Name,Modified_Time&sort_by=Modified_Time&sort_order=asc&per_page=4";
      const byPage = [];
      for (let page = 1; page <= 3; page++) {
        const r = await get(`${q}&page=${page}`, headers);
        byPage.push(...names(r));
        r.body.info.more_records.should.equal(page < 3);
      }
      byPage.should.eql(expected);
      const byToken = [];
      let r = await get(q, headers);
      for (;;) {
        byToken.push(...names(r));
        if (!r.body.info.more_records) break;
        r = await get(`${q}&page_token=${r.body.info.next_page_token}`, headers);
      }
      byToken.should.eql(expected);
      // exclusive: If-Modified-Since naming the tied second leaves the whole second out
      names(await get(q, { ...H, "If-Modified-Since": at(0) })).should.eql(["next0", "next1", "next2"]);
      // descending is the exact reverse
      const desc = await get(q.replace("sort_order=asc", "sort_order=desc").replace("per_page=4", "per_page=200"), headers);
      names(desc).should.eql(expected.slice().reverse());
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("Notification API: /crm/v8/actions/watch", function () {
    it("enables (201), lists (expanded events, one hour default expiry), 204 when none", async function () {
      sim.clock.set(T0);
      (await watch("GET")).status.should.equal(204);
      let r = await enable([
        { channel_id: 1000000068001, events: ["Leads.all", "deals.create"], notify_url: `${target.url}/cb?x=1`, token: "tok" },
        { channel_id: "42", events: ["Contacts.edit"], notify_url: "https://example.com/hook", channel_expiry: "2024-06-03T10:00:00Z", return_affected_field_values: true, notify_on_related_action: false },
        { channel_id: "43", events: ["Contacts.delete"], notify_url: "https://example.com/hook", channel_expiry: "2024-06-09T10:00:00Z" },
      ]);
      r.status.should.equal(201);
      const leads = sim.modules.get("leads").id;
      r.body.watch[0].should.eql({
        code: "SUCCESS",
        details: {
          events: [
            { channel_expiry: "2024-06-01T16:30:00+05:30", resource_uri: `${url}/crm/v8/Leads`, resource_id: leads, resource_name: "Leads", channel_id: "1000000068001" },
            { channel_expiry: "2024-06-01T16:30:00+05:30", resource_uri: `${url}/crm/v8/Deals`, resource_id: sim.modules.get("deals").id, resource_name: "Deals", channel_id: "1000000068001" },
          ],
        },
        message: "Successfully subscribed for actions-watch of the given module",
        status: "success",
      });
      r.body.watch[1].details.events[0].channel_expiry.should.equal("2024-06-03T15:30:00+05:30");
      r.body.watch[2].details.events[0].channel_expiry.should.equal("2024-06-01T16:30:00+05:30"); // > 1 week: one hour
      r = await watch("GET");
      r.status.should.equal(200);
      r.body.info.should.eql({ per_page: 200, count: 4, page: 1, more_records: false });
      r.body.watch.map((w) => `${w.channel_id}:${w.resource_name}`).should.eql(["42:Contacts", "43:Contacts", "1000000068001:Leads", "1000000068001:Deals"]);
      r.body.watch[2].should.eql({
        notify_on_related_action: true,
        channel_expiry: "2024-06-01T16:30:00+05:30",
        return_affected_field_values: false,
        resource_uri: `${url}/crm/v8/Leads`,
        resource_id: leads,
        notify_url: `${target.url}/cb?x=1`,
        resource_name: "Leads",
        fields: null,
        notification_condition: null,
        channel_id: "1000000068001",
        events: ["Leads.edit", "Leads.create", "Leads.delete"],
        token: "tok",
      });
      r.body.watch[0].should.containEql({ notify_on_related_action: false, return_affected_field_values: true, token: null, events: ["Contacts.edit"] });
      r = await get("/crm/v8/actions/watch?channel_id=1000000068001&module=Deals");
      r.body.watch.map((w) => w.events).should.eql([["Deals.create"]]);
      r = await get("/crm/v8/actions/watch?per_page=3&page=2");
      r.body.info.should.eql({ per_page: 3, count: 1, page: 2, more_records: false });
      (await get("/crm/v8/actions/watch?module=Nope")).body.code.should.equal("INVALID_MODULE");
      (await get("/crm/v8/actions/watch?channel_id=77")).status.should.equal(204);
      // POST again with a known channel_id replaces the channel
      r = await enable([{ channel_id: "42", events: ["Deals.delete"], notify_url: `${target.url}/other` }]);
      r.status.should.equal(201);
      r = await get("/crm/v8/actions/watch?channel_id=42");
      r.body.watch.map((w) => [w.events, w.notify_url, w.return_affected_field_values]).should.eql([[["Deals.delete"], `${target.url}/other`, false]]);
    });

    it("answers HTTP 202 with per-item errors (MANDATORY_NOT_FOUND, INVALID_DATA) and applies the valid items", async function () {
      sim.clock.set(T0);
      const ok = { channel_id: "1", events: ["Leads.create"], notify_url: `${target.url}/cb` };
      const items = [
        ok,
        { events: ["Leads.create"], notify_url: ok.notify_url },
        { channel_id: "2", notify_url: ok.notify_url },
        { channel_id: "3", events: ["Leads.create"] },
        { ...ok, channel_id: "12ab" },
        { ...ok, channel_id: "4", events: [] },
        { ...ok, channel_id: "5", events: ["Leads.create", "Leads.update"] },
        { ...ok, channel_id: "6", events: ["Nope.create"] },
        { ...ok, channel_id: "7", notify_url: "/relative" },
        { ...ok, channel_id: "8", notify_url: "ftp://127.0.0.1/x" },
        { ...ok, channel_id: "9", token: "t".repeat(51) },
        { ...ok, channel_id: "10", channel_expiry: "2024-06-01T15:00:00+05:30" },
        { ...ok, channel_id: "11", return_affected_field_values: "yes" },
        "not an object",
      ];
      const r = await enable(items);
      r.status.should.equal(202);
      r.body.watch.length.should.equal(items.length);
      r.body.watch[0].status.should.equal("success");
      const err = (i) => [r.body.watch[i].code, r.body.watch[i].details.api_name, r.body.watch[i].details.json_path, r.body.watch[i].status];
      err(1).should.eql(["MANDATORY_NOT_FOUND", "channel_id", "$.watch[1].channel_id", "error"]);
      r.body.watch[1].message.should.equal("required field not found");
      err(2).should.eql(["MANDATORY_NOT_FOUND", "events", "$.watch[2].events", "error"]);
      err(3).should.eql(["MANDATORY_NOT_FOUND", "notify_url", "$.watch[3].notify_url", "error"]);
      err(4).should.eql(["INVALID_DATA", "channel_id", "$.watch[4].channel_id", "error"]);
      err(5).should.eql(["INVALID_DATA", "events", "$.watch[5].events", "error"]);
      err(6).should.eql(["INVALID_DATA", "events", "$.watch[6].events[1]", "error"]);
      err(7).should.eql(["INVALID_DATA", "events", "$.watch[7].events[0]", "error"]);
      err(8).should.eql(["INVALID_DATA", "notify_url", "$.watch[8].notify_url", "error"]);
      err(9).should.eql(["INVALID_DATA", "notify_url", "$.watch[9].notify_url", "error"]);
      err(10).should.eql(["INVALID_DATA", "token", "$.watch[10].token", "error"]);
      err(11).should.eql(["INVALID_DATA", "channel_expiry", "$.watch[11].channel_expiry", "error"]);
      err(12).should.eql(["INVALID_DATA", "return_affected_field_values", "$.watch[12].return_affected_field_values", "error"]);
      r.body.watch[13].code.should.equal("INVALID_DATA");
      (await watch("GET")).body.watch.map((w) => w.channel_id).should.eql(["1"]);
      // request-level errors
      let bad = await watch("POST", "{not json");
      [bad.status, bad.body.code].should.eql([400, "INVALID_DATA"]);
      bad = await watch("POST", { nope: [] });
      [bad.status, bad.body.code].should.eql([400, "MANDATORY_NOT_FOUND"]);
      bad = await watch("POST", { watch: [] });
      [bad.status, bad.body.code].should.eql([400, "INVALID_DATA"]);
    });

    it("PUT replaces, PATCH updates (a PATCH without token resets it to null), DELETE disables; NOT_SUBSCRIBED", async function () {
      sim.clock.set(T0);
      await enable([{ channel_id: "5", events: ["Leads.create"], notify_url: `${target.url}/a`, token: "secret-token", return_affected_field_values: true }]);
      // PUT: the full channel; what it leaves out goes back to the defaults
      let r = await watch("PUT", { watch: [{ channel_id: "5", events: ["Leads.edit", "Contacts.create"], notify_url: `${target.url}/b`, token: "t2" }] });
      r.status.should.equal(200);
      r.body.watch[0].message.should.equal("Successfully updated the subscribe details");
      r.body.watch[0].details.events.map((e) => e.resource_name).should.eql(["Leads", "Contacts"]);
      let list = (await watch("GET")).body.watch;
      list.map((w) => [w.resource_name, w.events, w.notify_url, w.token, w.return_affected_field_values]).should.eql([
        ["Leads", ["Leads.edit"], `${target.url}/b`, "t2", false],
        ["Contacts", ["Contacts.create"], `${target.url}/b`, "t2", false],
      ]);
      r = await watch("PUT", { watch: [{ channel_id: "5", notify_url: `${target.url}/b` }] });
      [r.status, r.body.watch[0].code, r.body.watch[0].details.api_name].should.eql([202, "MANDATORY_NOT_FOUND", "events"]);
      r = await watch("PUT", { watch: [{ channel_id: "6", events: ["Leads.edit"], notify_url: `${target.url}/b` }] });
      r.status.should.equal(202);
      r.body.watch[0].should.eql({ code: "NOT_SUBSCRIBED", details: { channel_id: "6" }, message: "Not subscribed for actions-watch of the given channel", status: "error" });
      // PATCH: extend the expiry; token not sent -> null (the quirk); the rest is kept
      sim.clock.advance(30 * MIN);
      r = await watch("PATCH", { watch: [{ channel_id: 5, channel_expiry: "2024-06-02T10:00:00Z" }] });
      r.status.should.equal(200);
      r.body.watch[0].details.events[0].channel_expiry.should.equal("2024-06-02T15:30:00+05:30");
      list = (await watch("GET")).body.watch;
      list.map((w) => [w.events, w.notify_url, w.token, w.channel_expiry]).should.eql([
        [["Leads.edit"], `${target.url}/b`, null, "2024-06-02T15:30:00+05:30"],
        [["Contacts.create"], `${target.url}/b`, null, "2024-06-02T15:30:00+05:30"],
      ]);
      // PATCH with token keeps it; events are added, or removed with _delete_events
      await watch("PATCH", { watch: [{ channel_id: "5", token: "t3", events: ["Leads.delete"] }] });
      list = (await get("/crm/v8/actions/watch?module=Leads")).body.watch;
      list.map((w) => [w.events, w.token]).should.eql([[["Leads.edit", "Leads.delete"], "t3"]]);
      await watch("PATCH", { watch: [{ channel_id: "5", token: "t3", events: ["Contacts.create"], _delete_events: true }] });
      (await watch("GET")).body.watch.map((w) => w.resource_name).should.eql(["Leads"]);
      r = await watch("PATCH", { watch: [{ channel_id: "8", token: "x" }] });
      [r.status, r.body.watch[0].code].should.eql([202, "NOT_SUBSCRIBED"]);
      r = await watch("PATCH", { watch: [{ token: "x" }] });
      [r.status, r.body.watch[0].code].should.eql([202, "MANDATORY_NOT_FOUND"]);
      // DELETE
      await enable([{ channel_id: "7", events: ["Deals.all", "Leads.create"], notify_url: `${target.url}/c` }]);
      r = await call("DELETE", "/crm/v8/actions/watch?channel_ids=7,9");
      r.status.should.equal(202);
      r.body.watch.should.eql([
        { code: "SUCCESS", details: { resource_uri: `${url}/crm/v8/Deals`, resource_id: sim.modules.get("deals").id, channel_id: "7" }, message: "Successfully un-subscribed from actions-watch", status: "success" },
        { code: "SUCCESS", details: { resource_uri: `${url}/crm/v8/Leads`, resource_id: sim.modules.get("leads").id, channel_id: "7" }, message: "Successfully un-subscribed from actions-watch", status: "success" },
        { code: "NOT_SUBSCRIBED", details: { channel_id: "9" }, message: "Not subscribed for actions-watch of the given channel", status: "error" },
      ]);
      r = await call("DELETE", "/crm/v8/actions/watch?channel_ids=5");
      r.status.should.equal(200);
      (await watch("GET")).status.should.equal(204);
      r = await call("DELETE", "/crm/v8/actions/watch");
      [r.status, r.body.code].should.eql([400, "REQUIRED_PARAM_MISSING"]);
    });

    it("needs a notifications scope (401 OAUTH_SCOPE_MISMATCH), the specific one per method", async function () {
      const none = await token(DEFAULT_SCOPE);
      let r = await watch("GET", undefined, none);
      [r.status, r.body.code].should.eql([401, "OAUTH_SCOPE_MISMATCH"]);
      r = await enable([{ channel_id: "1", events: ["Leads.create"], notify_url: `${target.url}/cb` }], none);
      [r.status, r.body.code].should.eql([401, "OAUTH_SCOPE_MISMATCH"]);
      const readOnly = await token("ZohoCRM.notifications.READ");
      (await watch("GET", undefined, readOnly)).status.should.equal(204);
      (await enable([{ channel_id: "1", events: ["Leads.create"], notify_url: `${target.url}/cb` }], readOnly)).status.should.equal(401);
      const create = await token("ZohoCRM.notifications.CREATE");
      (await enable([{ channel_id: "1", events: ["Leads.create"], notify_url: `${target.url}/cb` }], create)).status.should.equal(201);
      (await watch("PATCH", { watch: [{ channel_id: "1" }] }, create)).status.should.equal(401);
      (await watch("PATCH", { watch: [{ channel_id: "1" }] }, await token("ZohoCRM.notifications.UPDATE"))).status.should.equal(200);
      (await call("DELETE", "/crm/v8/actions/watch?channel_ids=1", { headers: await token("ZohoCRM.notifications.DELETE") })).status.should.equal(200);
      (await call("POST", "/crm/v8/actions/other", { body: {} })).status.should.equal(404);
    });

    it("expires channels at channel_expiry on sim.clock: not listed, NOT_SUBSCRIBED, no callbacks", async function () {
      sim.clock.set(T0);
      await enable([{ channel_id: "1", events: ["Leads.all"], notify_url: `${target.url}/cb`, channel_expiry: "2024-06-01T10:10:00Z" }]);
      sim.clock.advance(10 * MIN - 1000);
      sim.ui.create("Leads", { Last_Name: "InTime" });
      await sim.callbacksSettled();
      target.received.length.should.equal(1);
      sim.clock.advance(1000);
      sim.ui.create("Leads", { Last_Name: "TooLate" });
      await sim.callbacksSettled();
      target.received.length.should.equal(1);
      (await watch("GET")).status.should.equal(204);
      const r = await watch("PATCH", { watch: [{ channel_id: "1", channel_expiry: "2024-06-01T11:00:00Z" }] });
      r.body.watch[0].code.should.equal("NOT_SUBSCRIBED");
    });
  });

  // ------------------------------------------------------------------------------------------
  describe("notification callbacks", function () {
    it("API writes: one callback per request, channel, module and operation, with all the ids", async function () {
      sim.clock.set(T0);
      await enable([
        { channel_id: "100", events: ["Leads.all"], notify_url: `${target.url}/all?a=1&b=two`, token: "verify-me" },
        { channel_id: "200", events: ["Leads.edit"], notify_url: `${target.url}/edits` },
        { channel_id: "300", events: ["Contacts.all"], notify_url: `${target.url}/contacts` },
      ]);
      let r = await insert([{ Last_Name: "One" }, { Last_Name: "Two", Email: "two@example.com" }, { Last_Name: "Three" }]);
      const ids = r.body.data.map((d) => d.details.id);
      await sim.callbacksSettled();
      target.received.length.should.equal(1);
      const cb = target.received[0];
      cb.method.should.equal("POST");
      cb.url.should.equal("/all?a=1&b=two");
      cb.headers["content-type"].should.equal("application/json");
      cb.body.should.eql({
        server_time: T0,
        query_params: { a: "1", b: "two" },
        module: "Leads",
        resource_uri: `${url}/crm/v8/Leads`,
        ids,
        affected_fields: [],
        operation: "insert",
        channel_id: "100",
        token: "verify-me",
      });
      Object.keys(cb.body).should.eql(["server_time", "query_params", "module", "resource_uri", "ids", "affected_fields", "operation", "channel_id", "token"]);
      sim.clock.advance(1000);
      await call("PUT", "/crm/v8/Leads", { body: { data: [{ id: ids[0], Company: "X" }, { id: ids[1], Company: "Y" }] } });
      await sim.callbacksSettled();
      target.received.slice(1).map((x) => [x.url, x.body.operation, x.body.ids, x.body.channel_id, x.body.token, x.body.server_time]).should.eql([
        ["/all?a=1&b=two", "update", [ids[0], ids[1]], "100", "verify-me", T0 + 1000],
        ["/edits", "update", [ids[0], ids[1]], "200", null, T0 + 1000],
      ]);
      target.received = [];
      r = await call("POST", "/crm/v8/Leads/upsert", { body: { data: [{ Last_Name: "Two", Email: "two@example.com", Company: "Z" }, { Last_Name: "Four" }] } });
      r.body.data.map((d) => d.action).should.eql(["update", "insert"]);
      await sim.callbacksSettled();
      target.received.map((x) => [x.url, x.body.operation, x.body.ids]).should.eql([
        ["/all?a=1&b=two", "update", [ids[1]]],
        ["/edits", "update", [ids[1]]],
        ["/all?a=1&b=two", "insert", [r.body.data[1].details.id]],
      ]);
      target.received = [];
      await call("DELETE", `/crm/v8/Leads?ids=${ids[0]},${ids[2]},1234`);
      await sim.callbacksSettled();
      target.received.map((x) => [x.body.operation, x.body.ids]).should.eql([["delete", [ids[0], ids[2]]]]);
      // failed writes send nothing
      target.received = [];
      (await insert([{ Company: "no last name" }])).status.should.equal(400);
      await sim.callbacksSettled();
      target.received.length.should.equal(0);
      sim.callbacks.every((c) => c.status === 200).should.be.true();
    });

    it("return_affected_field_values: affected_fields and affected_values on updates", async function () {
      await enable([{ channel_id: "1", events: ["Leads.edit", "Leads.create"], notify_url: `${target.url}/cb`, return_affected_field_values: true }]);
      const [a, b] = sim.seedRecords("Leads", [{ Last_Name: "A", Phone: "1" }, { Last_Name: "B", Phone: "2" }]).map((x) => x.id);
      await call("PUT", "/crm/v8/Leads", { body: { data: [{ id: a, Phone: "111", Company: "Co" }, { id: b, Phone: "2" }] } });
      await sim.callbacksSettled();
      const body = target.received[0].body;
      body.affected_fields.should.eql([{ [a]: ["Company", "Phone"] }, { [b]: [] }]);
      body.affected_values.should.eql([
        { record_id: a, values: { Company: "Co", Phone: "111" } },
        { record_id: b, values: {} },
      ]);
      sim.ui.create("Leads", { Last_Name: "C" });
      await sim.callbacksSettled();
      target.received[1].body.affected_fields.should.eql([]);
      target.received[1].body.should.not.have.property("affected_values");
    });

    it("UI changes send callbacks too, one per change", async function () {
      await enable([{ channel_id: "1", events: ["Leads.all"], notify_url: `${target.url}/cb`, return_affected_field_values: true }]);
      const rec = sim.ui.create("Leads", { Last_Name: "Ui" });
      sim.ui.update("Leads", rec.id, { Company: "C" });
      sim.ui.delete("Leads", rec.id, { permanent: true });
      await sim.callbacksSettled();
      target.received.map((x) => [x.body.operation, x.body.ids]).should.eql([
        ["insert", [rec.id]],
        ["update", [rec.id]],
        ["delete", [rec.id]],
      ]);
      target.received[1].body.affected_values.should.eql([{ record_id: rec.id, values: { Company: "C" } }]);
      sim.requests.filter((q) => q.path.startsWith("/crm/v8/Leads")).length.should.equal(0);
    });

    it("delivers only to loopback hosts and logs every attempt (status, errors)", async function () {
      await enable([
        { channel_id: "1", events: ["Leads.create"], notify_url: "http://example.com/hook" },
        { channel_id: "2", events: ["Leads.create"], notify_url: "https://10.0.0.1/hook" },
        { channel_id: "3", events: ["Leads.create"], notify_url: `http://localhost:${target.port}/local` },
        { channel_id: "4", events: ["Leads.create"], notify_url: `${target.url}/ok` },
      ]);
      target.status = 500;
      sim.ui.create("Leads", { Last_Name: "X" });
      await sim.callbacksSettled();
      const log = Object.fromEntries(sim.callbacks.map((c) => [c.channelId, c]));
      log["1"].error.should.equal("not delivered: example.com is not a loopback address");
      should(log["1"].status).be.undefined();
      log["2"].error.should.match(/not delivered: 10\.0\.0\.1/);
      log["3"].status.should.equal(500);
      log["4"].status.should.equal(500);
      log["4"].body.ids.length.should.equal(1);
      log["4"].url.should.equal(`${target.url}/ok`);
      target.received.map((x) => x.url).sort().should.eql(["/local", "/ok"]);
      // a target that is down: the error is logged, nothing is retried
      const down = http.createServer();
      await new Promise((r) => down.listen(0, "127.0.0.1", r));
      const port = down.address().port;
      await new Promise((r) => down.close(r));
      await enable([{ channel_id: "5", events: ["Leads.delete"], notify_url: `http://127.0.0.1:${port}/gone` }]);
      sim.ui.delete("Leads", sim.records("Leads")[0].id);
      await sim.callbacksSettled();
      const last = sim.callbacks[sim.callbacks.length - 1];
      last.channelId.should.equal("5");
      last.error.should.match(/ECONNREFUSED/);
    });

    it("callback faults: drop, delay, duplicate, reorder; times; clearCallbackFaults", async function () {
      await enable([{ channel_id: "1", events: ["Leads.create"], notify_url: `${target.url}/cb` }]);
      const create = (name) => sim.ui.create("Leads", { Last_Name: name }).id;
      const got = () => target.received.map((x) => x.body.ids[0]);

      sim.injectCallbackFault({ kind: "drop" });
      const [a, b] = [create("a"), create("b")];
      await sim.callbacksSettled();
      got().should.eql([b]);
      sim.callbacks.map((c) => [c.body.ids[0], c.fault, c.error]).should.eql([
        [a, "drop", "dropped by injected fault"],
        [b, undefined, undefined],
      ]);

      target.received = [];
      sim.injectCallbackFault({ kind: "delay", delayMs: 150 });
      const started = Date.now();
      const [c, d] = [create("c"), create("d")];
      await sim.callbacksSettled();
      (Date.now() - started).should.be.aboveOrEqual(140);
      got().should.eql([d, c]);

      target.received = [];
      sim.injectCallbackFault({ kind: "duplicate" });
      const e = create("e");
      await sim.callbacksSettled();
      got().should.eql([e, e]);

      target.received = [];
      sim.injectCallbackFault({ kind: "reorder" });
      const [f, g, h] = [create("f"), create("g"), create("h")];
      await sim.callbacksSettled();
      got().should.eql([g, f, h]);

      target.received = [];
      sim.injectCallbackFault({ kind: "reorder", delayMs: 50 }); // no next callback: released after delayMs
      const i = create("i");
      await sim.callbacksSettled();
      got().should.eql([i]);

      target.received = [];
      sim.injectCallbackFault({ kind: "drop", times: 2 });
      [create("j"), create("k")];
      const l = create("l");
      await sim.callbacksSettled();
      got().should.eql([l]);

      target.received = [];
      sim.injectCallbackFault({ kind: "drop", times: 5 });
      sim.clearCallbackFaults();
      const m = create("m");
      await sim.callbacksSettled();
      got().should.eql([m]);
      (() => sim.injectCallbackFault({ kind: "explode" })).should.throw();
    });

    it("reset() clears channels, the callback log and callback faults", async function () {
      await enable([{ channel_id: "1", events: ["Leads.create"], notify_url: `${target.url}/cb` }]);
      sim.ui.create("Leads", { Last_Name: "x" });
      await sim.callbacksSettled();
      sim.callbacks.length.should.equal(1);
      sim.injectCallbackFault({ kind: "drop" });
      sim.reset();
      sim.callbacks.length.should.equal(0);
      sim.channels.size.should.equal(0);
      H = await token();
      await enable([{ channel_id: "1", events: ["Leads.create"], notify_url: `${target.url}/cb` }]);
      target.received = [];
      sim.ui.create("Leads", { Last_Name: "y" });
      await sim.callbacksSettled();
      target.received.length.should.equal(1); // the fault was cleared
    });
  });
});
