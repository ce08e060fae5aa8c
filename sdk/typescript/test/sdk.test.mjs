// The SDK against the packaged server (one server for the whole file: the JVM starts once).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { inspect, promisify } from "node:util";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Anima, AnimaApiError, AuthenticationError, ConflictError, InvalidRequestError, NotFoundError,
  PermissionDeniedError, Secret,
} from "@anima/sdk";
import { startVault } from "./vault-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let vault;
let am;

before(async () => {
  vault = await startVault();
  am = new Anima(vault.apiKey, { baseUrl: vault.baseUrl, timeoutMs: 10_000 });
});

after(async () => {
  await vault?.stop();
});

describe("the product's example", () => {
  test("runs as written and prints `timestamp: action on key` for each audit event", async () => {
    await am.identities.create({ id: "agent_123", name: "Support agent" });
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(root, "examples/quickstart.mjs")], {
      cwd: root,
      env: { ...process.env, AM_API_KEY: vault.apiKey, ANIMA_VAULT_ADDR: vault.baseUrl },
      timeout: 60_000,
    });
    assert.equal(stderr, "");
    const lines = stdout.trim().split("\n");
    // newest first: the read, the create, the identity read (the audit query records itself after answering)
    const iso = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z";
    assert.match(lines[0], new RegExp(`^${iso}: secret\\.read on OPENAI_API_KEY$`), stdout);
    assert.match(lines[1], new RegExp(`^${iso}: secret\\.create on OPENAI_API_KEY$`), stdout);
    assert.ok(lines.some(l => new RegExp(`^${iso}: identity\\.read on null$`).test(l)), stdout);
    assert.ok(!stdout.includes("sk-proj-"), "the example prints no secret value");
    const secret = await am.vault.secrets.get("agent_123", "OPENAI_API_KEY");
    assert.equal(secret.value, "sk-proj-...");
  });
});

test("the README's TypeScript quick start is the example the test runs", () => {
  const readme = readFileSync(join(root, "../../README.md"), "utf8");
  const section = readme.split("\n## SDK quick start: TypeScript\n")[1];
  assert.ok(section, "README.md has no '## SDK quick start: TypeScript' section");
  const block = section.split("```js\n")[1].split("```")[0];
  const example = readFileSync(join(root, "examples/quickstart.mjs"), "utf8")
    .split("\n").filter(l => !l.startsWith("//")).join("\n");
  assert.equal(block, example);
});

describe("identities", () => {
  test("create, get, list with cursor, disable", async () => {
    const created = await am.identities.create({ id: "ts-id-1", name: "first", metadata: { team: "a" } });
    assert.equal(created.id, "ts-id-1");
    assert.equal(created.name, "first");
    assert.deepEqual(created.metadata, { team: "a" });
    assert.equal(created.disabled, false);
    await am.identities.create({ id: "ts-id-2" });
    assert.equal((await am.identities.get("ts-id-2")).name, "ts-id-2");

    const first = await am.identities.list({ limit: 1 });
    assert.ok(Array.isArray(first));
    assert.equal(first.length, 1);
    assert.equal(typeof first.nextCursor, "string");
    assert.ok(!Object.keys(first).includes("nextCursor"), "the cursor is not enumerable");
    const second = await am.identities.list({ limit: 1, cursor: first.nextCursor });
    assert.notEqual(second[0].id, first[0].id);
    const all = [];
    for await (const identity of am.identities.listAll({ limit: 2 })) {
      all.push(identity.id);
    }
    assert.ok(all.includes("ts-id-1") && all.includes("ts-id-2"), all.join(","));

    const disabled = await am.identities.disable("ts-id-1");
    assert.equal(disabled.disabled, true);
    assert.equal((await am.identities.disable("ts-id-1")).disabled, true, "disable is idempotent");
  });

  test("errors carry the problem code and status", async () => {
    await assert.rejects(am.identities.get("no-such-identity"), e => {
      assert.ok(e instanceof NotFoundError && e instanceof AnimaApiError);
      assert.equal(e.status, 404);
      assert.equal(e.code, "identity_not_found");
      assert.match(e.requestId, /^[0-9a-f]{16}$/);
      return true;
    });
    await am.identities.create({ id: "ts-dup" });
    await assert.rejects(am.identities.create({ id: "ts-dup" }),
      e => e instanceof ConflictError && e.code === "already_exists" && e.status === 409);
    await assert.rejects(am.identities.create({ id: "-bad id" }),
      e => e instanceof InvalidRequestError && e.status === 400 && e.code === "invalid_name");
    const stranger = new Anima("avk_" + "0".repeat(40), { baseUrl: vault.baseUrl });
    await assert.rejects(stranger.identities.list(),
      e => e instanceof AuthenticationError && e.code === "unauthenticated" && e.status === 401);
  });
});

