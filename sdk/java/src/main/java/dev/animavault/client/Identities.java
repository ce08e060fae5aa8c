package dev.animavault.client;

import static dev.animavault.client.Transport.seg;

/** {@code /v1/identities}: agent identities (the organization's API key; an identity token may read itself). */
public final class Identities {
    private final Transport t;
    private final Tokens tokens;

    Identities(Transport transport) {
        this.t = transport;
        this.tokens = new Tokens(transport);
    }

    /** The identities' tokens. */
    public Tokens tokens() {
        return tokens;
    }

    /** Reads an identity. */
    public Identity get(String id) {
        return t.send(Transport.get("/v1/identities/" + seg(id)), JsonViews::identity);
    }

    /** Creates an identity. */
    public Identity create(NewIdentity identity) {
        return t.send(Transport.post("/v1/identities").body(identity.json()), JsonViews::identity);
    }

    /** Creates an identity named by its id. */
    public Identity create(String id) {
        return create(NewIdentity.of(id));
    }

    /** The first page (up to 100). */
    public Page<Identity> list() {
        return list(100, null);
    }

    /** One page: {@code limit} 1–1000, {@code cursor} the previous page's {@link Page#nextCursor()} or null. */
    public Page<Identity> list(int limit, String cursor) {
        return t.send(Transport.get("/v1/identities").query("limit", limit).query("cursor", cursor),
                n -> JsonViews.page(n, JsonViews::identity));
    }

    /** Every identity, fetched page by page ({@code limit} per page) as the stream is consumed. */
    public java.util.stream.Stream<Identity> listAll(int limit) {
        return Page.all(cursor -> list(limit, cursor));
    }

    /** Disables the identity and revokes its tokens (idempotent); its secrets stay. */
    public Identity disable(String id) {
        return t.send(Transport.delete("/v1/identities/" + seg(id)), JsonViews::identity);
    }
}
