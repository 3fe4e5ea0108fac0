// Error messages in the runtime's language: every catalog key the code uses exists in every
// language; the build puts the shared error texts (locales/<lang>/zoho-errors.json) into each node's
// catalog; the glue translates our messages and advice, keeping msg.error.code; and German reaches
// Catch nodes, both under the test helper (Node-RED's own i18n, language "de") and in a real
// Node-RED started with lang: "de".
"use strict";
const should = require("should");
const fs = require("fs");
const path = require("path");
const { helper, nodeRedPath, startSimulator, configFlow, configNode, readNodePath, writeNodePath, CLIENT_ID } = require("./fixtures");
const { startNodeRed } = require("../scripts/node-red-runtime");
const { ZohoError, invalidInput } = require("../dist/nodes/zoho");
const { TEXTS } = require("../dist/nodes/zoho/texts");
const { asError, catalogTranslator } = require("../dist/nodes/common/node-helpers");

const root = path.resolve(__dirname, "..");
// Node-RED's i18n (of the Node-RED the helper runs: CI sets NODE_RED_PATH for Node-RED 5).
const { i18n } = require(require.resolve("@node-red/util", { paths: [path.dirname(nodeRedPath)] }));
const LANGUAGES = ["en-US", "de", "ja", "zh-CN"];
const SHARED = "zoho-errors.json";
const PKG = require("../package.json").name;
// Every node of the package (package.json "node-red".nodes), so a new node's keys are checked too.
const NODE_FILES = Object.keys(require("../package.json")["node-red"].nodes);
const NODE_NAMES = NODE_FILES.join("|");

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));

function filesUnder(dir, ext) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? filesUnder(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

/** Every string literal captured by `re` (group 1) in the files. */
function literals(files, re, map = (k) => k) {
  const out = new Map();
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(re)) {
      const key = map(m[1]);
      if (key && !out.has(key)) out.set(key, path.relative(root, file));
    }
  }
  return out;
}

/** The catalog file and dotted path a key lives at: zoho.* in zoho-errors.json, <node>.* in <node>.json. */
function locate(key) {
  const top = key.split(".")[0];
  return { file: top === "zoho" ? SHARED : `${top}.json`, path: key.split(".") };
}

function has(catalog, keyPath) {
  let node = catalog;
  for (const [i, part] of keyPath.entries()) {
    if (node === null || typeof node !== "object") return false;
    const last = i === keyPath.length - 1;
    if (last) return typeof node[part] === "string" || typeof node[`${part}_plural`] === "string";
    node = node[part];
  }
  return false;
}

const tsFiles = filesUnder(path.join(root, "nodes"), ".ts");
const sourceFiles = tsFiles.filter((f) => !f.endsWith(path.join("zoho", "texts.ts")));
const editorFiles = [...filesUnder(path.join(root, "nodes"), ".html"), ...filesUnder(path.join(root, "resources"), ".js")];

/** Keys of the node catalogs named in code: RED._("…"), node._("…"), status keys, data-i18n, the pickers' t("…"). */
function catalogKeysUsed() {
  const keys = new Map();
  const add = (found) => found.forEach((where, key) => keys.has(key) || keys.set(key, where));
  // Ours: keys of our catalogs. Not: other namespaces (node-red:…), the editor's own (RED._("typedInput…")), dynamic prefixes.
  const own = (k) => (new RegExp(`^(${NODE_NAMES}|zoho)\\.[\\w.]*\\w$`).test(k) ? k : undefined);
  add(literals(tsFiles, /\bRED\._\(\s*"([^"]+)"/g, own));
  add(literals(tsFiles, new RegExp(`\\btext:\\s*"((?:${NODE_NAMES})\\.[\\w.]+)"`, "g"), own));
  add(literals(editorFiles, /\b_\(\s*["']([^"']+)["']\s*[,)]/g, own));
  add(literals(editorFiles, /data-i18n="([^"]+)"/g, (v) => v));
  for (const [attr, where] of [...keys]) {
    // data-i18n="[placeholder]key;[html]other" → the keys
    if (!attr.includes("[") && !attr.includes(";")) continue;
    keys.delete(attr);
    for (const part of attr.split(";")) {
      const key = own(part.replace(/^\[[^\]]*\]/, ""));
      if (key && !keys.has(key)) keys.set(key, where);
    }
  }
  for (const key of [...keys.keys()]) if (own(key) === undefined) keys.delete(key);
  add(literals(editorFiles.filter((f) => f.endsWith("zoho-crm-pickers.js")), /\bt\(\s*"([\w.]+)"\s*[,)]/g, (k) => `zoho-config.${k}`));
  return keys;
}

