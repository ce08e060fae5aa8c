/**
 * `@anima/sdk`: the Anima Vault client for TypeScript and JavaScript (Node >= 20, browsers, Deno, Bun).
 *
 * ```js
 * import { Anima } from "@anima/sdk";
 * const am = new Anima(process.env.AM_API_KEY);
 * const apiKey = await am.vault.secrets.get("agent_123", "OPENAI_API_KEY");
 * ```
 */
import { Identities } from "./identities.js";
import { Sys } from "./sys.js";
import { type AnimaOptions, Transport } from "./transport.js";
import { Vault } from "./vault.js";

/** The client. Construct once and share; every method returns a promise. */
export class Anima {
  /** `/v1/identities` and their tokens. */
  readonly identities: Identities;
  /** `/v1/vault`: secrets and the audit log. */
  readonly vault: Vault;
  /** `/v1/sys`: health. */
  readonly sys: Sys;
  /** The vault address in use. */
  readonly baseUrl: string;

  /**
   * @param apiKey an organization API key (`avk_...`) or an identity token (`avt_...`); default
   *   `ANIMA_VAULT_TOKEN` from the environment
   * @param options base URL (default `ANIMA_VAULT_ADDR`, else `http://127.0.0.1:8200`), timeout, retries
   */
  constructor(apiKey?: string, options: AnimaOptions = {}) {
    const transport = new Transport(apiKey, options);
    this.baseUrl = transport.baseUrl;
    this.identities = new Identities(transport);
    this.vault = new Vault(transport);
    this.sys = new Sys(transport);
  }
}

export { DEFAULT_BASE_URL, type AnimaOptions, type RequestOptions } from "./transport.js";
export { Secret, type SecretData } from "./secret.js";
export type {
  AuditEvent, Identity, IssuedToken, Page, PagedArray, PageParams, RotationPolicy, RotationState, SecretMetadata, TokenInfo,
} from "./types.js";
export type { CreateIdentityParams, IssueTokenParams } from "./identities.js";
export { Identities, IdentityTokens } from "./identities.js";
export type {
  AuditLogParams, CreateSecretParams, GeneratePolicy, GetSecretOptions, PutSecretParams, ReportParams, RotationDelivery,
} from "./vault.js";
export { Audit, Secrets, Vault } from "./vault.js";
export { Sys, type Health, type PluginInfo } from "./sys.js";
export * from "./errors.js";
