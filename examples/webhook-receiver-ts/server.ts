// A rotation webhook receiver that verifies Anima Vault's Standard Webhooks signatures.
// No dependencies: Node 18+ (`npx tsx server.ts`, or compile with tsc). Tested in CI by
// sdk/typescript/test/example-receiver.test.mjs (a good signature accepted, bad ones refused).
//   ANIMA_WEBHOOK_SECRET=whsec_...  (from POST /v1/vault/rotation/signing-secret)
//   PORT=8080
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";

const secret = process.env.ANIMA_WEBHOOK_SECRET ?? "";
if (!secret.startsWith("whsec_")) throw new Error("set ANIMA_WEBHOOK_SECRET=whsec_...");
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const TOLERANCE_SECONDS = 5 * 60;
const seen = new Set<string>(); // webhook-ids already applied: retries repeat the same id and body

function verify(id: string, timestamp: string, signatures: string, body: Buffer): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > TOLERANCE_SECONDS) return false;
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(" ").some((entry) => {
    const [version, sig] = entry.split(",", 2);
    if (version !== "v1" || !sig) return false;
    const given = Buffer.from(sig, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks);
    const id = String(req.headers["webhook-id"] ?? "");
    if (!verify(id, String(req.headers["webhook-timestamp"] ?? ""), String(req.headers["webhook-signature"] ?? ""), body)) {
      res.writeHead(401).end();
      return;
    }
    if (seen.has(id)) { res.writeHead(204).end(); return; }
    const event = JSON.parse(body.toString("utf8"));
    const d = event.data;
    if (event.type === "secret.rotation.due") {
      if (d.mode === "generate") {
        // apply d.value on your side (e.g. ALTER USER ... PASSWORD), then answer 2xx to promote it
        console.log(`apply new value of ${d.identityId}/${d.key} (version ${d.version})`);
        seen.add(id);
        res.writeHead(204).end();
      } else if (d.mode === "webhook") {
        // create the new credential yourself and return it; the vault stores it as the current version
        const value = `rotated-${Date.now()}`;
        seen.add(id);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value }));
      } else {
        console.log(`${d.identityId}/${d.key} is due: PUT a new value before ${d.expiresAt}`);
        seen.add(id);
        res.writeHead(204).end();
      }
      return;
    }
    if (event.type === "secret.rotation.succeeded") {
      console.log(`${d.identityId}/${d.key} rotated to version ${d.version}; previous readable until ${d.previousReadableUntil}`);
    } else if (event.type === "secret.rotation.failed") {
      console.log(`rotation of ${d.identityId}/${d.key} failed after ${d.attempts} attempts: ${d.lastError}`);
    } else if (event.type === "secret.expiring") {
      console.log(`${d.identityId}/${d.key} expires at ${d.expiresAt}: PUT a new value`);
    }
    seen.add(id);
    res.writeHead(204).end();
  });
});
server.listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === "object" && address ? address.port : ""}`);
});
