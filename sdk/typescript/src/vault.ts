import { Secret, type SecretData } from "./secret.js";
import { type RequestOptions, seg, type Transport } from "./transport.js";
import {
  type AuditEvent, type Page, type PagedArray, type PageParams, pagedArray, type RotationPolicy, type SecretMetadata,
} from "./types.js";

/**
 * How a credential type generates a value (`generate` instead of `value`), e.g. `{ length: 32 }`; the
 * options a type accepts are listed in the README's "Credential types".
 */
export type GeneratePolicy = Record<string, string | number | boolean | string[]>;

/** Parameters of {@link Secrets.create}: give exactly one of `value` and `generate`. */
export interface CreateSecretParams {
  identityId: string;
  /** 1–256 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`. */
  key: string;
  value?: string;
  /** Have the credential type generate the value (read it back with `get`); instead of `value`. */
  generate?: GeneratePolicy;
  /** A credential type enabled on the vault, e.g. `api_key`; default the vault's default type. */
  type?: string;
  metadata?: Record<string, string>;
  /** Rotate the secret on a schedule through a webhook (see the README's "Rotation"). */
  rotation?: RotationPolicy;
  /** ISO-8601 instant (or a Date) after which the secret expires. */
  expiresAt?: string | Date;
}

/** Parameters of {@link Secrets.put}. */
export interface PutSecretParams {
  value: string;
  type?: string;
  metadata?: Record<string, string>;
  rotation?: RotationPolicy;
  expiresAt?: string | Date;
}

function withInstants<T extends { expiresAt?: string | Date }>(params: T): T {
  return params.expiresAt instanceof Date ? { ...params, expiresAt: params.expiresAt.toISOString() } : params;
}

/** Options of {@link Secrets.get}. */
export interface GetSecretOptions extends RequestOptions {
  /** Read this version instead of the current one. */
  version?: number;
}

/** `/v1/vault/secrets`: identity-scoped secrets. */
export class Secrets {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** Stores a new secret (version 1); returns its metadata, never the value. */
  create(params: CreateSecretParams, options?: RequestOptions): Promise<SecretMetadata> {
    return this.#t.request({ method: "POST", path: "/v1/vault/secrets", body: withInstants(params), options });
  }

  /** Reads a secret's current (or a given) version, value included. */
  async get(identityId: string, key: string, options?: GetSecretOptions): Promise<Secret> {
    const data = await this.#t.request<SecretData>({
      method: "GET", path: `/v1/vault/secrets/${seg(identityId)}/${seg(key)}`,
      query: { version: options?.version }, options,
    });
    return new Secret(data);
  }

  /** Writes a new version of an existing secret. Not retried: each call adds a version. */
  put(identityId: string, key: string, params: PutSecretParams, options?: RequestOptions): Promise<SecretMetadata> {
    return this.#t.request({
      method: "PUT", path: `/v1/vault/secrets/${seg(identityId)}/${seg(key)}`, body: withInstants(params), idempotent: false, options,
    });
  }

  /** One page of an identity's secrets (metadata only). */
  async list(identityId: string, params: PageParams = {}, options?: RequestOptions): Promise<PagedArray<SecretMetadata>> {
    const page = await this.#t.request<Page<SecretMetadata>>({
      method: "GET", path: `/v1/vault/secrets/${seg(identityId)}`,
      query: { limit: params.limit, cursor: params.cursor }, options,
    });
    return pagedArray(page);
  }

  /** Deletes a secret and all its versions. */
  async delete(identityId: string, key: string, options?: RequestOptions): Promise<void> {
    await this.#t.request({ method: "DELETE", path: `/v1/vault/secrets/${seg(identityId)}/${seg(key)}`, options });
  }

  /** Sets the secret's rotation policy, merged into the one it has (`PATCH .../rotation`); returns the metadata. */
  setRotation(identityId: string, key: string, policy: Partial<RotationPolicy>, options?: RequestOptions): Promise<SecretMetadata> {
    return this.#t.request({
      method: "PATCH", path: `/v1/vault/secrets/${seg(identityId)}/${seg(key)}/rotation`, body: policy, idempotent: false, options,
    });
  }

  /** Removes the secret's rotation policy (a plain `expiresAt` stays); returns the metadata. */
  removeRotation(identityId: string, key: string, options?: RequestOptions): Promise<SecretMetadata> {
    return this.#t.request({ method: "DELETE", path: `/v1/vault/secrets/${seg(identityId)}/${seg(key)}/rotation`, options });
  }

  /** Rotates the secret now (also restarts a `failed` rotation). Not retried. */
  rotate(identityId: string, key: string, options?: RequestOptions): Promise<SecretMetadata> {
    return this.#t.request({
      method: "POST", path: `/v1/vault/secrets/${seg(identityId)}/${seg(key)}/rotate`, idempotent: false, options,
    });
  }

  /** The last rotation webhook deliveries of the secret, oldest first. */
  async deliveries(identityId: string, key: string, options?: RequestOptions): Promise<RotationDelivery[]> {
    const page = await this.#t.request<{ items: RotationDelivery[] }>({
      method: "GET", path: `/v1/vault/secrets/${seg(identityId)}/${seg(key)}/rotation/deliveries`, options,
    });
    return page.items;
  }
}

