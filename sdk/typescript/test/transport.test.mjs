// Timeouts, retries and error mapping, against small loopback HTTP servers that answer what the vault
// answers under load (429/503 with Retry-After) or not at all. The vault itself is in sdk.test.mjs.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import {
  Anima, AnimaConnectionError, AnimaError, AnimaTimeoutError, RateLimitError, ServerError,
} from "@anima/sdk";
import { freePort } from "./vault-server.mjs";

const servers = [];
after(() => Promise.all(servers.map(s => new Promise(ok => { s.closeAllConnections?.(); s.close(ok); }))));

/** A loopback server answering each request with the next of `replies`; records what it received. */
async function serve(replies) {
  const seen = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", c => { body += c; });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
      const reply = replies[Math.min(seen.length - 1, replies.length - 1)];
      if (reply === "hang") {
        return;
      }
      res.writeHead(reply.status, { "Content-Type": reply.type ?? "application/json", ...(reply.headers ?? {}) });
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    });
  });
  servers.push(server);
  await new Promise(ok => server.listen(0, "127.0.0.1", ok));
  return { seen, baseUrl: `http://127.0.0.1:${server.address().port}` };
}

const problem = (status, code) => ({
  status, type: "application/problem+json",
  body: { type: `https://animavault.dev/problems/${code}`, title: code, status, detail: `because ${code}`, code,
    requestId: "abc123" },
});
const identity = { id: "a", organizationId: "default", name: "a", metadata: {}, disabled: false,
  createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" };

test("a GET retried after 429 waits the Retry-After seconds, then succeeds", async () => {
  const { seen, baseUrl } = await serve([{ ...problem(429, "rate_limited"), headers: { "Retry-After": "1" } },
    { status: 200, body: identity }]);
  const am = new Anima("avk_test", { baseUrl });
  const got = await am.identities.get("a");
  assert.equal(got.id, "a");
  assert.equal(seen.length, 2);
  assert.ok(seen[1].at - seen[0].at >= 900, `waited ${seen[1].at - seen[0].at} ms, Retry-After said 1 s`);
  assert.equal(seen[0].headers.authorization, "Bearer avk_test");
});

test("503 is retried with backoff up to maxRetries, then surfaces as a typed error", async () => {
  const { seen, baseUrl } = await serve([problem(503, "storage_unavailable")]);
  const am = new Anima("avk_test", { baseUrl, maxRetries: 2, retryBaseDelayMs: 10 });
  await assert.rejects(am.vault.secrets.get("a", "K"), e => {
    assert.ok(e instanceof ServerError);
    assert.equal(e.status, 503);
    assert.equal(e.code, "storage_unavailable");
    assert.equal(e.requestId, "abc123");
    return true;
  });
  assert.equal(seen.length, 3);
});

test("non-idempotent calls (create, put, issue) are never retried", async () => {
  const { seen, baseUrl } = await serve([{ ...problem(429, "rate_limited"), headers: { "Retry-After": "0" } }]);
  const am = new Anima("avk_test", { baseUrl, retryBaseDelayMs: 1 });
  await assert.rejects(am.vault.secrets.create({ identityId: "a", key: "K", value: "v", type: "api_key" }),
    e => e instanceof RateLimitError && e.code === "rate_limited");
  await assert.rejects(am.vault.secrets.put("a", "K", { value: "v" }), RateLimitError);
  await assert.rejects(am.identities.create({ id: "a" }), RateLimitError);
  await assert.rejects(am.identities.tokens.issue("a"), RateLimitError);
  assert.equal(seen.length, 4);
  assert.deepEqual(seen.map(s => s.method), ["POST", "PUT", "POST", "POST"]);
  assert.deepEqual(JSON.parse(seen[0].body), { identityId: "a", key: "K", value: "v", type: "api_key" });
});

test("a call with no answer fails with AnimaTimeoutError after timeoutMs", async () => {
  const { baseUrl } = await serve(["hang"]);
  const am = new Anima("avk_test", { baseUrl, timeoutMs: 300, maxRetries: 0 });
  const started = Date.now();
  await assert.rejects(am.identities.get("a"), e => e instanceof AnimaTimeoutError && e instanceof AnimaError);
  assert.ok(Date.now() - started < 10_000);
  await assert.rejects(am.identities.get("a", { timeoutMs: 100 }), AnimaTimeoutError);
});

test("no server: AnimaConnectionError", async () => {
  const am = new Anima("avk_test", { baseUrl: `http://127.0.0.1:${await freePort()}`, maxRetries: 0 });
  await assert.rejects(am.identities.get("a"), AnimaConnectionError);
});

test("base URL from ANIMA_VAULT_ADDR, key from ANIMA_VAULT_TOKEN, default 127.0.0.1:8200", async () => {
  const saved = { addr: process.env.ANIMA_VAULT_ADDR, token: process.env.ANIMA_VAULT_TOKEN };
  try {
    delete process.env.ANIMA_VAULT_ADDR;
    delete process.env.ANIMA_VAULT_TOKEN;
    assert.equal(new Anima("k").baseUrl, "http://127.0.0.1:8200");
    assert.throws(() => new Anima(undefined), AnimaError);
    const { seen, baseUrl } = await serve([{ status: 200, body: { items: [identity], nextCursor: null } }]);
    process.env.ANIMA_VAULT_ADDR = baseUrl + "/";
    process.env.ANIMA_VAULT_TOKEN = "avk_from_env";
    const am = new Anima();
    assert.equal(am.baseUrl, baseUrl);
    assert.equal(new Anima("k", { baseUrl: "http://example.invalid:1" }).baseUrl, "http://example.invalid:1");
    const page = await am.identities.list({ limit: 5, cursor: "c1" }, { requestId: "req-1" });
    assert.equal(page[0].id, "a");
    assert.equal(seen[0].url, "/v1/identities?limit=5&cursor=c1");
    assert.equal(seen[0].headers.authorization, "Bearer avk_from_env");
    assert.equal(seen[0].headers["x-request-id"], "req-1");
  } finally {
    for (const [k, v] of [["ANIMA_VAULT_ADDR", saved.addr], ["ANIMA_VAULT_TOKEN", saved.token]]) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }
});

test("a non-JSON error body still gives a typed error with the status", async () => {
  const { baseUrl } = await serve([{ status: 502, type: "text/html", body: undefined }]);
  const am = new Anima("avk_test", { baseUrl });
  await assert.rejects(am.identities.get("a"), e => e instanceof ServerError && e.status === 502 && e.code === "http_502");
});

test("an oauth_refresh read carries tokenType, expiresAt and scope beside the masked access token", async () => {
  const read = { organizationId: "default", identityId: "a", key: "GITHUB_TOKEN", type: "oauth_refresh", version: 1,
    currentVersion: 1, value: "gho_live_access_token", metadata: {}, createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z", tokenType: "Bearer", expiresAt: "2026-01-01T01:00:00Z", scope: "repo" };
  const { baseUrl } = await serve([{ status: 200, body: read }]);
  const secret = await new Anima("avt_test", { baseUrl }).vault.secrets.get("a", "GITHUB_TOKEN");
  assert.equal(secret.value, "gho_live_access_token");
  assert.equal(secret.tokenType, "Bearer");
  assert.equal(secret.expiresAt, "2026-01-01T01:00:00Z");
  assert.equal(secret.scope, "repo");
  const shown = JSON.stringify(secret);
  assert.ok(!shown.includes("gho_live_access_token"), shown);
  assert.equal(JSON.parse(shown).expiresAt, "2026-01-01T01:00:00Z");
});
