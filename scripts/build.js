#!/usr/bin/env node
// Build: compile TypeScript, then copy what Node-RED looks up next to each node's .js file
// (the .html editor files, locales/ and icons/). See node-red-notes.md §1.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const out = path.join(root, "dist");
const outNodes = path.join(out, "nodes");
/** Texts every node shows (error messages and advice), one file per language. */
const SHARED_CATALOG = "zoho-errors.json";

// No wipe of dist/ first: tsc and the copies overwrite in place, so a build running while tests
// run elsewhere never leaves them without files. `npm run clean` removes dist/.
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", root], { stdio: "inherit" });

fs.mkdirSync(outNodes, { recursive: true });
for (const file of fs.readdirSync(path.join(root, "nodes"))) {
  if (file.endsWith(".html")) fs.copyFileSync(path.join(root, "nodes", file), path.join(outNodes, file));
}
fs.cpSync(path.join(root, "locales"), path.join(outNodes, "locales"), { recursive: true, filter: (src) => path.basename(src) !== SHARED_CATALOG });
mergeSharedCatalogs();
fs.cpSync(path.join(root, "icons"), path.join(outNodes, "icons"), { recursive: true });

/**
 * Node-RED loads one catalog per node file (locales/<lang>/<node>.json, namespaced by the node set)
 * and a node's RED._ looks in its own namespace only, so the shared texts are merged into every
 * node's catalog: each node finds them under the same keys (zoho.errors.*, zoho.advice.*, …).
 */
function mergeSharedCatalogs() {
  const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
  for (const lang of fs.readdirSync(path.join(root, "locales"))) {
    const shared = path.join(root, "locales", lang, SHARED_CATALOG);
    if (!fs.existsSync(shared)) continue;
    const texts = readJson(shared);
    const dir = path.join(outNodes, "locales", lang);
    for (const file of fs.readdirSync(path.dirname(shared)).filter((f) => f.endsWith(".json") && f !== SHARED_CATALOG)) {
      const catalog = readJson(path.join(root, "locales", lang, file));
      for (const key of Object.keys(texts)) {
        if (key in catalog) throw new Error(`locales/${lang}/${file} already has the key "${key}" of ${SHARED_CATALOG}`);
        catalog[key] = texts[key];
      }
      // Written aside, then renamed: a test run reading the catalogs never sees half a file.
      const target = path.join(dir, file);
      fs.writeFileSync(target + ".tmp", JSON.stringify(catalog, null, 4) + "\n");
      fs.renameSync(target + ".tmp", target);
    }
  }
}
