// The product's rotating secret. Run it against a vault holding identity agent_123:
//   AM_API_KEY=avk_... ANIMA_VAULT_ADDR=http://127.0.0.1:8200 node examples/rotating-secret.mjs
import { Anima } from "@anima/sdk";
const am = new Anima(process.env.AM_API_KEY);
const secret = await am.vault.secrets.create({
  identityId: "agent_123",
  key: "DATABASE_PASSWORD",
  value: "temporary-pwd",
  type: "password",
  rotation: { interval: "30d", webhookUrl: "https://agent-api.com/rotate-db-secret" },
});
const { interval, webhookUrl, status, nextRotationAt } = secret.rotation;
console.log(`${secret.key} v${secret.version}: every ${interval} via ${webhookUrl} (${status}), next at ${nextRotationAt}`);
