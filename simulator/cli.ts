#!/usr/bin/env node
/**
 * Run the Zoho simulator for a manual demo:
 *   node dist/simulator/cli.js [--port 8090] [--records 250] [--latency 0] [--host 127.0.0.1]
 * Seeds N Leads plus a few Accounts/Contacts/Deals/Projects/Notes and 250 Zoho Desk tickets, registers the demo client
 * (demo-client-id / demo-client-secret), prints the url and a fresh refresh token (CRM and Desk scopes), and runs until
 * SIGINT/SIGTERM.
 * Grant tokens for the Node-RED dialog: GET <url>/__sim/grant-token?client_id=demo-client-id
 */
import { DEFAULT_SCOPE, ZohoSimulator } from "./index";

export const DEMO_CLIENT_ID = "demo-client-id";
export const DEMO_CLIENT_SECRET = "demo-client-secret";

function arg(name: string, def: string): string {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : def;
}

async function main(): Promise<void> {
  const port = Number(arg("port", "8090"));
  const records = Number(arg("records", "250"));
  const latency = Number(arg("latency", "0"));
  const host = arg("host", "127.0.0.1");
  const sim = new ZohoSimulator({ latencyMs: latency });
  sim.addClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
  sim.seedRecords("Accounts", 25);
  sim.seedRecords("Contacts", 40);
  sim.seedRecords("Deals", 30);
  sim.seedRecords("Projects", 12);
  sim.seedRecords("Notes", 20);
  sim.desk.seedTickets(250);
  sim.seedRecords("Leads", Number.isFinite(records) && records >= 0 ? records : 250);
  const url = await sim.start(Number.isFinite(port) ? port : 8090, host);
  const refresh = sim.issueRefreshToken(DEMO_CLIENT_ID, `${DEFAULT_SCOPE} Desk.tickets.ALL Desk.basic.READ`);
  const lines = [
    `Zoho simulator listening on ${url}`,
    `  accounts server : ${url}  (token endpoint ${url}/oauth/v2/token)`,
    `  api domain      : ${url}  (CRM API ${url}/crm/v8/..., Zoho Desk ${url}/api/v1/... with header orgId: ${sim.desk.defaultOrg.info.id})`,
    `  client id       : ${DEMO_CLIENT_ID}`,
    `  client secret   : ${DEMO_CLIENT_SECRET}`,
    `  refresh token   : ${refresh}`,
    `  grant token     : curl '${url}/__sim/grant-token?client_id=${DEMO_CLIENT_ID}'`,
    `  stats           : ${url}/__sim/stats`,
    `  records         : ${sim.records("Leads").length} Leads, 25 Accounts, 40 Contacts, 30 Deals, 12 Projects, 20 Notes; 250 Desk tickets`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  const shutdown = () => {
    sim.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`zoho simulator failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