/** Keys of our texts (zoho.*) named in the code: invalidInput("…"), key: "…", advice: "…", ours("…"), and every key of TEXTS. */
function textKeysUsed() {
  const keys = new Map();
  const add = (found) => found.forEach((where, key) => keys.has(key) || keys.set(key, where));
  const inSection = (section) => (k) => `zoho.${k.includes(".") ? k : `${section}.${k}`}`;
  add(literals(sourceFiles, /\binvalidInput\(\s*"(\w+)"/g, inSection("errors")));
  add(literals(sourceFiles, /\bours\(\s*"(\w+)"/g, inSection("errors")));
  // (a value, not a type such as `key: "clientId" | "clientSecret"`)
  add(literals(sourceFiles, /\bkey:\s*"([\w.]+)"\s*[,}\n]/g, inSection("errors")));
  add(literals(sourceFiles, /\badvice:\s*"(\w+)"\s*[,}\n]/g, inSection("advice")));
  add(literals(sourceFiles, /\binvalidInput\([^)]*,\s*"(\w+)"\s*\)/g, inSection("advice")));
  for (const [section, texts] of Object.entries(TEXTS)) {
    for (const name of Object.keys(texts)) if (!keys.has(`zoho.${section}.${name}`)) keys.set(`zoho.${section}.${name}`, "nodes/zoho/texts.ts");
  }
  return keys;
}

