/** A secret value that stays out of logs: printing or serializing it shows a mask. */

const MASK = "********";
const inspect = Symbol.for("nodejs.util.inspect.custom"); // Node and Bun
const denoInspect = Symbol.for("Deno.customInspect");
// Values live outside the objects: no property, enumerable or private, that a debugger or a browser
// console's object view would show.
const values = new WeakMap<Secret, string>();

/** What `GET /v1/vault/secrets/{identityId}/{key}` returns, the value included. */
export interface SecretData {
  organizationId: string;
  identityId: string;
  key: string;
  type: string;
  /** The version read. */
  version: number;
  /** The newest version. */
  currentVersion: number;
  value: string;
  metadata: Record<string, string>;
  /** When the version read was written. */
  createdAt: string;
  updatedAt: string;
  /** `oauth_refresh`: the live access token is `value`; these describe it (the refresh token never comes back). */
  tokenType?: string;
  /** `oauth_refresh`: when the access token in `value` expires. */
  expiresAt?: string;
  /** `oauth_refresh`: the access token's scope. */
  scope?: string;
}

/**
 * A secret read from the vault. `secret.value` is the plain value; `console.log(secret)`,
 * `JSON.stringify(secret)`, `String(secret)` and template literals show `********` instead. Ask for the
 * value explicitly with `secret.value` or `secret.toJSON({ reveal: true })`.
 */
export class Secret {
  readonly organizationId: string;
  readonly identityId: string;
  readonly key: string;
  readonly type: string;
  readonly version: number;
  readonly currentVersion: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly tokenType?: string;
  readonly expiresAt?: string;
  readonly scope?: string;

  constructor(data: SecretData) {
    this.organizationId = data.organizationId;
    this.identityId = data.identityId;
    this.key = data.key;
    this.type = data.type;
    this.version = data.version;
    this.currentVersion = data.currentVersion;
    this.metadata = Object.freeze({ ...(data.metadata ?? {}) });
    this.createdAt = data.createdAt;
    this.updatedAt = data.updatedAt;
    // fields a credential type adds beside the value (oauth_refresh); absent for other types
    if (data.tokenType !== undefined) this.tokenType = data.tokenType;
    if (data.expiresAt !== undefined) this.expiresAt = data.expiresAt;
    if (data.scope !== undefined) this.scope = data.scope;
    values.set(this, data.value);
  }

  /** The secret's plain value. */
  get value(): string {
    return values.get(this)!;
  }

  /** The JSON form: the value masked unless `{ reveal: true }` is passed. */
  toJSON(options?: { reveal?: boolean }): SecretData {
    return {
      organizationId: this.organizationId,
      identityId: this.identityId,
      key: this.key,
      type: this.type,
      version: this.version,
      currentVersion: this.currentVersion,
      value: options?.reveal === true ? this.value : MASK,
      metadata: { ...this.metadata },
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      ...(this.tokenType !== undefined ? { tokenType: this.tokenType } : {}),
      ...(this.expiresAt !== undefined ? { expiresAt: this.expiresAt } : {}),
      ...(this.scope !== undefined ? { scope: this.scope } : {}),
    };
  }

  toString(): string {
    return `Secret(${this.identityId}/${this.key} v${this.version}, value=${MASK})`;
  }

  [inspect](): string {
    return `Secret { identityId: '${this.identityId}', key: '${this.key}', type: '${this.type}', `
      + `version: ${this.version}, value: '${MASK}' }`;
  }

  [denoInspect](): string {
    return this[inspect]();
  }
}
