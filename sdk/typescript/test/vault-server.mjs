// Starts the packaged server (the distribution tarball) as a separate process for the tests, the way
// distribution/src/test/java/dev/animavault/distribution/VaultProcess.java does for the Java ITs:
// unpacked into a temp directory, a fresh data directory, a free loopback port, a bootstrap API key.
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** ANIMA_DIST_TARBALL, else the one `mvn package -pl distribution -am` leaves in distribution/target. */
export function tarball() {
  if (process.env.ANIMA_DIST_TARBALL) {
    return process.env.ANIMA_DIST_TARBALL;
  }
  const target = resolve(here, "../../../distribution/target");
  const found = existsSync(target) ? readdirSync(target).filter(f => /^anima-vault-.*\.tar\.gz$/.test(f)) : [];
  if (found.length !== 1) {
    throw new Error(`no distribution tarball in ${target}: run 'mvn -q -DskipTests package -pl distribution -am' `
      + "or set ANIMA_DIST_TARBALL");
  }
  return join(target, found[0]);
}

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** Starts the vault; resolves to { baseUrl, apiKey, stop(), output() } once /v1/sys/health answers 200. */
export async function startVault({ timeoutMs = 120_000 } = {}) {
  const work = mkdtempSync(join(tmpdir(), "anima-sdk-ts-"));
  execFileSync("tar", ["-xzf", tarball(), "-C", work]);
  const home = join(work, readdirSync(work).find(f => f.startsWith("anima-vault-")));
  const port = await freePort();
  const apiKey = "avk_" + randomBytes(24).toString("hex");
  const logFile = join(work, "vault.log");
  const log = openSync(logFile, "w");
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ANIMA_VAULT_")));
  Object.assign(env, {
    ANIMA_VAULT_HTTP_HOST: "127.0.0.1",
    ANIMA_VAULT_HTTP_PORT: String(port),
    ANIMA_VAULT_DATA_DIR: join(work, "data"),
    ANIMA_VAULT_BOOTSTRAP_TOKEN: apiKey,
  });
  const child = spawn(join(home, "bin/anima-vault"), ["server"], { cwd: work, env, stdio: ["ignore", log, log] });
  closeSync(log);
  const output = () => readFileSync(logFile, "utf8");
  let exited = null;
  child.on("exit", code => { exited = code ?? -1; });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === null) {
      const done = new Promise(ok => child.once("exit", ok));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await done;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt yet";
  while (Date.now() < deadline) {
    if (exited !== null) {
      const out = output();
      await stop();
      throw new Error(`anima-vault exited with ${exited} before it was healthy; output:\n${out}`);
    }
    try {
      const res = await fetch(`${baseUrl}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        return { baseUrl, apiKey, stop, output };
      }
      last = `status ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise(ok => setTimeout(ok, 200));
  }
  const out = output();
  await stop();
  throw new Error(`anima-vault was not healthy within ${timeoutMs} ms (${last}); output:\n${out}`);
}
