// Shared by faults.spec.js, fuzz.spec.js and secrets.spec.js: a connection plus any number of read
// and write nodes in one runtime (node-red-node-test-helper), each with its own collectors, a Catch
// node and a Complete node, and a way to send a message and wait until that message is finished.
"use strict";
const { helper, configFlow, configNode, readNodePath, writeNodePath, CLIENT_ID, waitFor, turns } = require("./fixtures");

const readNode = require(readNodePath);
const writeNode = require(writeNodePath);

/** The settings fixtures.js starts the helper with (fast retries); tests that change settings restore these. */
const BASE_SETTINGS = { retryBaseDelayMs: 5, retryMaxDelayMs: 50, throttleCooldownMs: 200 };

/** Set `zohoCrm` runtime settings for the next helper.load (merged over the fast-retry base). */
function zohoSettings(extra = {}) {
  helper.settings({ zohoCrm: { ...BASE_SETTINGS, ...extra } });
}

/** A deterministic PRNG (mulberry32) so failures reproduce from the seed. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

/**
 * Load a connection ("conn") and `nodes` (read/write node definitions without z/wires).
 * Every node gets: out0/out1 collectors, a Catch and a Complete node scoped to it.
 * Returns {conn, node(id), seen, run(id, msg), fire(id, msg), settled(), messages(id)}.
 */
async function loadNodes(sim, nodes, { conn = {}, refreshToken, tabs = false, credentials: extraCreds = {}, extraNodes = [], extraModules = [] } = {}) {
  const token = refreshToken || sim.issueRefreshToken(CLIENT_ID);
  const { node: connNode, credentials } = configFlow(sim, token, "conn", conn);
  const flow = [connNode];
  const seen = {};
  nodes.forEach((def, i) => {
    const tab = tabs ? `tab${i}` : "tab0";
    if (i === 0 || tabs) flow.push({ id: tab, type: "tab", label: tab });
    const outputs = def.type === "zoho-crm-write" ? 2 : 1;
    const wires = Array.from({ length: outputs }, (_, o) => [`${def.id}-out${o}`]);
    flow.push({ connection: "conn", z: tab, wires, ...def });
    for (let o = 0; o < outputs; o++) flow.push({ id: `${def.id}-out${o}`, type: "helper", z: tab });
    flow.push({ id: `${def.id}-catch`, type: "catch", z: tab, scope: [def.id], uncaught: false, wires: [[`${def.id}-caught`]] });
    flow.push({ id: `${def.id}-caught`, type: "helper", z: tab });
    flow.push({ id: `${def.id}-complete`, type: "complete", z: tab, scope: [def.id], wires: [[`${def.id}-completed`]] });
    flow.push({ id: `${def.id}-completed`, type: "helper", z: tab });
    seen[def.id] = { out: Array.from({ length: outputs }, () => []), caught: [], completed: [], status: [] };
  });
  flow.push(...extraNodes.map((n) => (n.type === "zoho-config" || "z" in n ? n : { z: "tab0", ...n })));
  await loadOnce(flow, [configNode, readNode, writeNode, ...extraModules], { ...credentials, ...extraCreds });

  const waiting = new Map(); // _msgid -> resolve
  const finished = new Map(); // _msgid -> number of times finished (must end at 1)
  const finish = (kind, id) => (m) => {
    seen[id][kind].push(m);
    finished.set(m._msgid, (finished.get(m._msgid) || 0) + 1);
    const resolve = waiting.get(m._msgid);
    if (resolve) {
      waiting.delete(m._msgid);
      // Outputs the node sent before done() were queued for delivery before the Catch/Complete
      // node's message, and Node-RED delivers in order: a few loop turns and they are all here.
      turns().then(() => resolve(seen[id]));
    }
  };
  for (const def of nodes) {
    const s = seen[def.id];
    s.out.forEach((list, o) => helper.getNode(`${def.id}-out${o}`).on("input", (m) => list.push(m)));
    helper.getNode(`${def.id}-caught`).on("input", finish("caught", def.id));
    helper.getNode(`${def.id}-completed`).on("input", finish("completed", def.id));
    helper.getNode(def.id).on("call:status", (call) => s.status.push(call.args[0]));
  }

  let counter = 0;
  /** Send msg to node `id`; resolves with that node's `seen` (lastId = this msg's id) once it is done or caught. */
  const run = (id, msg = { payload: "go" }, timeoutMs = 15000) =>
    new Promise((resolve, reject) => {
      const msgid = `m${++counter}-${Math.random().toString(16).slice(2)}`;
      const timer = setTimeout(() => {
        waiting.delete(msgid);
        reject(new Error(`node ${id} never finished message ${msgid}`));
      }, timeoutMs);
      waiting.set(msgid, (value) => {
        clearTimeout(timer);
        value.lastId = msgid;
        resolve(value);
      });
      helper.getNode(id).receive({ ...msg, _msgid: msgid });
    });

  return {
    conn: helper.getNode("conn"),
    node: (id) => helper.getNode(id),
    seen,
    run,
    /** How often each message id finished (done or caught). */
    finished,
  };
}

/**
 * helper.load registers a core module (catch, complete, status) once per node of that type in the
 * flow, so a flow with two Catch nodes fails ("catch already registered"): register each once.
 */
async function loadOnce(flow, modules, credentials) {
  const original = helper._nodeModules;
  const once = {};
  for (const [type, register] of Object.entries(original)) {
    let registered = false;
    once[type] = (red) => {
      if (registered) return undefined;
      registered = true;
      return register(red);
    };
  }
  helper._nodeModules = once;
  try {
    await helper.load(modules, flow, credentials);
  } finally {
    helper._nodeModules = original;
  }
}

/**
 * Watch every HTTP call the connection's client makes (wraps its transport): `onSend(req)` before,
 * `onAnswer(req, res|err)` after. Returns the list of {req, started, ended, status|error}.
 */
function watchCalls(client, { onSend, onAnswer } = {}) {
  const calls = [];
  const send = client.send;
  client.send = async (req) => {
    const call = { req, started: Date.now() };
    calls.push(call);
    onSend?.(req, call);
    try {
      const res = await send(req);
      call.status = res.status;
      call.ended = Date.now();
      onAnswer?.(req, res, call);
      return res;
    } catch (err) {
      call.error = err;
      call.ended = Date.now();
      onAnswer?.(req, err, call);
      throw err;
    }
  };
  return calls;
}

/** Active handles of the kinds a node could leave behind, counted by kind. */
function activeResources() {
  const counts = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] || 0) + 1;
  return counts;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { helper, loadNodes, loadOnce, watchCalls, activeResources, zohoSettings, BASE_SETTINGS, prng, sleep, waitFor, turns, readNode, writeNode };