describe("tokens", () => {
  test("issue a key-limited token, use it, revoke it", async () => {
    await am.identities.create({ id: "ts-tok" });
    await am.vault.secrets.create({ identityId: "ts-tok", key: "A", value: "value-a-123", type: "api_key" });
    await am.vault.secrets.create({ identityId: "ts-tok", key: "B", value: "value-b-123", type: "api_key" });
    const issued = await am.identities.tokens.issue("ts-tok", { name: "ci", keys: ["A"], ttl: "1h" });
    assert.match(issued.token, /^avt_/);
    assert.deepEqual(issued.keys, ["A"]);
    assert.ok(issued.expiresAt);

    const agent = new Anima(issued.token, { baseUrl: vault.baseUrl });
    assert.equal((await agent.vault.secrets.get("ts-tok", "A")).value, "value-a-123");
    await assert.rejects(agent.vault.secrets.get("ts-tok", "B"),
      e => e instanceof PermissionDeniedError && e.code === "permission_denied");
    assert.equal((await agent.identities.get("ts-tok")).id, "ts-tok", "a token reads its own identity");

    await am.identities.tokens.revoke("ts-tok", issued.id);
    await assert.rejects(agent.vault.secrets.get("ts-tok", "A"), e => e instanceof AuthenticationError);
  });
});

describe("secrets", () => {
  test("create, get, put, versions, list, delete", async () => {
    await am.identities.create({ id: "ts-sec" });
    const created = await am.vault.secrets.create({
      identityId: "ts-sec", key: "OPENAI_API_KEY", value: "sk-first-000", type: "api_key", metadata: { env: "dev" },
    });
    assert.equal(created.version, 1);
    assert.equal(created.value, undefined, "create returns metadata only");
    const updated = await am.vault.secrets.put("ts-sec", "OPENAI_API_KEY", { value: "sk-second-000" });
    assert.equal(updated.version, 2);

    const current = await am.vault.secrets.get("ts-sec", "OPENAI_API_KEY");
    assert.ok(current instanceof Secret);
    assert.equal(current.value, "sk-second-000");
    assert.equal(current.version, 2);
    assert.equal(current.currentVersion, 2);
    assert.deepEqual({ ...current.metadata }, { env: "dev" });
    const v1 = await am.vault.secrets.get("ts-sec", "OPENAI_API_KEY", { version: 1 });
    assert.equal(v1.value, "sk-first-000");
    assert.equal(v1.currentVersion, 2);

    await am.vault.secrets.create({ identityId: "ts-sec", key: "OTHER", value: "x-value-000", type: "api_key" });
    const page = await am.vault.secrets.list("ts-sec", { limit: 1 });
    assert.equal(page.length, 1);
    assert.ok(page.nextCursor);
    const rest = await am.vault.secrets.list("ts-sec", { cursor: page.nextCursor });
    assert.deepEqual([...page, ...rest].map(s => s.key).sort(), ["OPENAI_API_KEY", "OTHER"]);
    assert.equal(rest.nextCursor, null);

    await am.vault.secrets.delete("ts-sec", "OTHER");
    await assert.rejects(am.vault.secrets.get("ts-sec", "OTHER"),
      e => e instanceof NotFoundError && e.code === "secret_not_found");
    await assert.rejects(
      am.vault.secrets.create({ identityId: "ts-sec", key: "X", value: "v", type: "no_such_type" }),
      e => e.status === 422 && e.code === "unknown_type");
  });

  test("a secret's value is masked in console.log, JSON and strings unless asked", async () => {
    await am.identities.create({ id: "ts-mask" });
    await am.vault.secrets.create({ identityId: "ts-mask", key: "K", value: "sk-very-secret-42", type: "api_key" });
    const secret = await am.vault.secrets.get("ts-mask", "K");
    for (const shown of [inspect(secret), inspect({ nested: [secret] }, { depth: 5 }), JSON.stringify(secret),
      JSON.stringify({ secret }), String(secret), `${secret}`]) {
      assert.ok(!shown.includes("sk-very-secret-42"), shown);
      assert.ok(shown.includes("********"), shown);
    }
    assert.ok(!Object.getOwnPropertyNames(secret).includes("value"), "the value is no own property");
    assert.ok(!JSON.stringify(Object.getOwnPropertyDescriptors(secret)).includes("sk-very-secret-42"));
    assert.equal(secret.value, "sk-very-secret-42");
    assert.equal(secret.toJSON({ reveal: true }).value, "sk-very-secret-42");
    assert.equal(JSON.parse(JSON.stringify(secret)).key, "K");
  });
});

