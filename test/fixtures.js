// Shared test fixtures: the Zoho simulator, a client pointed at it, and the Node-RED test helper.
"use strict";
const path = require("path");
const helper = require("node-red-node-test-helper");
const { ZohoSimulator } = require("../dist/simulator");
const { ZohoClient } = require("../dist/nodes/zoho");

// CI runs the suite a second time against Node-RED 5 by setting NODE_RED_PATH.
const nodeRedPath = process.env.NODE_RED_PATH || require.resolve("node-red");
helper.init(nodeRedPath, {
  // Short backoff so retry tests run in milliseconds (see README "Runtime settings").
  zohoCrm: { retryBaseDelayMs: 5, retryMaxDelayMs: 50, throttleCooldownMs: 200, bulkPollMs: 5 },
});

const CLIENT_ID = "1000.TESTCLIENT";
const CLIENT_SECRET = "test-client-secret-value";

const configNode = require("../dist/nodes/zoho-config.js");
const readNodePath = path.join(__dirname, "../dist/nodes/zoho-crm-read.js");
const writeNodePath = path.join(__dirname, "../dist/nodes/zoho-crm-write.js");

/** Start a simulator with a registered client and a refresh token. */
async function startSimulator(options = {}) {
  const sim = new ZohoSimulator(options);
  await sim.start();
  sim.addClient(CLIENT_ID, CLIENT_SECRET);
  const refreshToken = sim.issueRefreshToken(CLIENT_ID, options.scope);
  return { sim, url: sim.url, refreshToken };
}

/** A client for the simulator with fast retries. */
function simClient(sim, refreshToken, extra = {}) {
  return new ZohoClient({
    accountsUrl: sim.url,
    trustAnyApiDomain: true,
    environment: "production",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    refreshToken,
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    retryBaseDelayMs: 5,
    ...extra,
  });
}

/** Authorization headers with an access token of `sim` for `scope` (the simulator's default scope when omitted): a
 *  grant token for CLIENT_ID (registered, as startSimulator does) exchanged at the token endpoint. */
async function simAuth(sim, scope) {
  const code = sim.issueGrantToken(CLIENT_ID, scope ? { scope } : {});
  const res = await fetch(`${sim.url}/oauth/v2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code }).toString(),
  });
  const body = await res.json();
  return { Authorization: `Zoho-oauthtoken ${body.access_token}` };
}

/**
 * Plain HTTP calls to the simulator at baseUrl() (read at each call, as tests start it in before()), for the
 * simulator's own tests: call(method, path or absolute URL, {body, headers, type}). A body other than a string or FormData is sent as JSON; Content-Type is `type` (default application/json;
 * none for FormData, which sets its own, or when `type` is null); `headers` default to defaults(). Answers
 * {status, headers, raw (a Buffer), body (parsed when the answer is JSON and not empty)}.
 */
function simHttp(baseUrl, defaults = () => ({})) {
  async function call(method, path, { body, headers = defaults(), type = "application/json" } = {}) {
    const h = { ...headers };
    if (body !== undefined && type && !(body instanceof FormData)) h["content-type"] = type;
    const res = await fetch(path.startsWith("http") ? path : baseUrl() + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === "string" || body instanceof FormData ? body : JSON.stringify(body),
    });
    const raw = Buffer.from(await res.arrayBuffer());
    const isJson = (res.headers.get("content-type") || "").includes("json");
    return { status: res.status, headers: res.headers, body: isJson && raw.length ? JSON.parse(raw.toString("utf8")) : undefined, raw };
  }
  return { call, get: (path, headers) => call("GET", path, { headers }) };
}

/** A zoho-config node definition pointing at the simulator, plus its credentials map. */
function configFlow(sim, refreshToken, id = "conn", extra = {}) {
  return {
    node: { id, type: "zoho-config", name: "sim", dataCenter: "us", environment: "production", accountsUrl: sim.url, concurrency: 5, ...extra },
    credentials: { [id]: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken } },
  };
}

/**
 * Wait for a condition instead of a fixed time: poll `predicate` every `interval` ms until it returns
 * something truthy (resolved with that value). `timeout` is only a safety net for a loaded machine:
 * when it passes, the test fails saying `what` never happened. No timer of this helper is left
 * running once it settles (tests count the process's active timers).
 */
async function waitFor(predicate, { timeout = 10000, interval = 5, what = "the condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Let the event loop go round `n` times (setImmediate), without assuming any wall-clock time: work
 * that is already queued runs first. Node-RED delivers messages with setImmediate in the order they
 * were sent, so after this every message sent before the call, and `n - 1` hops after it (a Join
 * node's output), has arrived; destroyed sockets have run their close callbacks.
 */
async function turns(n = 3) {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/**
 * `promise`'s outcome, or a failure naming `what` if it has not settled within `ms`: for "stops
 * promptly" checks where the slow alternative (an answer due after a minute) is far beyond `ms`.
 */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The error a promise rejects with (the test fails if it resolves). */
async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

module.exports = { rejection, helper, nodeRedPath, startSimulator, simClient, simAuth, simHttp, configFlow, configNode, readNodePath, writeNodePath, CLIENT_ID, CLIENT_SECRET, waitFor, turns, within };