/** One rotation webhook delivery attempt. */
export interface RotationDelivery {
  webhookId: string;
  event: string;
  attempt: number;
  at: string;
  /** The receiver's HTTP status; 0 when it was not reached. */
  status: number;
  error: string | null;
  durationMs: number;
  url: string;
}

/** Filters of {@link Audit.getLogs}. */
export interface AuditLogParams extends PageParams {
  identityId?: string;
  /** e.g. `secret.read`. */
  action?: string;
  /** ISO-8601 instant or a Date. */
  from?: string | Date;
  to?: string | Date;
}

/** Parameters of {@link Audit.report}. */
export interface ReportParams {
  /** `json` (default), `csv` or `html`. */
  format?: "json" | "csv" | "html";
  /** One identity; default the whole organization. */
  identityId?: string;
  from?: string | Date;
  to?: string | Date;
}

/** `/v1/vault/audit`: the organization's audit log, newest first. */
export class Audit {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** One page of audit events as an array; its non-enumerable `nextCursor` leads to the next page. */
  async getLogs(params: AuditLogParams = {}, options?: RequestOptions): Promise<PagedArray<AuditEvent>> {
    return pagedArray(await this.getLogsPage(params, options));
  }

  /** A compliance report (`GET /v1/vault/audit/reports`) as the server writes it: JSON, CSV or HTML text. */
  report(params: ReportParams = {}, options?: RequestOptions): Promise<string> {
    const instant = (d: string | Date | undefined) => (d instanceof Date ? d.toISOString() : d);
    return this.#t.request({
      method: "GET", path: "/v1/vault/audit/reports",
      query: { format: params.format ?? "json", identityId: params.identityId, from: instant(params.from), to: instant(params.to) },
      options, text: true,
    });
  }

  /** One page of audit events as the API sends it: `{ items, nextCursor }`. */
  getLogsPage(params: AuditLogParams = {}, options?: RequestOptions): Promise<Page<AuditEvent>> {
    const instant = (d: string | Date | undefined) => (d instanceof Date ? d.toISOString() : d);
    return this.#t.request({
      method: "GET", path: "/v1/vault/audit/logs",
      query: {
        identityId: params.identityId, action: params.action, from: instant(params.from), to: instant(params.to),
        limit: params.limit, cursor: params.cursor,
      },
      options,
    });
  }
}

/** `/v1/vault/*`. */
export class Vault {
  readonly secrets: Secrets;
  readonly audit: Audit;

  constructor(transport: Transport) {
    this.secrets = new Secrets(transport);
    this.audit = new Audit(transport);
  }
}
