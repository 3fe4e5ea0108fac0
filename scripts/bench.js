#!/usr/bin/env node
// `npm run bench`: the read, write and trigger benchmarks, each against the simulator in
// its own process (each is bounded and stops itself). Arguments are passed on to each.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

let failed = false;
for (const name of ["bench-read.js", "bench-write.js", "bench-trigger.js"]) {
  const script = path.join(__dirname, name);
  if (!fs.existsSync(script)) {
    console.log(`(${name} not found, skipped)`);
    continue;
  }
  const run = spawnSync(process.execPath, [script, ...process.argv.slice(2)], { stdio: "inherit", timeout: 300_000 });
  if (run.status !== 0) {
    console.error(`${name} failed${run.signal ? ` (${run.signal})` : ""}`);
    failed = true;
  }
  console.log("");
}
process.exit(failed ? 1 : 0);
