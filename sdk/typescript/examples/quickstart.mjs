// The product's example, verbatim. Run it against a vault holding identity agent_123:
//   AM_API_KEY=avk_... ANIMA_VAULT_ADDR=http://127.0.0.1:8200 node examples/quickstart.mjs
import { Anima } from "@anima/sdk";
const am = new Anima(process.env.AM_API_KEY);
const identity = await am.identities.get("agent_123");
const secret = await am.vault.secrets.create({ identityId: identity.id, key: "OPENAI_API_KEY", value: "sk-proj-...", type: "api_key" });
const apiKey = await am.vault.secrets.get(identity.id, "OPENAI_API_KEY");
const logs = await am.vault.audit.getLogs({ identityId: identity.id, limit: 100 });
logs.forEach(log => console.log(`${log.timestamp}: ${log.action} on ${log.secretKey}`));
