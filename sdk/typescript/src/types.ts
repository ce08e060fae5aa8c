/** JSON shapes of the vault's resources (HTTP API v1). */

/** An agent identity. */
export interface Identity {
  id: string;
  organizationId: string;
  name: string;
  metadata: Record<string, string>;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A secret without its value: what create, put and list return. */
export interface SecretMetadata {
  organizationId: string;
  identityId: string;
  key: string;
  type: string;
  /** The current version. */
  version: number;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** A non-secret hint the credential type shows (e.g. `sk-...abcd`), when it gives one. */
  hint?: string;
  /** The rotation policy and its state, when the secret has a policy or an expiry. */
  rotation?: RotationState;
}

/**
 * A rotation policy, as given to create, put or `rotation` updates. Durations are `30d`, `12h` or
 * ISO-8601 (`P30D`).
 */
export interface RotationPolicy {
  interval: string;
  /** https (http only to a host the vault's `vault.egress.allow` lists). */
  webhookUrl: string;
  /** `generate` (default when the type can generate), `webhook` or `notify`. */
  mode?: "generate" | "webhook" | "notify";
  /** How long before expiry the rotation starts; default a tenth of the interval. */
  leadTime?: string;
  /** How long the previous version stays readable after a rotation. */
  gracePeriod?: string;
  /**
   * What happens to retired versions (older than current, except the previous one during its grace
   * period): `keep` (default) or `destroy` (deleted from storage; a read of one then fails with 410
   * `version_destroyed`).
   */
  retiredVersions?: "keep" | "destroy";
}

/** A secret's rotation policy and state, as metadata shows it (never a value). */
export interface RotationState {
  interval: string | null;
  webhookUrl?: string;
  mode?: "generate" | "webhook" | "notify";
  leadTime?: string;
  gracePeriod?: string;
  nextRotationAt: string | null;
  expiresAt: string | null;
  lastRotatedAt: string | null;
  status: "ok" | "due" | "rotating" | "failed" | "expired";
  lastError?: string;
  pendingVersion?: number;
  previousVersion?: number;
  previousReadableUntil?: string;
  /** `keep` or `destroy`; shown when the secret has a policy. */
  retiredVersions?: "keep" | "destroy";
  /** Every version below this one was destroyed (`retiredVersions: destroy`); absent until one was. */
  destroyedBelow?: number;
}

/** A token's metadata as `tokens.list` shows it: never the token itself. */
export interface TokenInfo {
  id: string;
  identityId: string;
  name: string;
  /** The secret keys the token is limited to; empty = all of the identity's secrets. */
  keys: string[];
  createdAt: string | null;
  expiresAt: string | null;
}

/** An identity token, as issued: `token` is shown this once. */
export interface IssuedToken {
  id: string;
  token: string;
  identityId: string;
  organizationId: string;
  name: string;
  /** The secret keys the token is limited to; empty = all of the identity's secrets. */
  keys: string[];
  createdAt: string;
  expiresAt: string | null;
}

/** One audit event. */
export interface AuditEvent {
  id: string;
  timestamp: string;
  action: string;
  outcome: "SUCCESS" | "DENIED" | "FAILURE";
  organizationId: string | null;
  identityId: string | null;
  secretKey: string | null;
  version: number | null;
  actor: string | null;
  requestId: string | null;
  remoteAddress: string | null;
  errorCode: string | null;
  details?: Record<string, string>;
}

/** A page as the API sends it. */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * A page as the SDK returns it from list calls: an ordinary array of the items, with the cursor of the
 * next page as a non-enumerable `nextCursor` property (so it does not show in `console.log` or JSON).
 */
export type PagedArray<T> = T[] & { readonly nextCursor: string | null };

/** Paging parameters of list calls. */
export interface PageParams {
  /** 1–1000, default 100. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export function pagedArray<T>(page: Page<T>): PagedArray<T> {
  const items = [...page.items];
  Object.defineProperty(items, "nextCursor", { value: page.nextCursor ?? null, enumerable: false });
  return items as PagedArray<T>;
}
