// The TypeScript example receiver (examples/webhook-receiver-ts/server.ts), transpiled with the SDK's own
// TypeScript and run with node: it must accept a delivery signed the Standard Webhooks way (signed here
// independently, with node:crypto) and refuse a bad signature, a signature made with another secret and a
// stale timestamp.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "..", "..", "..", "examples", "webhook-receiver-ts", "server.ts");
const secret = "whsec_" + randomBytes(32).toString("base64");
let child;
let baseUrl;

before(async () => {
  const js = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const dir = mkdtempSync(join(tmpdir(), "anima-example-receiver-"));
  writeFileSync(join(dir, "server.mjs"), js);
  child = spawn(process.execPath, [join(dir, "server.mjs")], {
    env: { ...process.env, ANIMA_WEBHOOK_SECRET: secret, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  baseUrl = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the example receiver did not start: " + out)), 15000);
    child.stdout.on("data", chunk => {
      out += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", code => reject(new Error(`the example receiver exited with ${code}: ${out}`)));
  });
});

after(() => child?.kill());

function sign(key, id, timestamp, body) {
  const raw = Buffer.from(key.slice("whsec_".length), "base64");
  return "v1," + createHmac("sha256", raw).update(`${id}.${timestamp}.${body}`).digest("base64");
}

async function deliver({ id, body, timestamp = Math.floor(Date.now() / 1000), signature }) {
  const text = JSON.stringify(body);
  const res = await fetch(baseUrl + "/", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature ?? sign(secret, id, timestamp, text),
    },
    body: text,
  });
  return { status: res.status, text: await res.text() };
}

const due = (mode) => ({
  type: "secret.rotation.due", timestamp: new Date().toISOString(),
  data: { rotationId: "rot_1", identityId: "agent_1", key: "DB_PASSWORD", mode, version: 2, value: "gen-abc" },
});

test("a correctly signed delivery is accepted", async () => {
  const r = await deliver({ id: "rot_good", body: due("generate") });
  assert.equal(r.status, 204);
});

test("webhook mode answers the new value", async () => {
  const r = await deliver({ id: "rot_webhook", body: due("webhook") });
  assert.equal(r.status, 200);
  assert.match(JSON.parse(r.text).value, /^rotated-/);
});

test("one of several signatures may match (the vault sends two while a signing secret is replaced)", async () => {
  const ts = Math.floor(Date.now() / 1000);
  const body = due("generate");
  const other = "whsec_" + randomBytes(32).toString("base64");
  const both = `${sign(other, "rot_two", ts, JSON.stringify(body))} ${sign(secret, "rot_two", ts, JSON.stringify(body))}`;
  assert.equal((await deliver({ id: "rot_two", body, timestamp: ts, signature: both })).status, 204);
});

test("a bad signature is refused", async () => {
  const r = await deliver({ id: "rot_bad", body: due("generate"), signature: "v1," + randomBytes(32).toString("base64") });
  assert.equal(r.status, 401);
});

test("a signature over another body is refused", async () => {
  const ts = Math.floor(Date.now() / 1000);
  const signature = sign(secret, "rot_tampered", ts, JSON.stringify(due("generate")));
  const tampered = { ...due("generate"), data: { ...due("generate").data, value: "attacker-value" } };
  assert.equal((await deliver({ id: "rot_tampered", body: tampered, timestamp: ts, signature })).status, 401);
});

test("a signature made with another secret is refused", async () => {
  const ts = Math.floor(Date.now() / 1000);
  const body = due("generate");
  const other = "whsec_" + randomBytes(32).toString("base64");
  const r = await deliver({ id: "rot_other", body, timestamp: ts, signature: sign(other, "rot_other", ts, JSON.stringify(body)) });
  assert.equal(r.status, 401);
});

test("a stale timestamp is refused even when correctly signed", async () => {
  const r = await deliver({ id: "rot_stale", body: due("generate"), timestamp: Math.floor(Date.now() / 1000) - 3600 });
  assert.equal(r.status, 401);
});

test("events are accepted", async () => {
  for (const type of ["secret.rotation.succeeded", "secret.rotation.failed", "secret.expiring"]) {
    const r = await deliver({ id: `evt_${type}`, body: { type, timestamp: new Date().toISOString(),
      data: { identityId: "agent_1", key: "DB_PASSWORD", version: 2, attempts: 3, lastError: "HTTP 500",
        expiresAt: new Date().toISOString() } } });
    assert.equal(r.status, 204, type);
  }
});
