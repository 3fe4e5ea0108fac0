// The packed tarball, installed into a fresh Node-RED user directory the way the palette manager does:
// the five node types load with their help, translations, icon and examples.
"use strict";
require("should");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");
const { startNodeRed, repoRoot } = require("../scripts/node-red-runtime");

const PKG = "@flowkit/node-red-zoho-crm";
const npm = (args, cwd) => execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("the packed package", function () {
  this.timeout(180000);
  let tmp, tarball, files, nr;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zoho-pack-"));
    const out = JSON.parse(npm(["pack", "--json", "--pack-destination", tmp], repoRoot));
    tarball = path.join(tmp, out[0].filename);
    files = out[0].files.map((f) => f.path);
  });
  after(async () => {
    if (nr) await nr.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("ships the compiled nodes with their html, locales and icon next to them, and the examples", () => {
    for (const name of ["zoho-api", "zoho-config", "zoho-crm-read", "zoho-crm-trigger", "zoho-crm-write"]) {
      files.should.containEql(`dist/nodes/${name}.js`);
      files.should.containEql(`dist/nodes/${name}.html`);
      files.should.containEql(`dist/nodes/locales/en-US/${name}.json`);
      files.should.containEql(`dist/nodes/locales/en-US/${name}.html`);
    }
    files.should.containEql("dist/nodes/icons/zoho-crm.svg");
    files.filter((f) => f.startsWith("examples/") && f.endsWith(".json")).length.should.be.aboveOrEqual(4);
    files.should.containEql("README.md");
    files.should.containEql("LICENSE");
  });

  it("ships nothing a user does not need", () => {
    const unwanted = files.filter((f) => /^(test|simulator|scripts|nodes|docs|\.ci)\//.test(f) || f.endsWith(".ts") || f.startsWith("dist/simulator"));
    unwanted.should.eql([]);
  });

  it("installs into a Node-RED user directory and loads with help, translations, icon and examples", async () => {
    const userDir = path.join(tmp, "userdir");
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, "package.json"), JSON.stringify({ name: "node-red-project", private: true }));
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], userDir);
    fs.existsSync(path.join(userDir, "node_modules", PKG, "dist/nodes/zoho-crm-read.js")).should.be.true();

    nr = await startNodeRed({ userDir, settings: { nodesDir: [] } });
    const get = (route, accept = "application/json") => fetch(nr.url + route, { headers: { Accept: accept } });

    const sets = (await (await get("/nodes")).json()).filter((s) => s.module === PKG);
    sets.flatMap((s) => s.types).sort().should.eql(["zoho-api", "zoho-config", "zoho-crm-read", "zoho-crm-trigger", "zoho-crm-write"]);
    sets.forEach((s) => s.enabled.should.be.true());

    const html = await (await get("/nodes", "text/html")).text();
    for (const name of ["zoho-api", "zoho-config", "zoho-crm-read", "zoho-crm-trigger", "zoho-crm-write"]) {
      html.should.containEql(`data-template-name="${name}"`);
      html.should.containEql(`data-help-name="${name}"`);
    }

    const catalog = await (await get(`/locales/${PKG}/zoho-config?lng=en-US`)).json();
    catalog["zoho-config"].label.refreshToken.should.equal("Refresh Token");

    const icon = await get(`/icons/${PKG}/zoho-crm.svg`);
    icon.status.should.equal(200);
    (await icon.text()).should.containEql("<svg");

    const examples = await (await get(`/library/examples/flows/${PKG}/`)).json();
    examples.length.should.be.aboveOrEqual(4);
    nr.logs().should.not.match(/\[warn\].*node-red-zoho-crm/);
  });
});