describe("the product's rotating secret", () => {
  test("runs as written: the policy is accepted and the metadata shows it", async () => {
    await am.identities.create({ id: "agent_123" }).catch(e => { if (!(e instanceof ConflictError)) throw e; });
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(root, "examples/rotating-secret.mjs")], {
      cwd: root,
      env: { ...process.env, AM_API_KEY: vault.apiKey, ANIMA_VAULT_ADDR: vault.baseUrl },
      timeout: 60_000,
    });
    assert.equal(stderr, "");
    assert.match(stdout.trim(), new RegExp("^DATABASE_PASSWORD v1: every PT720H via https://agent-api\\.com/rotate-db-secret "
      + "\\(ok\\), next at \\d{4}-\\d\\d-\\d\\dT"), stdout);
    assert.ok(!stdout.includes("temporary-pwd"));
    const [listed] = (await am.vault.secrets.list("agent_123")).filter(s => s.key === "DATABASE_PASSWORD");
    assert.equal(listed.type, "password");
    assert.equal(listed.rotation.interval, "PT720H", "30d, as the vault shows durations (ISO-8601)");
    assert.equal(listed.rotation.webhookUrl, "https://agent-api.com/rotate-db-secret");
    assert.equal(listed.rotation.status, "ok");
    // 30 days away: nothing has rotated, the value is the one given
    assert.ok(Date.parse(listed.rotation.nextRotationAt) > Date.now() + 20 * 86_400_000, listed.rotation.nextRotationAt);
    assert.equal(listed.rotation.lastRotatedAt, null);
    assert.equal((await am.vault.secrets.get("agent_123", "DATABASE_PASSWORD")).value, "temporary-pwd");
  });

  test("the policy is changed, its deliveries listed and the policy removed", async () => {
    await am.identities.create({ id: "ts-rot" });
    await am.vault.secrets.create({ identityId: "ts-rot", key: "DB", value: "pwd-1234567", type: "password",
      rotation: { interval: "30d", webhookUrl: "https://agent-api.com/rotate" } });
    const changed = await am.vault.secrets.setRotation("ts-rot", "DB", { gracePeriod: "2h" });
    assert.equal(changed.rotation.interval, "PT720H", "merged into the existing policy");
    assert.equal(changed.rotation.gracePeriod, "PT2H");
    assert.deepEqual(await am.vault.secrets.deliveries("ts-rot", "DB"), [], "nothing delivered yet");
    const removed = await am.vault.secrets.removeRotation("ts-rot", "DB");
    assert.equal(removed.rotation?.interval ?? null, null);
    await assert.rejects(am.vault.secrets.setRotation("ts-rot", "DB", { mode: "sometimes" }),
      e => e instanceof InvalidRequestError);
  });

  test("retiredVersions: destroy is accepted, shown, and destroyedBelow reported once a version is destroyed", async () => {
    await am.identities.create({ id: "ts-retire" });
    const created = await am.vault.secrets.create({ identityId: "ts-retire", key: "DB", value: "pwd-v1-123456",
      type: "password", rotation: { interval: "30d", webhookUrl: "https://agent-api.com/rotate", retiredVersions: "destroy" } });
    assert.equal(created.rotation.retiredVersions, "destroy");
    assert.equal(created.rotation.destroyedBelow, undefined, "nothing destroyed yet");
    // a client PUT under a policy is a rotation: after v3, v1 is retired (below the previous version) and destroyed
    await am.vault.secrets.put("ts-retire", "DB", { value: "pwd-v2-123456" });
    await am.vault.secrets.put("ts-retire", "DB", { value: "pwd-v3-123456" });
    let meta;
    for (let i = 0; i < 600 && meta?.rotation?.destroyedBelow === undefined; i++) {
      if (i > 0) await new Promise(ok => setTimeout(ok, 100));
      [meta] = (await am.vault.secrets.list("ts-retire")).filter(s => s.key === "DB");
    }
    assert.equal(meta.rotation.destroyedBelow, 2, JSON.stringify(meta.rotation));
    await assert.rejects(am.vault.secrets.get("ts-retire", "DB", { version: 1 }),
      e => e instanceof AnimaApiError && e.status === 410 && e.code === "version_destroyed");
    assert.equal((await am.vault.secrets.get("ts-retire", "DB", { version: 2 })).value, "pwd-v2-123456", "previous kept");
    const kept = await am.vault.secrets.setRotation("ts-retire", "DB", { retiredVersions: "keep" });
    assert.equal(kept.rotation.retiredVersions, "keep");
    await assert.rejects(am.vault.secrets.setRotation("ts-retire", "DB", { retiredVersions: "shred" }),
      e => e instanceof InvalidRequestError);
  });

  test("generate instead of a value, expiresAt, and an http webhook refused", async () => {
    await am.identities.create({ id: "ts-gen" });
    const expiresAt = new Date(Date.now() + 7 * 86_400_000);
    const created = await am.vault.secrets.create({
      identityId: "ts-gen", key: "DB_PASSWORD", type: "password", generate: { length: 40 }, expiresAt,
    });
    assert.equal(created.version, 1);
    assert.equal(created.value, undefined);
    assert.ok(Math.abs(Date.parse(created.rotation.expiresAt) - expiresAt.getTime()) < 1000, created.rotation.expiresAt);
    const generated = await am.vault.secrets.get("ts-gen", "DB_PASSWORD");
    assert.equal(generated.value.length, 40);
    const put = await am.vault.secrets.put("ts-gen", "DB_PASSWORD", {
      value: "another-password-1", rotation: { interval: "30d", webhookUrl: "https://agent-api.com/rotate" },
    });
    assert.equal(put.version, 2);
    assert.equal(put.rotation.interval, "PT720H");
    await assert.rejects(am.vault.secrets.create({
      identityId: "ts-gen", key: "K2", value: "pwd-123456", type: "password",
      rotation: { interval: "30d", webhookUrl: "http://agent-api.com/rotate" },
    }), e => e instanceof InvalidRequestError);
    await assert.rejects(am.vault.secrets.create({ identityId: "ts-gen", key: "K3", type: "password" }),
      e => e instanceof InvalidRequestError && e.code === "invalid_argument");
  });
});

