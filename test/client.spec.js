// The Zoho client's OAuth half and request policy, against the simulator.
"use strict";
require("should");
const { startSimulator, simClient, CLIENT_ID, CLIENT_SECRET, waitFor, within } = require("./fixtures");
const { watchCalls } = require("./harness");
const { ZohoClient, ZohoError, exchangeGrantToken, resolveApiBase, apiDomainForEnvironment, isZohoApiDomain, accountsBaseUrl, encodeQuery } = require("../dist/nodes/zoho");

const CRM = /^\/crm\/v8\//;
const TOKEN = "/oauth/v2/token";

describe("Zoho client: OAuth and request policy", function () {
  let sim, refreshToken;
  beforeEach(async () => ({ sim, refreshToken } = await startSimulator()));
  afterEach(async () => sim.stop());

  describe("grant token exchange", function () {
    it("returns a refresh token and the api_domain", async () => {
      const code = sim.issueGrantToken(CLIENT_ID);
      const grant = await exchangeGrantToken({ accountsUrl: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: code });
      grant.refreshToken.should.be.a.String().and.not.be.empty();
      grant.apiDomain.should.equal(sim.url);
      grant.expiresInMs.should.equal(3600 * 1000);
      grant.scope.should.match(/ZohoCRM\.modules\.ALL/);
      const body = sim.requests.find((r) => r.path === TOKEN);
      String(body.headers["content-type"]).should.match(/application\/x-www-form-urlencoded/);
    });

    it("recognises a used grant token in an HTTP-200 error body", async () => {
      const code = sim.issueGrantToken(CLIENT_ID);
      await exchangeGrantToken({ accountsUrl: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: code });
      const err = await exchangeGrantToken({ accountsUrl: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: code }).catch((e) => e);
      err.should.be.instanceOf(ZohoError);
      err.code.should.equal("invalid_code");
      err.httpStatus.should.equal(200);
      err.message.should.match(/expired or was already used/);
    });

    it("recognises an expired grant token", async () => {
      const code = sim.issueGrantToken(CLIENT_ID, { ttlMs: 1 });
      const issued = Date.now();
      await waitFor(() => Date.now() > issued + 1, { what: "the grant token's 1 ms lifetime to pass" });
      const err = await exchangeGrantToken({ accountsUrl: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: code }).catch((e) => e);
      err.code.should.equal("invalid_code");
    });

    it("turns a wrong client id or secret into advice", async () => {
      const code = sim.issueGrantToken(CLIENT_ID);
      const wrongId = await exchangeGrantToken({ accountsUrl: sim.url, clientId: "1000.OTHER", clientSecret: CLIENT_SECRET, grantToken: code }).catch((e) => e);
      wrongId.code.should.equal("invalid_client");
      wrongId.message.should.match(/data center/);
      const wrongSecret = await exchangeGrantToken({ accountsUrl: sim.url, clientId: CLIENT_ID, clientSecret: "nope", grantToken: sim.issueGrantToken(CLIENT_ID) }).catch((e) => e);
      wrongSecret.code.should.equal("invalid_client_secret");
    });

    it("treats the Access Denied body as a rate limit", async () => {
      sim.inject({ match: { path: TOKEN }, tokenThrottle: true });
      const err = await exchangeGrantToken({ accountsUrl: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantToken: sim.issueGrantToken(CLIENT_ID) }).catch((e) => e);
      err.code.should.equal("TOKEN_RATE_LIMITED");
      err.retryable.should.be.true();
    });
  });

  describe("access tokens", function () {
    it("mints one access token and reuses it", async () => {
      const client = simClient(sim, refreshToken);
      for (let i = 0; i < 5; i++) await client.request({ method: "GET", path: "/org" });
      sim.tokenRefreshCount.should.equal(1);
      sim.count({ path: CRM }).should.equal(5);
      const auth = sim.requests.find((r) => CRM.test(r.path)).headers.authorization;
      auth.should.match(/^Zoho-oauthtoken 1000\./);
    });

    it("shares one in-flight refresh among concurrent callers", async () => {
      const client = simClient(sim, refreshToken, { concurrency: 10 });
      await Promise.all(Array.from({ length: 25 }, () => client.request({ method: "GET", path: "/org" })));
      sim.tokenRefreshCount.should.equal(1);
      sim.count({ path: TOKEN }).should.equal(1);
    });

    it("refreshes shortly before expiry", async () => {
      let now = Date.now();
      const client = simClient(sim, refreshToken, { now: () => now });
      await client.request({ method: "GET", path: "/org" });
      now += 50 * 60 * 1000; // 10 minutes left: still valid
      await client.request({ method: "GET", path: "/org" });
      sim.tokenRefreshCount.should.equal(1);
      now += 6 * 60 * 1000; // 4 minutes left: refreshed first
      await client.request({ method: "GET", path: "/org" });
      sim.tokenRefreshCount.should.equal(2);
    });

    it("on INVALID_TOKEN refreshes once and retries once", async () => {
      const client = simClient(sim, refreshToken);
      await client.request({ method: "GET", path: "/org" });
      sim.expireAccessTokens();
      const res = await client.request({ method: "GET", path: "/org" });
      res.status.should.equal(200);
      sim.tokenRefreshCount.should.equal(2);
      sim.count({ path: CRM }).should.equal(3);
    });

    it("a burst of requests after expiry triggers exactly one refresh", async () => {
      const client = simClient(sim, refreshToken, { concurrency: 10 });
      await client.request({ method: "GET", path: "/org" });
      sim.expireAccessTokens();
      await Promise.all(Array.from({ length: 10 }, () => client.request({ method: "GET", path: "/org" })));
      sim.tokenRefreshCount.should.equal(2);
    });

    it("gives up after one retry when the token keeps being rejected", async () => {
      const client = simClient(sim, refreshToken);
      sim.inject({ status: 401, code: "INVALID_TOKEN", times: 5 });
      const err = await client.request({ method: "GET", path: "/org" }).catch((e) => e);
      err.code.should.equal("INVALID_TOKEN");
      sim.count({ path: CRM }).should.equal(2);
    });

    it("reports a revoked refresh token with advice and no secret", async () => {
      sim.revokeRefreshToken(refreshToken);
      const client = simClient(sim, refreshToken);
      const err = await client.request({ method: "GET", path: "/org" }).catch((e) => e);
      err.code.should.equal("invalid_code");
      err.message.should.match(/Refresh Token/);
      err.message.should.not.containEql(refreshToken);
      err.message.should.not.containEql(CLIENT_SECRET);
    });

    it("backs off after the Access Denied throttle instead of hammering", async () => {
      const client = simClient(sim, refreshToken, { throttleCooldownMs: 60000, retry: { rateLimitRetries: 3, baseDelayMs: 5, maxDelayMs: 50 } });
      sim.inject({ match: { path: TOKEN }, tokenThrottle: true, times: 10 });
      const first = await client.request({ method: "GET", path: "/org" }).catch((e) => e);
      first.code.should.equal("TOKEN_RATE_LIMITED");
      const second = await client.request({ method: "GET", path: "/org" }).catch((e) => e);
      second.code.should.equal("TOKEN_RATE_LIMITED");
      sim.count({ path: TOKEN }).should.equal(1);
      sim.count({ path: CRM }).should.equal(0);
    });
  });

  describe("where tokens go", function () {
    it("uses the api_domain Zoho returns, with the environment's host", async () => {
      const urls = [];
      const send = async (req) => {
        urls.push(req.url);
        if (req.url.endsWith("/oauth/v2/token")) {
          return { status: 200, headers: {}, data: { access_token: "1000.a.b", expires_in: 3600, api_domain: "https://www.zohoapis.eu", token_type: "Bearer" } };
        }
        return { status: 200, headers: {}, data: { org: [] } };
      };
      const client = new ZohoClient({ accountsUrl: accountsBaseUrl("eu"), environment: "sandbox", clientId: "id", clientSecret: "s", refreshToken: "r", send });
      await client.request({ method: "GET", path: "/org" });
      urls.should.eql(["https://accounts.zoho.eu/oauth/v2/token", "https://sandbox.zohoapis.eu/crm/v8/org"]);
    });

    it("refuses to send a token to a non-Zoho api_domain unless the accounts URL was set explicitly", async () => {
      const client = simClient(sim, refreshToken, { trustAnyApiDomain: false });
      const err = await client.request({ method: "GET", path: "/org" }).catch((e) => e);
      err.code.should.equal("UNTRUSTED_API_DOMAIN");
      sim.count({ path: CRM }).should.equal(0);
    });

    it("knows every data center's hosts", () => {
      accountsBaseUrl("ca").should.equal("https://accounts.zohocloud.ca");
      accountsBaseUrl("cn").should.equal("https://accounts.zoho.com.cn");
      accountsBaseUrl("us", " https://proxy.example/ ").should.equal("https://proxy.example");
      apiDomainForEnvironment("https://www.zohoapis.com.au", "developer").should.equal("https://developer.zohoapis.com.au");
      isZohoApiDomain("https://www.zohoapis.sa").should.be.true();
      isZohoApiDomain("https://www.zohoapis.com.evil.io").should.be.false();
      isZohoApiDomain("http://www.zohoapis.com").should.be.false();
      (() => resolveApiBase("https://attacker.example", "production", false)).should.throw(/refusing/);
    });

    it("percent-encodes every query value", () => {
      encodeQuery({ criteria: "(Last_Name:equals:Burns\\,B)", empty: "", missing: undefined }).should.equal("?criteria=(Last_Name%3Aequals%3ABurns%5C%2CB)");
    });
  });

  describe("retries", function () {
    it("retries 429 with backoff and succeeds", async () => {
      const client = simClient(sim, refreshToken);
      sim.inject({ status: 429, times: 2 });
      const res = await client.request({ method: "GET", path: "/org" });
      res.status.should.equal(200);
      sim.count({ path: CRM }).should.equal(3);
    });

    it("honours Retry-After", async () => {
      const client = simClient(sim, refreshToken, { retry: { baseDelayMs: 1, maxDelayMs: 2000 } });
      sim.inject({ status: 429, headers: { "Retry-After": "1" } });
      const started = Date.now();
      await client.request({ method: "GET", path: "/org" });
      (Date.now() - started).should.be.aboveOrEqual(900);
    });

    it("reports TOO_MANY_REQUESTS with advice after the retry budget", async () => {
      const client = simClient(sim, refreshToken, { retry: { rateLimitRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } });
      sim.inject({ status: 429, times: 10 });
      const err = await client.request({ method: "GET", path: "/org" }).catch((e) => e);
      err.code.should.equal("TOO_MANY_REQUESTS");
      err.message.should.match(/concurrency/);
      sim.count({ path: CRM }).should.equal(3);
    });

    it("retries 500 and dropped connections for reads", async () => {
      const client = simClient(sim, refreshToken);
      sim.inject({ status: 500 });
      sim.inject({ drop: "before" });
      const res = await client.request({ method: "GET", path: "/org" });
      res.status.should.equal(200);
      sim.count({ path: CRM }).should.equal(3);
    });

    it("does not repeat a write whose outcome is unknown", async () => {
      const client = simClient(sim, refreshToken);
      sim.inject({ match: { method: "POST" }, status: 500 });
      const err = await client.request({ method: "POST", path: "/Leads", body: { data: [{ Last_Name: "A" }] } }).catch((e) => e);
      err.code.should.equal("INTERNAL_ERROR");
      err.outcomeUnknown.should.be.true();
      sim.count({ method: "POST", path: CRM }).should.equal(1);
    });

    it("times out slow answers and retries reads", async () => {
      const client = simClient(sim, refreshToken, { requestTimeoutMs: 150 });
      sim.inject({ delayMs: 60000 }); // only the client's timeout can end the first call
      const res = await client.request({ method: "GET", path: "/org" });
      res.status.should.equal(200);
      sim.count({ path: CRM }).should.equal(2);
    });

    it("stops promptly when aborted during backoff", async () => {
      // The backoff after a 429 is 30 to 60 s.
      const client = simClient(sim, refreshToken, { retry: { baseDelayMs: 60000, maxDelayMs: 60000 } });
      sim.inject({ status: 429, times: 5 });
      const controller = new AbortController();
      // Abort once the 429 is back at the client and it has started to wait (the next loop turn).
      watchCalls(client, { onAnswer: (req, res) => res.status === 429 && setImmediate(() => controller.abort()) });
      const request = client.request({ method: "GET", path: "/org", signal: controller.signal }).catch((e) => e);
      const err = await within(request, 5000, "the request ending after the abort");
      err.code.should.equal("ABORTED");
      sim.count({ path: CRM }).should.equal(1); // and nothing was sent again
    });

    it("keeps in-flight calls within the concurrency limit", async () => {
      sim.setLatency(30);
      const client = simClient(sim, refreshToken, { concurrency: 3 });
      await Promise.all(Array.from({ length: 12 }, () => client.request({ method: "GET", path: "/org" })));
      sim.maxInFlight.should.be.belowOrEqual(3);
      sim.maxInFlight.should.equal(3);
    });
  });

  it("exposes the API credits Zoho reports", async () => {
    await sim.stop();
    ({ sim, refreshToken } = await startSimulator({ creditsPerDay: 4 }));
    const seen = [];
    const client = simClient(sim, refreshToken, { onCredits: (n) => seen.push(n) });
    for (let i = 0; i < 3; i++) await client.request({ method: "GET", path: "/org" });
    seen.length.should.be.above(0);
    client.creditsRemaining.should.equal(seen[seen.length - 1]);
  });
});
