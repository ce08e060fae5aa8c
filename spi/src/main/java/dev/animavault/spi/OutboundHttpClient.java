package dev.animavault.spi;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * The only way plugins make outbound HTTP calls. Core's implementation refuses destinations the egress
 * policy denies (private, loopback and link-local addresses unless allow-listed), never follows
 * redirects, and applies connect and request timeouts. Thread-safe.
 */
public interface OutboundHttpClient {

    /**
     * Sends a request and reads the whole body.
     *
     * @throws VaultException with {@link ErrorCode#EGRESS_DENIED} when the destination is not allowed
     * @throws IOException    on network failure or timeout
     */
    HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException;
}
