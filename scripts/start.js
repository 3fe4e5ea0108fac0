#!/usr/bin/env node
// `npm start`: the Zoho simulator on 127.0.0.1:8090 plus a local Node-RED on 127.0.0.1:1880 with
// this package loaded and a demo flow whose connection points at the simulator. Ctrl-C stops both.
"use strict";
const fs = require("fs");
const path = require("path");
const { ZohoSimulator } = require("../dist/simulator");
const { startNodeRed } = require("./node-red-runtime");

const SIM_PORT = Number(process.env.ZOHO_SIM_PORT || 8090);
const NR_PORT = Number(process.env.PORT || 1880);
const DEMO_CLIENT_ID = "1000.DEMOCLIENT";
const DEMO_CLIENT_SECRET = "demo-client-secret";
// A fixed refresh token so the demo connection keeps working across restarts of the in-memory simulator.
const DEMO_REFRESH_TOKEN = "1000.demo-refresh-token.simulator";

async function main() {
  const root = path.resolve(__dirname, "..");
  const userDir = path.join(root, ".demo");
  fs.mkdirSync(userDir, { recursive: true });

  const sim = new ZohoSimulator({ latencyMs: 40 });
  await sim.start(SIM_PORT, "127.0.0.1");
  sim.addClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
  sim.issueRefreshToken(DEMO_CLIENT_ID, undefined, DEMO_REFRESH_TOKEN);
  sim.seedRecords("Leads", 2500);
  sim.seedRecords("Contacts", 120);
  sim.seedRecords("Accounts", 40);

  const nr = await startNodeRed({
    userDir,
    port: NR_PORT,
    settings: { credentialSecret: "zoho-crm-demo-only", logging: { console: { level: "info" } } },
  });
  await deployDemoFlow(nr.url, sim.url);

  console.log(`
Zoho simulator   ${sim.url}   (client id ${DEMO_CLIENT_ID}, secret ${DEMO_CLIENT_SECRET})
Node-RED editor  ${nr.url}    (demo flow: "Zoho CRM demo" tab)
Grant token for the connection dialog: ${sim.url}/__sim/grant-token?client_id=${DEMO_CLIENT_ID}
Press Ctrl-C to stop both.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await nr.stop();
    await sim.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** Deploy the demo tab through the Admin API once (first start), with the connection's credentials. */
async function deployDemoFlow(nrUrl, simUrl) {
  const current = await (await fetch(nrUrl + "/flows", { headers: { "Node-RED-API-Version": "v2" } })).json();
  const flows = current.flows || [];
  if (flows.some((n) => n.id === "demo-connection")) return;
  const demo = JSON.parse(fs.readFileSync(path.join(__dirname, "demo-flow.json"), "utf8"));
  for (const n of demo) {
    if (n.id === "demo-connection") {
      n.accountsUrl = simUrl;
      n.credentials = { clientId: DEMO_CLIENT_ID, clientSecret: DEMO_CLIENT_SECRET, refreshToken: DEMO_REFRESH_TOKEN };
    }
  }
  const res = await fetch(nrUrl + "/flows", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Node-RED-API-Version": "v2", "Node-RED-Deployment-Type": "full" },
    body: JSON.stringify({ flows: flows.concat(demo), rev: current.rev }),
  });
  if (res.status !== 200) throw new Error(`deploying the demo flow failed: HTTP ${res.status} ${await res.text()}`);
}

main().catch((err) => {
  console.error(err && err.message ? err.message : err);
  process.exit(1);
});
