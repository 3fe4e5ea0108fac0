// The change iterator (zoho/changes.ts) against the simulator: the edges of polling correctly.
"use strict";
const should = require("should");
const { startSimulator, simClient, CLIENT_ID } = require("./fixtures");
const { writeRecords } = require("../dist/nodes/zoho/writes");
const { pollChanges, changesByIds, startPosition, validPosition, enableWatch, renewWatch, disableWatch, newChannelId, newChannelToken } = require("../dist/nodes/zoho");
const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");

const LEADS = "/crm/v8/Leads";
const DELETED = "/crm/v8/Leads/deleted";
const FIELDS = ["Last_Name"];
const ALL = ["create", "update", "delete"];

/** A Zoho datetime for epoch ms in a given offset (minutes east of UTC). */
function zohoTime(ms, offsetMin = 330) {
  const d = new Date(ms + offsetMin * 60000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return `${d}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

describe("changes: polling for created, updated and deleted records", function () {
  let sim, client;
  beforeEach(async () => {
    ({ sim } = await startSimulator());
    client = simClient(sim, sim.issueRefreshToken(CLIENT_ID));
  });
  afterEach(async () => sim.stop());

  const poll = (position, kinds = ALL) => pollChanges(client, position, { module: "Leads", kinds, fields: FIELDS });
  const T = Date.UTC(2026, 5, 1, 10, 0, 0);

  it("an idle poll costs exactly one call per kind", async () => {
    const r = await poll(startPosition("Leads", Date.now()));
    r.events.should.eql([]);
    sim.count({ path: LEADS }).should.equal(1);
    sim.count({ path: DELETED }).should.equal(1);
    r.calls.should.equal(2);
    sim.requests = [];
    await poll(r.position, ["create"]);
    sim.count({ path: LEADS }).should.equal(1);
    sim.count({ path: DELETED }).should.equal(0);
  });

  it("records sharing one Modified_Time across page boundaries are neither lost nor repeated", async () => {
    const t = zohoTime(T);
    sim.seedRecords("Leads", Array.from({ length: 450 }, (_, i) => ({ Last_Name: `tie ${i}`, Created_Time: t, Modified_Time: t })));
    const first = await poll(startPosition("Leads", T - 600_000), ["create", "update"]);
    first.events.should.have.length(450);
    new Set(first.events.map((e) => e.id)).size.should.equal(450);
    first.events.every((e) => e.kind === "create").should.be.true();
    sim.count({ path: LEADS }).should.equal(3); // ceil(450/200) pages, no count call
    first.position.records.since.should.equal(T);
    // The next poll asks again from the overlap window and sends nothing twice.
    (await poll(first.position, ["create", "update"])).events.should.eql([]);
  });

  it("keeps the greatest time seen, compares instants (offsets differ), and orders by time", async () => {
    // Three records whose offsets differ (a daylight-saving change in the user's zone): string order is not time order.
    const records = sim.seedRecords("Leads", [
      { Last_Name: "a", Created_Time: zohoTime(T + 3000, 120), Modified_Time: zohoTime(T + 3000, 120) }, // 12:00:03+02:00
      { Last_Name: "b", Created_Time: zohoTime(T + 1000, 60), Modified_Time: zohoTime(T + 1000, 60) }, // 11:00:01+01:00
      { Last_Name: "c", Created_Time: zohoTime(T + 2000, 330), Modified_Time: zohoTime(T + 2000, 330) }, // 15:30:02+05:30
    ]);
    const r = await poll(startPosition("Leads", T - 60_000), ["create", "update"]);
    r.events.map((e) => e.payload.Last_Name).should.eql(["b", "c", "a"]);
    r.position.records.since.should.equal(T + 3000);
    records.length.should.equal(3);
  });

  it("create vs update from Created_Time against the position; a later update of the same record is a new event", async () => {
    const rec = sim.seedRecords("Leads", [{ Last_Name: "old", Created_Time: zohoTime(T - 86400_000), Modified_Time: zohoTime(T + 5000) }])[0];
    const fresh = sim.seedRecords("Leads", [{ Last_Name: "new", Created_Time: zohoTime(T + 6000), Modified_Time: zohoTime(T + 6000) }])[0];
    const r = await poll(startPosition("Leads", T), ["create", "update"]);
    r.events.map((e) => `${e.kind} ${e.id}`).should.eql([`update ${rec.id}`, `create ${fresh.id}`]);
    // Updated again later (a new Modified_Time): a new update event; the old version is not repeated.
    const now = Date.now();
    await writeRecords(client, { operation: "update", module: "Leads", records: [{ id: fresh.id, Last_Name: "newer" }] });
    const again = await poll(r.position, ["create", "update"]);
    again.events.map((e) => `${e.kind} ${e.id}`).should.eql([`update ${fresh.id}`]);
    Date.parse(again.events[0].time).should.be.aboveOrEqual(Math.floor(now / 1000) * 1000);
  });

  it("the overlap window absorbs late visibility: a change older than the position still comes out, once", async () => {
    const late = sim.seedRecords("Leads", [{ Last_Name: "seen", Created_Time: zohoTime(T + 10_000), Modified_Time: zohoTime(T + 10_000) }]);
    const r1 = await poll(startPosition("Leads", T), ["create", "update"]);
    r1.events.should.have.length(1);
    // A change stamped 20 s before the position becomes visible only now.
    const hidden = sim.seedRecords("Leads", [{ Last_Name: "late", Created_Time: zohoTime(T - 10_000 + 0), Modified_Time: zohoTime(T + 5000) }])[0];
    const r2 = await poll(r1.position, ["create", "update"]);
    r2.events.map((e) => e.id).should.eql([hidden.id]);
    r2.events[0].kind.should.equal("update"); // created before the trigger's start: an update of an existing record
    (await poll(r2.position, ["create", "update"])).events.should.eql([]);
    late.length.should.equal(1);
  });

  it("nothing from before the trigger's start comes out, overlap or not", async () => {
    sim.seedRecords("Leads", [{ Last_Name: "just before", Created_Time: zohoTime(T - 5000), Modified_Time: zohoTime(T - 5000) }]);
    (await poll(startPosition("Leads", T), ["create", "update"])).events.should.eql([]);
  });

  it("deletes: every page read (no sort), de-duplicated on id + deleted_time, in deleted_time order", async () => {
    const ids = (await writeRecords(client, { operation: "create", module: "Leads", records: Array.from({ length: 3 }, (_, i) => ({ Last_Name: `del ${i}` })) })).map((r) => r.id);
    const start = startPosition("Leads", Math.floor(Date.now() / 1000) * 1000 - 1000);
    await writeRecords(client, { operation: "delete", module: "Leads", records: ids });
    const r = await poll(start, ["delete"]);
    r.events.map((e) => e.id).sort().should.eql([...ids].sort());
    r.events.forEach((e) => {
      e.kind.should.equal("delete");
      e.payload.should.have.properties(["id", "deleted_time", "deleted_by", "type"]);
    });
    sim.count({ method: "GET", path: LEADS }).should.equal(0); // records not asked for: no call
    (await poll(r.position, ["delete"])).events.should.eql([]);
  });

  it("a position saved as JSON and read back continues exactly where it was (restart)", async () => {
    const t = zohoTime(T);
    sim.seedRecords("Leads", Array.from({ length: 5 }, (_, i) => ({ Last_Name: `r ${i}`, Created_Time: t, Modified_Time: t })));
    const r1 = await poll(startPosition("Leads", T - 1000), ["create", "update"]);
    r1.events.should.have.length(5);
    const restored = validPosition(JSON.parse(JSON.stringify(r1.position)), "Leads");
    should(restored).be.ok();
    sim.seedRecords("Leads", [{ Last_Name: "after restart", Created_Time: zohoTime(T + 1000), Modified_Time: zohoTime(T + 1000) }]);
    const r2 = await poll(restored, ["create", "update"]);
    r2.events.map((e) => e.payload.Last_Name).should.eql(["after restart"]);
    should(validPosition(r1.position, "Contacts")).be.undefined(); // a position belongs to its module
    should(validPosition({ version: 1, module: "Leads" }, "Leads")).be.undefined();
  });

  it("records named by notifications are fetched 100 ids per call, and not sent again by the next poll", async () => {
    const t = zohoTime(T + 1000);
    const recs = sim.seedRecords("Leads", Array.from({ length: 150 }, (_, i) => ({ Last_Name: `n ${i}`, Created_Time: t, Modified_Time: t })));
    const start = startPosition("Leads", T);
    const byIds = await changesByIds(client, start, recs.map((r) => r.id), { module: "Leads", fields: FIELDS, kinds: ["create", "update"], operation: "insert" });
    byIds.events.should.have.length(150);
    byIds.events.every((e) => e.kind === "create").should.be.true();
    byIds.calls.should.equal(2);
    sim.requests.filter((r) => r.path === LEADS).map((r) => r.query.ids.split(",").length).should.eql([100, 50]);
    byIds.position.records.since.should.equal(T); // notifications never move the poll position
    (await poll(byIds.position, ["create", "update"])).events.should.eql([]);
  });

  it("refuses bad options before any call", async () => {
    const p = startPosition("Leads", T);
    for (const [opts, re] of [
      [{ module: "Le ads", kinds: ALL, fields: FIELDS }, /module/],
      [{ module: "Leads", kinds: [], fields: FIELDS }, /at least one/],
      [{ module: "Leads", kinds: ["created"], fields: FIELDS }, /at least one/],
      [{ module: "Leads", kinds: ALL, fields: [] }, /fields/],
      [{ module: "Contacts", kinds: ALL, fields: FIELDS }, /position/],
    ]) {
      const err = await pollChanges(client, p, opts).then(() => null, (e) => e);
      should(err).not.be.null();
      err.message.should.match(re);
    }
    sim.requests.length.should.equal(0);
  });

  it("late visibility with the simulator's clock: a change stamped before the position but shown late comes out once", async () => {
    sim.clock.set(T);
    const start = startPosition("Leads", T);
    sim.clock.advance(5000);
    const late = sim.ui.create("Leads", { Last_Name: "late" }, { visibleAfterMs: 30_000 }); // stamped T+5 s, visible at T+35 s
    sim.clock.advance(5000);
    sim.ui.create("Leads", { Last_Name: "on time" }); // T+10 s
    const r1 = await poll(start, ["create", "update"]);
    r1.events.map((e) => e.payload.Last_Name).should.eql(["on time"]);
    r1.position.records.since.should.equal(T + 10_000);
    sim.clock.advance(40_000); // now T+50 s: the late one is visible, stamped 45 s before now and 5 s before the position
    const r2 = await poll(r1.position, ["create", "update"]);
    r2.events.map((e) => `${e.kind} ${e.id}`).should.eql([`create ${late.id}`]);
    (await poll(r2.position, ["create", "update"])).events.should.eql([]);
  });

  it("the org's clock set back an hour by a daylight-saving change: times compare as instants, nothing lost or repeated", async () => {
    sim.setUtcOffset(120); // +02:00
    sim.clock.set(T);
    const start = startPosition("Leads", T - 1000);
    const before = sim.ui.create("Leads", { Last_Name: "summer time" }); // 12:00:00+02:00
    const r1 = await poll(start, ["create", "update"]);
    r1.events.map((e) => e.payload.Last_Name).should.eql(["summer time"]);
    sim.setUtcOffset(60); // +01:00: local clocks go back an hour
    sim.clock.advance(30_000);
    const after = sim.ui.update("Leads", before.id, { Last_Name: "winter time" }); // 11:00:30+01:00, later as an instant
    String(after.Modified_Time).should.match(/\+01:00$/);
    (String(after.Modified_Time) < String(before.Modified_Time)).should.be.true(); // as text it looks earlier
    const r2 = await poll(r1.position, ["create", "update"]);
    r2.events.map((e) => `${e.kind} ${e.payload.Last_Name}`).should.eql(["update winter time"]);
    (await poll(r2.position, ["create", "update"])).events.should.eql([]);
  });

  it("deletes: recycle-bin and permanent entries; emptying the recycle bin sends nothing again", async () => {
    sim.clock.set(T);
    const start = startPosition("Leads", T - 1000);
    const [a, b] = [sim.ui.create("Leads", { Last_Name: "a" }), sim.ui.create("Leads", { Last_Name: "b" })];
    sim.clock.advance(2000);
    sim.ui.delete("Leads", a.id);
    sim.clock.advance(2000);
    sim.ui.delete("Leads", b.id, { permanent: true });
    const r1 = await poll(start, ["delete"]);
    r1.events.map((e) => `${e.id} ${e.payload.type}`).should.eql([`${a.id} recycle`, `${b.id} permanent`]);
    should(r1.events[1].payload.deleted_by).be.null();
    sim.emptyRecycleBin("Leads"); // a's entry becomes permanent, same deleted_time
    (await poll(r1.position, ["delete"])).events.should.eql([]);
  });
});

describe("watch channels (client)", function () {
  let sim, client;
  beforeEach(async () => {
    ({ sim } = await startSimulator());
    client = simClient(sim, sim.issueRefreshToken(CLIENT_ID, `${DEFAULT_SCOPE} ZohoCRM.notifications.ALL`));
  });
  afterEach(async () => sim.stop());

  const channel = () => ({ channelId: newChannelId(), token: newChannelToken(), module: "Leads", operations: ["create", "edit"], notifyUrl: "http://127.0.0.1:9/zoho-crm/notify/t" });

  it("renews with PATCH, keeping the token, and makes the channel again when Zoho says NOT_SUBSCRIBED", async () => {
    const c = channel();
    await enableWatch(client, c);
    const renewed = await renewWatch(client, c);
    renewed.should.be.above(Date.now() + 5 * 24 * 3600_000); // well before Zoho's one week, and days ahead
    sim.channels.get(c.channelId).token.should.equal(c.token); // a PATCH without the token would have reset it
    sim.channels.clear(); // Zoho forgot it (expired, or deleted elsewhere)
    await renewWatch(client, c);
    sim.channels.get(c.channelId).token.should.equal(c.token);
    sim.requests.filter((r) => r.path === "/crm/v8/actions/watch").map((r) => r.method).should.eql(["POST", "PATCH", "PATCH", "POST"]);
  });

  it("deleting a channel Zoho no longer knows is not an error; 202 is", async () => {
    await disableWatch(client, "1234567890123");
    sim.inject({ match: { method: "POST", path: "/crm/v8/actions/watch" }, status: 202, body: { watch: [{ code: "INVALID_DATA", details: {}, message: "invalid data", status: "error" }] } });
    const err = await enableWatch(client, channel()).then(() => null, (e) => e);
    should(err).not.be.null();
    err.code.should.equal("INVALID_DATA");
    err.httpStatus.should.equal(202);
  });
});