describe("tokens.list and sys.plugins", () => {
  test("lists token metadata without the token, and the loaded plugins", async () => {
    await am.identities.create({ id: "ts-tl" });
    const issued = await am.identities.tokens.issue("ts-tl", { name: "ci", keys: ["A"] });
    const tokens = await am.identities.tokens.list("ts-tl");
    assert.deepEqual(tokens.map(t => [t.id, t.name, t.keys, t.expiresAt]), [[issued.id, "ci", ["A"], null]]);
    assert.ok(!JSON.stringify(tokens).includes(issued.token));
    const plugins = await am.sys.plugins();
    assert.ok(plugins.some(p => p.credentialTypes.includes("password")), JSON.stringify(plugins));
    assert.ok(plugins.some(p => p.storageBackends.includes("jdbc") && p.loaded === true), JSON.stringify(plugins));
    const csv = await am.vault.audit.report({ format: "csv", identityId: "ts-tl" });
    assert.ok(csv.split("\r\n").some(l => l.startsWith("report,")), csv);
    const json = JSON.parse(await am.vault.audit.report({ identityId: "ts-tl" }));
    assert.equal(json.report.identityId, "ts-tl");
  });
});

describe("audit", () => {
  test("getLogs resolves to an array filtered by identity and action, with the cursor available", async () => {
    await am.identities.create({ id: "ts-aud" });
    await am.vault.secrets.create({ identityId: "ts-aud", key: "K", value: "value-123", type: "api_key" });
    for (let i = 0; i < 3; i++) {
      await am.vault.secrets.get("ts-aud", "K");
    }
    const reads = await am.vault.audit.getLogs({ identityId: "ts-aud", action: "secret.read", limit: 2 });
    assert.ok(Array.isArray(reads));
    assert.equal(reads.length, 2);
    for (const e of reads) {
      assert.equal(e.action, "secret.read");
      assert.equal(e.identityId, "ts-aud");
      assert.equal(e.secretKey, "K");
      assert.equal(e.outcome, "SUCCESS");
    }
    assert.ok(reads.nextCursor);
    const more = await am.vault.audit.getLogs({ identityId: "ts-aud", action: "secret.read", cursor: reads.nextCursor });
    assert.equal(more.length, 1);
    const page = await am.vault.audit.getLogsPage({ identityId: "ts-aud", from: new Date(Date.now() - 3_600_000) });
    assert.ok(page.items.length >= 4);
    assert.ok("nextCursor" in page);
    const health = await am.sys.health();
    assert.equal(health.status, "ok");
    assert.equal(health.storage, "jdbc");
    assert.deepEqual(health.checks.storage, { type: "jdbc", status: "ok" });
    await assert.rejects(am.vault.audit.getLogs({ from: "yesterday" }),
      e => e instanceof InvalidRequestError && e.code === "invalid_argument");
  });
});
