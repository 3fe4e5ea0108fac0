// A result table for the benchmarks: Markdown with --markdown (for the README and docs), else aligned text.
"use strict";

function table(title, header, rows, markdown = process.argv.includes("--markdown")) {
  if (markdown) {
    console.log(`\n**${title}**\n`);
    console.log(`| ${header.join(" | ")} |`);
    console.log(`|${header.map(() => "---").join("|")}|`);
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
    return;
  }
  console.log(`\n${title}`);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

module.exports = { table };
