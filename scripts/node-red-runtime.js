// Runs a real Node-RED (child process) with this package loaded, for tests that need the real
// runtime: admin permissions, credential encryption and restarts, the browser test.
"use strict";
const fs = require("fs");
const os = require("os");
const net = require("net");
const path = require("path");
const { spawn } = require("child_process");

const repoRoot = path.resolve(__dirname, "..");

function nodeRedDir() {
  const main = process.env.NODE_RED_PATH || require.resolve("node-red");
  let dir = path.dirname(main);
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return dir;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start Node-RED on 127.0.0.1. `settings` is merged into the generated settings.js.
 * Returns {url, userDir, stop(), logs()}. Reuse `userDir` to simulate a restart.
 */
async function startNodeRed({ userDir, settings = {}, port } = {}) {
  userDir = userDir || fs.mkdtempSync(path.join(os.tmpdir(), "zoho-nr-"));
  port = port || (await freePort());
  const settingsFile = path.join(userDir, "settings.js");
  const body = {
    uiHost: "127.0.0.1",
    uiPort: port,
    flowFile: "flows.json",
    credentialSecret: "test-credential-secret",
    nodesDir: [repoRoot], // settings.nodesDir = [] for a runtime that must find the package in node_modules
    logging: { console: { level: "info", metrics: false, audit: false } },
    // The editor opens on the flows: no "Enable Update Notifications" (telemetry) dialog, which
    // Node-RED 4.1 shows until telemetry is set, and no welcome tour.
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    ...settings,
  };
  fs.writeFileSync(settingsFile, "module.exports = " + JSON.stringify(body, null, 2) + ";\n");
  const redJs = path.join(nodeRedDir(), "red.js");
  const child = spawn(process.execPath, [redJs, "--userDir", userDir, "--settings", settingsFile], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_TOURS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error("Node-RED exited early:\n" + output);
    if (/Started flows|Server now running/.test(output) || output.includes(`${url}/`)) { // the URL: in any runtime language
      try {
        const res = await fetch(url + "/settings");
        if (res.status === 200 || res.status === 401) break;
      } catch {
        /* not yet */
      }
    }
    if (Date.now() - started > 60000) {
      child.kill("SIGKILL");
      throw new Error("Node-RED did not start in 60 s:\n" + output);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    userDir,
    logs: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGINT");
        setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 10000).unref();
      }),
  };
}

/** Admin API login (adminAuth with the password strategy). */
async function login(url, username, password, scope = "*") {
  const res = await fetch(url + "/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: "node-red-admin", grant_type: "password", scope, username, password }).toString(),
  });
  if (res.status !== 200) throw new Error(`login failed for ${username}: HTTP ${res.status}`);
  return (await res.json()).access_token;
}

module.exports = { startNodeRed, login, freePort, repoRoot, nodeRedDir };
