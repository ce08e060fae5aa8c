import { type RequestOptions, seg, type Transport } from "./transport.js";
import {
  type Identity, type IssuedToken, type PagedArray, type PageParams, type Page, pagedArray, type TokenInfo,
} from "./types.js";

/** Parameters of {@link Identities.create}. */
export interface CreateIdentityParams {
  /** 1–128 of `[A-Za-z0-9_.-]`, starting with a letter or digit. */
  id: string;
  /** Display name; default the id. */
  name?: string;
  metadata?: Record<string, string>;
}

/** Parameters of {@link IdentityTokens.issue}. */
export interface IssueTokenParams {
  name?: string;
  /** Limit the token to these secret keys. */
  keys?: string[];
  /** Expire after this long, e.g. `1h`, `30d`. */
  ttl?: string;
}

/** `/v1/identities/{id}/tokens`: identity tokens (API key of the organization only). */
export class IdentityTokens {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** Issues a token for the identity; its `token` is returned this once. */
  issue(identityId: string, params: IssueTokenParams = {}, options?: RequestOptions): Promise<IssuedToken> {
    return this.#t.request({ method: "POST", path: `/v1/identities/${seg(identityId)}/tokens`, body: params, options });
  }

  /** The identity's tokens, oldest first: metadata only, never a token. */
  async list(identityId: string, options?: RequestOptions): Promise<TokenInfo[]> {
    const page = await this.#t.request<{ items: TokenInfo[] }>({
      method: "GET", path: `/v1/identities/${seg(identityId)}/tokens`, options,
    });
    return page.items;
  }

  /** Revokes a token. */
  async revoke(identityId: string, tokenId: string, options?: RequestOptions): Promise<void> {
    await this.#t.request({
      method: "DELETE", path: `/v1/identities/${seg(identityId)}/tokens/${seg(tokenId)}`, options,
    });
  }
}

/** `/v1/identities`: agent identities. */
export class Identities {
  readonly #t: Transport;
  /** The identities' tokens. */
  readonly tokens: IdentityTokens;

  constructor(transport: Transport) {
    this.#t = transport;
    this.tokens = new IdentityTokens(transport);
  }

  /** Reads an identity (an identity token may read itself). */
  get(id: string, options?: RequestOptions): Promise<Identity> {
    return this.#t.request({ method: "GET", path: `/v1/identities/${seg(id)}`, options });
  }

  /** Creates an identity. */
  create(params: CreateIdentityParams, options?: RequestOptions): Promise<Identity> {
    return this.#t.request({ method: "POST", path: "/v1/identities", body: params, options });
  }

  /** One page of identities; `nextCursor` on the result leads to the next. */
  async list(params: PageParams = {}, options?: RequestOptions): Promise<PagedArray<Identity>> {
    const page = await this.#t.request<Page<Identity>>({
      method: "GET", path: "/v1/identities", query: { limit: params.limit, cursor: params.cursor }, options,
    });
    return pagedArray(page);
  }

  /** Every identity, page after page. */
  async *listAll(params: Omit<PageParams, "cursor"> = {}, options?: RequestOptions): AsyncGenerator<Identity> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...params, cursor }, options);
      yield* page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Disables an identity and revokes its tokens (idempotent); its secrets stay. */
  disable(id: string, options?: RequestOptions): Promise<Identity> {
    return this.#t.request({ method: "DELETE", path: `/v1/identities/${seg(id)}`, options });
  }
}