describe("i18n of error messages", function () {
  describe("catalog keys", function () {
    const catalogs = {};
    before(() => {
      for (const lang of LANGUAGES) {
        catalogs[lang] = {};
        for (const file of fs.readdirSync(path.join(root, "locales", lang)).filter((f) => f.endsWith(".json"))) {
          catalogs[lang][file] = readJson(path.join(root, "locales", lang, file));
        }
      }
    });

    it("finds the keys the code uses (the collection itself works)", () => {
      const used = catalogKeysUsed();
      [...used.keys()].should.containEql("zoho-crm-read.status.progress"); // RED._ in .ts
      [...used.keys()].should.containEql("zoho-crm-read.status.reading"); // status text key in .ts
      [...used.keys()].should.containEql("zoho-crm-write.label.connection"); // data-i18n
      [...used.keys()].should.containEql("zoho-crm-read.placeholder.module"); // data-i18n="[placeholder]…"
      [...used.keys()].should.containEql("zoho-config.token.none"); // node._ in .html
      [...used.keys()].should.containEql("zoho-config.picker.loading"); // the pickers' t()
      const texts = textKeysUsed();
      texts.get("zoho.errors.notFieldName").should.not.equal("nodes/zoho/texts.ts");
      texts.get("zoho.advice.setModuleNodeOrMsg").should.not.equal("nodes/zoho/texts.ts");
      texts.get("zoho.values.theRecord").should.not.equal("nodes/zoho/texts.ts");
      texts.get("zoho.advice.coqlExample").should.not.equal("nodes/zoho/texts.ts"); // invalidInput(key, params, advice)
    });

    for (const lang of LANGUAGES) {
      it(`every key used in nodes/, the editor files and the client's texts exists in ${lang}`, () => {
        const missing = [];
        for (const [key, where] of [...catalogKeysUsed(), ...textKeysUsed()]) {
          const { file, path: keyPath } = locate(key);
          if (!catalogs[lang][file] || !has(catalogs[lang][file], keyPath)) missing.push(`${key} (used in ${where}, looked up in locales/${lang}/${file})`);
        }
        missing.should.eql([], `missing in ${lang}:\n  ${missing.join("\n  ")}`);
      });
    }

    it("every key the client's code names has its English in TEXTS", () => {
      const unknown = [...textKeysUsed().keys()].filter((key) => {
        const [, section, name] = key.split(".");
        return !(TEXTS[section] && Object.prototype.hasOwnProperty.call(TEXTS[section], name));
      });
      unknown.should.eql([]);
    });

    it("every message, value and cap text of TEXTS is used somewhere in the code", () => {
      const code = sourceFiles.map((f) => fs.readFileSync(f, "utf8")).join("\n");
      const unused = [];
      for (const section of ["errors", "values", "caps"]) {
        for (const name of Object.keys(TEXTS[section])) {
          if (!code.includes(`"${name}"`) && !code.includes(`"${section}.${name}"`)) unused.push(`${section}.${name}`);
        }
      }
      unused.should.eql([]);
    });

    it("en-US zoho-errors.json holds exactly the client's English texts", () => {
      catalogs["en-US"][SHARED].should.eql({ zoho: JSON.parse(JSON.stringify(TEXTS)) });
    });
  });

  describe("the build", function () {
    it("merges the shared texts into every node's catalog, in every language, and ships no separate file", () => {
      for (const lang of LANGUAGES) {
        const shared = readJson(path.join(root, "locales", lang, SHARED));
        fs.existsSync(path.join(root, "dist/nodes/locales", lang, SHARED)).should.be.false();
        for (const name of NODE_FILES) {
          const built = readJson(path.join(root, "dist/nodes/locales", lang, `${name}.json`));
          const source = readJson(path.join(root, "locales", lang, `${name}.json`));
          built.should.eql({ ...source, ...shared }, `dist/nodes/locales/${lang}/${name}.json`);
        }
      }
    });
  });

  describe("the glue's translation", function () {
    // A stand-in for a node's RED._: a catalog of a few keys, the key itself for the rest (as i18next does).
    const stubRED = (catalog) => ({
      _: (key, params = {}) => (catalog[key] === undefined ? key : catalog[key].replace(/__(\w+?)__/g, (m, n) => (n in params ? params[n] : m))),
    });
    const german = catalogTranslator(
      stubRED({
        "zoho.errors.notFieldName": "„__name__“ ist kein Feld-API-Name",
        "zoho.errors.expectedRecord": "erwartet: ein Datensatz-Objekt; erhalten: __got__",
        "zoho.values.text": "der Text „__text__“",
        "zoho.advice.INVALID_MODULE": "Prüfen Sie den API-Namen des Moduls",
      }),
    );

    it("translates our message, keeping code, details and the stack's frames", () => {
      const err = invalidInput("notFieldName", { name: "Bad-Name" });
      const de = asError(err, german);
      de.should.be.instanceOf(ZohoError);
      de.should.not.equal(err);
      de.code.should.equal("INVALID_INPUT");
      de.message.should.equal("INVALID_INPUT: „Bad-Name“ ist kein Feld-API-Name");
      String(de).should.equal("ZohoError: INVALID_INPUT: „Bad-Name“ ist kein Feld-API-Name"); // what msg.error.message gets
      de.stack.split("\n")[0].should.equal(String(de));
      de.stack.split("\n").slice(1).should.eql(err.stack.split("\n").slice(1));
      err.message.should.equal('INVALID_INPUT: "Bad-Name" is not a field API name'); // the original is untouched
      Object.prototype.hasOwnProperty.call(de, "code").should.be.true(); // Node-RED copies own `code` into msg.error
    });

    it("keeps Zoho's own message and translates the advice for Zoho's code", () => {
      const err = new ZohoError({ code: "INVALID_MODULE", message: "the module name given seems to be invalid", httpStatus: 400, details: { resource_path_index: 0 } });
      const de = asError(err, german);
      de.message.should.equal("INVALID_MODULE: the module name given seems to be invalid. Prüfen Sie den API-Namen des Moduls");
      de.advice.should.equal("Prüfen Sie den API-Namen des Moduls");
      de.httpStatus.should.equal(400);
      de.details.should.eql({ resource_path_index: 0 });
      de.toJSON().should.eql({ code: "INVALID_MODULE", message: "the module name given seems to be invalid", httpStatus: 400, details: { resource_path_index: 0 }, advice: "Prüfen Sie den API-Namen des Moduls" });
    });

    it("translates values inside a message", () => {
      asError(invalidInput("expectedRecord", { got: { key: "values.text", params: { text: "x" } } }), german).message.should.equal(
        "INVALID_INPUT: erwartet: ein Datensatz-Objekt; erhalten: der Text „x“",
      );
    });

    it("falls back to the English where the catalog has no text, and without a translator", () => {
      const err = new ZohoError({ code: "NO_CONNECTION", key: "noConnection" });
      asError(err, german).should.equal(err); // nothing to translate: the same error
      asError(err, catalogTranslator(stubRED({}))).message.should.equal("NO_CONNECTION: no Zoho connection configured. Open the node and choose (or create) a Zoho connection, then Deploy");
      asError(err).should.equal(err);
      asError("boom", german).message.should.equal("boom");
      asError(undefined, german).message.should.equal("unexpected error");
    });
  });

  describe("German under the test helper, with Node-RED's i18n", function () {
    let sim;
    let switchedFrom;
    before(async () => {
      await helper.startServer();
      ({ sim } = await startSimulator());
      // The helper's RED._ returns the key; here each node gets Node-RED's real lookup in its own
      // namespace (the node set, as the registry loads it) with the runtime language set to German.
      i18n.init({ lang: "de" });
      if (i18n.i.language !== "de") {
        switchedFrom = i18n.i.language;
        await i18n.i.changeLanguage("de");
      }
      for (const name of NODE_FILES) await i18n.registerMessageCatalog(`${PKG}/${name}`, path.join(root, "dist/nodes/locales"), `${name}.json`);
    });
    after(async () => {
      if (switchedFrom) await i18n.i.changeLanguage(switchedFrom);
      await sim.stop();
      await helper.stopServer();
    });
    afterEach(() => helper.unload());

    /** A node module whose RED._ looks in the node set's namespace, like Node-RED's registry does. */
    const inOwnNamespace = (register, name) => (RED) =>
      register(Object.assign(Object.create(RED), { _: (key, params) => i18n._(key.includes(":") ? key : `${PKG}/${name}:${key}`, params) }));

    async function load(nodes) {
      const { node: conn, credentials } = configFlow(sim, sim.issueRefreshToken(CLIENT_ID));
      const flow = [
        { id: "f1", type: "tab" },
        conn,
        ...nodes.map((n) => ({ z: "f1", connection: "conn", ...n })),
        { id: "c", type: "catch", z: "f1", scope: null, uncaught: false, wires: [["caught"]] },
        { id: "caught", type: "helper", z: "f1" },
        { id: "out", type: "helper", z: "f1" },
      ];
      await helper.load(
        [inOwnNamespace(configNode, "zoho-config"), inOwnNamespace(require(readNodePath), "zoho-crm-read"), inOwnNamespace(require(writeNodePath), "zoho-crm-write")],
        flow,
        credentials,
      );
    }
    const next = (id) => new Promise((resolve) => helper.getNode(id).once("input", resolve));

    it("the runtime language is German", () => {
      i18n._(`${PKG}/zoho-crm-read:zoho-crm-read.label.module`).should.equal("Modul");
    });

    it("an INVALID_INPUT error reaches the Catch node in German, with the same msg.error.code", async () => {
      await load([
        { id: "r", type: "zoho-crm-read", operation: "list", module: "", moduleType: "str", output: "array", wires: [["out"]] },
        { id: "g", type: "zoho-crm-read", operation: "get", module: "Leads", moduleType: "str", recordId: "12ab", recordIdType: "str", output: "array", wires: [["out"]] },
      ]);
      let caught = next("caught");
      helper.getNode("r").receive({ payload: 1 });
      let msg = await caught;
      msg.error.code.should.equal("INVALID_INPUT");
      msg.error.message.should.equal("ZohoError: INVALID_INPUT: kein Modul angegeben. Setzen Sie den API-Namen des Moduls (z. B. Leads) im Node oder in msg");

      caught = next("caught");
      helper.getNode("g").receive({ payload: 1 });
      msg = await caught;
      msg.error.code.should.equal("INVALID_INPUT");
      msg.error.message.should.equal("ZohoError: INVALID_INPUT: „12ab“ ist keine Zoho-Datensatz-ID (nur Ziffern)");
    });

    it("a Zoho error code carries the German advice, Zoho's own message unchanged, and the status shows the code", async () => {
      await load([{ id: "r", type: "zoho-crm-read", operation: "list", module: "Nope", moduleType: "str", fields: "Last_Name", fieldsType: "str", output: "array", wires: [["out"]] }]);
      const statuses = [];
      helper.getNode("r").on("call:status", (call) => statuses.push(call.args[0]));
      const caught = next("caught");
      helper.getNode("r").receive({ payload: 1 });
      const msg = await caught;
      msg.error.code.should.equal("INVALID_MODULE");
      msg.error.message.should.equal(
        "ZohoError: INVALID_MODULE: the module name given seems to be invalid. Prüfen Sie den API-Namen des Moduls (z. B. Leads, Contacts oder den API-Namen Ihres benutzerdefinierten Moduls unter Setup > Developer Hub > APIs)",
      );
      await new Promise((r) => setImmediate(r));
      statuses[statuses.length - 1].should.eql({ fill: "red", shape: "ring", text: "INVALID_MODULE" });
    });

    it("the write node's per-record message and advice are German, the code the same", async () => {
      await load([{ id: "w", type: "zoho-crm-write", operation: "create", module: "Leads", moduleType: "str", wires: [["out"], ["bad"]] }, { id: "bad", type: "helper" }]);
      const bad = next("bad");
      helper.getNode("w").receive({ payload: ["x"] });
      const msg = await bad;
      msg.payload.should.have.length(1);
      const [result] = msg.payload;
      result.code.should.equal("INVALID_INPUT");
      result.message.should.equal("erwartet: ein Datensatz-Objekt; erhalten: der Text „x“");
      result.advice.should.equal("Jeder Datensatz muss ein Objekt aus Feld-API-Namen und Werten sein");
    });
  });

  describe("German in a real Node-RED started with lang: \"de\"", function () {
    this.timeout(90000);
    let sim, refreshToken, nr;
    before(async () => {
      ({ sim, refreshToken } = await startSimulator());
      nr = await startNodeRed({ settings: { lang: "de" } });
    });
    after(async () => {
      if (nr) await nr.stop();
      if (sim) await sim.stop();
    });

    it("Catch nodes get our messages and Zoho's codes' advice in German, and msg.error.code as always", async () => {
      // GET /i18n/<case> → a read node failing in that way → Catch → msg.error as the HTTP answer.
      // (Flow nodes have x and y: without them Node-RED takes a node for a config node.)
      const at = { z: "t1", x: 100, y: 100 };
      const read = (id, props) => [
        { id: `in-${id}`, type: "http in", ...at, url: `/i18n/${id}`, method: "get", wires: [[id]] },
        { id, type: "zoho-crm-read", ...at, operation: "list", module: "Leads", moduleType: "str", fields: "Last_Name", fieldsType: "str", output: "array", wires: [[]], ...props },
      ];
      const { node: conn, credentials } = configFlow(sim, refreshToken, "conn1");
      const flows = [
        { id: "t1", type: "tab", label: "i18n" },
        { ...conn, credentials: credentials.conn1 }, // the Admin API takes credentials in the node
        ...read("operation", { operation: "drop" }),
        ...read("connection", {}),
        ...read("module", { connection: "conn1", module: "Nope" }),
        { id: "catch", type: "catch", ...at, scope: null, uncaught: false, wires: [["error"]] },
        { id: "error", type: "change", ...at, rules: [{ t: "set", p: "payload", pt: "msg", to: "error", tot: "msg" }], wires: [["answer"]] },
        { id: "answer", type: "http response", ...at, statusCode: "200", headers: {}, wires: [] },
      ];
      const deploy = await fetch(nr.url + "/flows", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Node-RED-API-Version": "v2" },
        body: JSON.stringify({ flows }),
      });
      deploy.status.should.equal(200);
      const error = async (id) => {
        for (let i = 0; ; i++) {
          const res = await fetch(`${nr.url}/i18n/${id}`, { signal: AbortSignal.timeout(10000) });
          if (res.status === 200) return res.json();
          if (i > 50) throw new Error(`GET /i18n/${id}: HTTP ${res.status}`);
          await new Promise((r) => setTimeout(r, 100)); // the deploy answers before the flows have started
        }
      };

      const operation = await error("operation");
      operation.code.should.equal("INVALID_INPUT");
      operation.message.should.equal("ZohoError: INVALID_INPUT: unbekannte Operation „drop“");

      const connection = await error("connection");
      connection.code.should.equal("NO_CONNECTION");
      connection.message.should.equal(
        "ZohoError: NO_CONNECTION: keine Zoho-Verbindung konfiguriert. Öffnen Sie den Node, wählen Sie eine Zoho-Verbindung (oder legen Sie eine an) und übernehmen (deploy) Sie",
      );

      const module = await error("module");
      module.code.should.equal("INVALID_MODULE");
      module.message.should.match(/^ZohoError: INVALID_MODULE: the module name given seems to be invalid\. Prüfen Sie den API-Namen des Moduls/);
    });
  });
});
