// Checks every translation under locales/ against the en-US reference:
// same files, same JSON keys (deep), the same __placeholders__ in each string, and help files
// for the same nodes. Run alone with: npx mocha --no-config test/locales.spec.js
"use strict";
const fs = require("fs");
const path = require("path");
const should = require("should");

const localesDir = path.resolve(__dirname, "..", "locales");
const REFERENCE = "en-US";
const referenceDir = path.join(localesDir, REFERENCE);
const referenceFiles = fs.readdirSync(referenceDir).filter((f) => f.endsWith(".json") || f.endsWith(".html")).sort();
const languages = fs
  .readdirSync(localesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== REFERENCE)
  .map((d) => d.name)
  .sort();

const PLACEHOLDER = /__([A-Za-z0-9_.-]+?)__/g;

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Every leaf of a catalog as [dotted path, value]; an empty object counts as a leaf. */
function leaves(obj, prefix = "", out = new Map()) {
  const keys = Object.keys(obj);
  if (prefix && keys.length === 0) out.set(prefix, obj);
  for (const key of keys) {
    const p = prefix ? prefix + "." + key : key;
    if (isObject(obj[key])) leaves(obj[key], p, out);
    else out.set(p, obj[key]);
  }
  return out;
}

function placeholders(text) {
  return new Set([...String(text).matchAll(PLACEHOLDER)].map((m) => m[1]));
}

/** The help blocks of a help file: data-help-name → inner HTML. */
function helpBlocks(html) {
  const blocks = new Map();
  const re = /<script\b[^>]*\bdata-help-name\s*=\s*["']([^"']+)["'][^>]*>([\s\S]*?)<\/script>/gi;
  for (const m of html.matchAll(re)) blocks.set(m[1], m[2]);
  return blocks;
}

function textOf(html) {
  return html.replace(/<[^>]*>/g, " ").replace(/&[a-z]+;|&#\d+;/gi, " ").replace(/\s+/g, " ").trim();
}

/** Message property names (first word of each <dt>), in order. */
function propertyNames(html) {
  return [...html.matchAll(/<dt\b[^>]*>([\s\S]*?)<\/dt>/gi)].map((m) => textOf(m[1].replace(/<span[\s\S]*?<\/span>/gi, "")).split(" ")[0]);
}

function links(html) {
  return [...html.matchAll(/\bhref\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]).sort();
}

describe("locales", function () {
  it("has the en-US reference files", function () {
    referenceFiles.should.not.be.empty();
  });

  for (const lang of languages) {
    describe(lang, function () {
      for (const file of referenceFiles) {
        const refPath = path.join(referenceDir, file);
        const langPath = path.join(localesDir, lang, file);

        describe(file, function () {
          it("exists", function () {
            fs.existsSync(langPath).should.be.true(`locales/${lang}/${file} is missing`);
          });

          if (file.endsWith(".json")) {
            it("has exactly the en-US keys", function () {
              if (!fs.existsSync(langPath)) this.skip();
              const ref = leaves(readJson(refPath));
              const tr = leaves(readJson(langPath));
              const missing = [...ref.keys()].filter((k) => !tr.has(k));
              const extra = [...tr.keys()].filter((k) => !ref.has(k));
              const problems = [];
              if (missing.length) problems.push(`missing: ${missing.join(", ")}`);
              if (extra.length) problems.push(`extra: ${extra.join(", ")}`);
              problems.should.be.empty(`locales/${lang}/${file}: ${problems.join("; ")}`);
            });

            it("translates every string, keeping its __placeholders__", function () {
              if (!fs.existsSync(langPath)) this.skip();
              const ref = leaves(readJson(refPath));
              const tr = leaves(readJson(langPath));
              const problems = [];
              for (const [key, refValue] of ref) {
                if (!tr.has(key)) continue; // reported by the key test
                const value = tr.get(key);
                if (typeof refValue !== "string") continue;
                if (typeof value !== "string") {
                  problems.push(`${key}: not a string`);
                  continue;
                }
                if (refValue.trim() !== "" && value.trim() === "") problems.push(`${key}: empty`);
                const have = placeholders(value);
                const lost = [...placeholders(refValue)].filter((p) => !have.has(p));
                if (lost.length) problems.push(`${key}: lacks ${lost.map((p) => `__${p}__`).join(", ")}`);
                const unknown = [...have].filter((p) => !placeholders(refValue).has(p));
                if (unknown.length) problems.push(`${key}: has ${unknown.map((p) => `__${p}__`).join(", ")}, unknown to en-US`);
              }
              problems.should.be.empty(`locales/${lang}/${file}:\n  ${problems.join("\n  ")}`);
            });
          } else {
            it("has the same help blocks as en-US, each with text", function () {
              if (!fs.existsSync(langPath)) this.skip();
              const ref = helpBlocks(fs.readFileSync(refPath, "utf8"));
              const tr = helpBlocks(fs.readFileSync(langPath, "utf8"));
              [...ref.keys()].should.not.be.empty(`en-US/${file} has no data-help-name block`);
              [...tr.keys()].sort().should.eql([...ref.keys()].sort(), `locales/${lang}/${file}: data-help-name attributes differ from en-US`);
              for (const [name, html] of tr) {
                textOf(html).should.not.be.empty(`locales/${lang}/${file}: help for ${name} has no text`);
              }
            });

            it("keeps the message property names and links of en-US", function () {
              if (!fs.existsSync(langPath)) this.skip();
              const ref = helpBlocks(fs.readFileSync(refPath, "utf8"));
              const tr = helpBlocks(fs.readFileSync(langPath, "utf8"));
              for (const [name, html] of ref) {
                if (!tr.has(name)) continue; // reported above
                propertyNames(tr.get(name)).should.eql(propertyNames(html), `locales/${lang}/${file}: message properties of ${name} differ from en-US`);
                links(tr.get(name)).should.eql(links(html), `locales/${lang}/${file}: links of ${name} differ from en-US`);
              }
            });
          }
        });
      }
    });
  }
});
