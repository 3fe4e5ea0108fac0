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

// No wipe of dist/ first: tsc and the copies overwrite in place, so a build running while tests
// run elsewhere never leaves them without files. `npm run clean` removes dist/.
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", root], { stdio: "inherit" });

fs.mkdirSync(outNodes, { recursive: true });
for (const file of fs.readdirSync(path.join(root, "nodes"))) {
  if (file.endsWith(".html")) fs.copyFileSync(path.join(root, "nodes", file), path.join(outNodes, file));
}
fs.cpSync(path.join(root, "locales"), path.join(outNodes, "locales"), { recursive: true });
fs.cpSync(path.join(root, "icons"), path.join(outNodes, "icons"), { recursive: true });
