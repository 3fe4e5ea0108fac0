// zoho-crm-trigger in a real Node-RED with a persistent (localfilesystem) context store: stop it,
// change records in Zoho, start it again: every change comes out once; a full redeploy and a
// restart send nothing again.
"use strict";
require("should");
const fs = require("fs");
const path = require("path");
const { startSimulator, simClient, CLIENT_ID, CLIENT_SECRET } = require("./fixtures");
const { startNodeRed } = require("../scripts/node-red-runtime");
const { writeRecords } = require("../dist/nodes/zoho/writes");

function waitFor(predicate, what, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = async () => {
      try {
        if (await predicate()) return resolve();
      } catch {
        /* not yet */
      }
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 50);
    };
    check();
  });
}

describe("zoho-crm-trigger in a real Node-RED (persistent context)", function () {
  this.timeout(120000);
  let sim, nr, api, out;
  const settings = { contextStorage: { default: { module: "localfilesystem" } } };

  before(async () => {
    ({ sim } = await startSimulator());
    api = simClient(sim, sim.issueRefreshToken(CLIENT_ID));
    nr = await startNodeRed({ settings });
    out = path.join(nr.userDir, "changes.jsonl");
  });
  after(async () => {
    if (nr) await nr.stop();
    if (sim) await sim.stop();
  });

  const lines = () => (fs.existsSync(out) ? fs.readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);
  const admin = (route, { method = "GET", body, headers = {} } = {}) =>
    fetch(nr.url + route, {
      method,
      headers: { "Node-RED-API-Version": "v2", "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const polls = () => sim.count({ method: "GET", path: "/crm/v8/Leads" });
  /** Press the "poll now" inject and wait until the poll's calls reached Zoho and its output was written. */
  async function pollNow() {
    const before = polls();
    const answeredDeletes = () => sim.requests.filter((r) => r.path === "/crm/v8/Leads/deleted" && r.status !== undefined).length;
    const deletedBefore = answeredDeletes();
    // Node-RED may still be starting the flows: the inject node answers 404 until it exists.
    await waitFor(async () => (await admin("/inject/go", { method: "POST" })).status === 200, "the inject node");
    // The poll asks for records, then for deletes: it is over once the deletes call has been answered.
    await waitFor(
      () => polls() > before && answeredDeletes() > deletedBefore,
      "the poll",
    );
  }

  const flows = () => [
    { id: "tt", type: "tab", label: "trigger" },
    { id: "conn", type: "zoho-config", name: "sim", dataCenter: "us", environment: "production", accountsUrl: sim.url, concurrency: 5, credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: sim.issueRefreshToken(CLIENT_ID) } },
    { id: "go", type: "inject", z: "tt", props: [{ p: "payload" }], payload: "", payloadType: "date", once: false, wires: [["trig"]] },
    { id: "trig", type: "zoho-crm-trigger", z: "tt", connection: "conn", module: "Leads", events: ["create", "update", "delete"], mode: "poll", interval: 3600, fields: "Last_Name", startFrom: "now", output: "record", wires: [["shape"]] },
    { id: "shape", type: "change", z: "tt", rules: [{ t: "set", p: "payload", pt: "msg", to: "zoho", tot: "msg" }], wires: [["fileout"]] },
    { id: "fileout", type: "file", z: "tt", filename: out, filenameType: "str", appendNewline: true, createDir: true, overwriteFile: "false", encoding: "utf8", wires: [[]] },
  ];

  const leads = (n, tag) => Array.from({ length: n }, (_, i) => ({ Last_Name: `${tag} ${i}` }));

  it("sends every change made while Node-RED was stopped, once, and nothing again after a redeploy or restart", async () => {
    const before = polls();
    (await admin("/flows", { method: "POST", body: { flows: flows() }, headers: { "Node-RED-Deployment-Type": "full" } })).status.should.equal(200);
    await waitFor(() => polls() > before, "the first poll");

    const [a, b] = (await writeRecords(api, { operation: "create", module: "Leads", records: leads(2, "first") })).map((r) => r.id);
    await pollNow();
    await waitFor(() => lines().length === 2, "two creates");
    lines().map((l) => `${l.event} ${l.id}`).sort().should.eql([`create ${a}`, `create ${b}`].sort());

    // Stop Node-RED; change records in Zoho meanwhile; start it again on the same userDir.
    const userDir = nr.userDir;
    await nr.stop();
    await new Promise((r) => setTimeout(r, 1100)); // a later second than anything already sent
    const [c] = (await writeRecords(api, { operation: "create", module: "Leads", records: leads(1, "while down") })).map((r) => r.id);
    await writeRecords(api, { operation: "update", module: "Leads", records: [{ id: a, Last_Name: "changed while down" }] });
    await writeRecords(api, { operation: "delete", module: "Leads", records: [b] });
    const pollsBeforeStart = polls();
    nr = await startNodeRed({ userDir, settings });
    await waitFor(() => lines().length === 5, "the three changes made while stopped");
    polls().should.be.above(pollsBeforeStart);
    lines().slice(2).map((l) => `${l.event} ${l.id}`).sort().should.eql([`create ${c}`, `update ${a}`, `delete ${b}`].sort());

    // A full redeploy, then a poll: nothing again.
    const current = await (await admin("/flows")).json();
    const redeploy = current.flows.map((n) => (n.id === "trig" ? { ...n, name: "renamed" } : n));
    (await admin("/flows", { method: "POST", body: { flows: redeploy, rev: current.rev }, headers: { "Node-RED-Deployment-Type": "full" } })).status.should.equal(200);
    await waitFor(async () => ((await (await admin("/flows")).json()).flows.find((n) => n.id === "trig") || {}).name === "renamed", "the redeploy");
    await pollNow();
    lines().should.have.length(5);

    // A restart, then a poll: nothing again.
    await nr.stop();
    nr = await startNodeRed({ userDir, settings });
    await pollNow();
    lines().should.have.length(5);
  });

  it("instant mode through Node-RED's HTTP port: changes arrive by callback, a forged one is refused, a restart renews the channel", async () => {
    const { DEFAULT_SCOPE } = require("../dist/simulator/accounts");
    const token = sim.issueRefreshToken(CLIENT_ID, `${DEFAULT_SCOPE} ZohoCRM.notifications.ALL`);
    const instant = flows().map((n) => {
      if (n.id === "conn") return { ...n, id: "conn2", credentials: { ...n.credentials, refreshToken: token } };
      if (n.id === "trig") return { ...n, id: "itrig", connection: "conn2", mode: "instant", publicUrl: nr.url, interval: 3600, events: ["create", "update"], wires: [["shape"]] };
      if (n.id === "go") return { ...n, wires: [["itrig"]] };
      return n;
    });
    (await admin("/flows", { method: "POST", body: { flows: instant }, headers: { "Node-RED-Deployment-Type": "full" } })).status.should.equal(200);
    await waitFor(() => sim.channels.size === 1, "the watch channel");
    const [channel] = [...sim.channels.values()];
    channel.notifyUrl.should.equal(`${nr.url}/zoho-crm/notify/itrig`);
    const before = lines().length;
    const [id] = (await writeRecords(api, { operation: "create", module: "Leads", records: leads(1, "instant") })).map((r) => r.id);
    await waitFor(() => lines().length === before + 1, "the change by callback");
    lines()[before].should.match({ event: "create", id, source: "notification" });
    (await sim.callbacksSettled());
    sim.callbacks.filter((c) => c.channelId === channel.channelId).every((c) => c.status === 200).should.be.true();

    // A forged callback (right channel, wrong token) is refused and sends nothing.
    const forged = await fetch(`${nr.url}/zoho-crm/notify/itrig`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ module: "Leads", operation: "insert", ids: [id], channel_id: channel.channelId, token: "not-the-token", server_time: Date.now() }),
    });
    forged.status.should.equal(403);

    // Restart (same address: the flow's public URL points at it): the same channel is renewed (PATCH), not made again.
    const { userDir, port } = nr;
    await nr.stop();
    nr = await startNodeRed({ userDir, settings, port });
    await waitFor(() => sim.requests.some((r) => r.method === "PATCH" && r.path === "/crm/v8/actions/watch"), "the renewal");
    sim.channels.size.should.equal(1);
    [...sim.channels.keys()].should.eql([channel.channelId]);
    const after = lines().length;
    after.should.equal(before + 1); // nothing again after the restart
    await writeRecords(api, { operation: "update", module: "Leads", records: [{ id, Last_Name: "after restart" }] }).then(() => new Promise((r) => setTimeout(r, 0)));
    await waitFor(() => lines().length === after + 1, "the update by callback after the restart");
    lines()[after].should.match({ event: "update", id });
  });

  it("with httpNodeAuth set, warns in the editor's settings and the log that Zoho's callbacks would be refused", async () => {
    const bcrypt = require("bcryptjs");
    const guarded = await startNodeRed({ settings: { httpNodeAuth: { user: "u", pass: bcrypt.hashSync("p", 4) } } });
    try {
      const editorSettings = await (await fetch(`${guarded.url}/settings`, { headers: { "Node-RED-API-Version": "v2" } })).json();
      editorSettings.zohoCrmTriggerHttpNodeAuth.should.be.true();
      const instant = flows().map((n) => (n.id === "trig" ? { ...n, mode: "instant", publicUrl: guarded.url } : n));
      const res = await fetch(`${guarded.url}/flows`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Node-RED-API-Version": "v2", "Node-RED-Deployment-Type": "full" },
        body: JSON.stringify({ flows: instant }),
      });
      res.status.should.equal(200);
      await waitFor(() => /httpNodeAuth is set/.test(guarded.logs()), "the warning in the log");
      // And indeed: a callback without credentials is refused by Node-RED before it reaches the node.
      (await fetch(`${guarded.url}/zoho-crm/notify/trig`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).status.should.equal(401);
    } finally {
      await guarded.stop();
    }
  });
});
