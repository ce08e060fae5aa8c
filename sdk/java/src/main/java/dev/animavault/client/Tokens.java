package dev.animavault.client;

import static dev.animavault.client.Transport.seg;

/** {@code /v1/identities/{id}/tokens}: identity tokens (the organization's API key only). */
public final class Tokens {
    private final Transport t;

    Tokens(Transport transport) {
        this.t = transport;
    }

    /** Issues a token; its value is in the result this once. Not retried (each call issues one). */
    public IssuedToken issue(String identityId, TokenRequest request) {
        return t.send(Transport.post("/v1/identities/" + seg(identityId) + "/tokens").body(request.json()),
                JsonViews::issuedToken);
    }

    /** Issues an unnamed token for all the identity's secrets, without expiry. */
    public IssuedToken issue(String identityId) {
        return issue(identityId, TokenRequest.unlimited());
    }

    /** The identity's tokens, oldest first: metadata only, never a token. */
    public java.util.List<TokenInfo> list(String identityId) {
        return t.send(Transport.get("/v1/identities/" + seg(identityId) + "/tokens"),
                n -> JsonViews.items(n, JsonViews::tokenInfo));
    }

    /** Revokes a token. */
    public void revoke(String identityId, String tokenId) {
        t.send(Transport.delete("/v1/identities/" + seg(identityId) + "/tokens/" + seg(tokenId)));
    }
}
