package dev.animavault.core.http;

import dev.animavault.core.admin.AdminSessions;
import dev.animavault.core.admin.Admins;
import dev.animavault.core.auth.FailedAuthThrottle;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.config.TrustedProxies;
import dev.animavault.core.service.OperationAudit;
import dev.animavault.core.service.RequestContext;
import dev.animavault.core.service.VaultService;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.Optional;

/** What every API handler needs: authentication, the request id, body reading, JSON responses. */
final class Api {
    static final String JSON = "application/json";
    // Prebuilt headers skip Helidon's per-response name/value validation.
    static final Header CONTENT_TYPE_JSON = HeaderValues.CONTENT_TYPE_JSON;
    static final Header NO_STORE = HeaderValues.createCached("Cache-Control", "no-store");

    /**
     * The request id of the request the current thread is handling. Helidon handles a connection's
     * requests one after another on one virtual thread, and the routing filter sets this before every
     * request; it is not cleared afterwards so that error handlers (which run after the filter chain has
     * returned, on the same thread) still see it.
     */
    private static final ThreadLocal<String> REQUEST_ID = new ThreadLocal<>();

    /**
     * The request this thread authenticated last, what it attempted and the thread's audit event count then
     * (see {@link #auditRefusal}). One mutable holder per thread (a connection's), so the hot path allocates
     * nothing for it per request.
     */
    private static final class Authenticated {
        RequestContext ctx;
        String action;
        String identityId;
        String key;
        long events;
    }

    private static final ThreadLocal<Authenticated> AUTHENTICATED = ThreadLocal.withInitial(Authenticated::new);

    private final TokenService tokens;
    private final VaultService service;
    private final FailedAuthThrottle authFailures;
    private final int maxBodyBytes;
    private final TrustedProxies proxies;
    private final Admins admins;
    private static final io.helidon.http.HeaderName X_FORWARDED_FOR = HeaderNames.create("X-Forwarded-For");

    Api(TokenService tokens, VaultService service, FailedAuthThrottle authFailures, int maxBodyBytes,
        TrustedProxies proxies, Admins admins) {
        this.admins = admins;
        this.tokens = tokens;
        this.service = service;
        this.authFailures = authFailures;
        this.maxBodyBytes = maxBodyBytes;
        this.proxies = proxies;
    }

    VaultService service() {
        return service;
    }

    Admins admins() {
        return admins;
    }

    static void setRequestId(String id) {
        REQUEST_ID.set(id);
    }

    /** Forgets the previous request's authentication (the routing filter, before every request). */
    static void clearAuthenticated() {
        AUTHENTICATED.get().ctx = null;
    }

    /**
     * Records the outcome of an authenticated request that failed before its operation recorded anything:
     * refused while its body or query parameters were parsed (bad JSON, an unknown field, a bad query
     * parameter, a body over the limit), as a DENIED/FAILURE event of the action it attempted with the error
     * code and {@code details.stage = request}; nothing of the body. Best effort, like every failure event.
     * Requests that never authenticated were recorded by {@link #authenticate} already.
     */
    void auditRefusal(VaultException e) {
        Authenticated a = AUTHENTICATED.get();
        RequestContext ctx = a.ctx;
        if (ctx == null || !ctx.requestId().equals(REQUEST_ID.get())) {
            return;
        }
        a.ctx = null;
        OperationAudit audit = service.operationAudit();
        if (audit.broker().handedInOnThisThread() != a.events) {
            return; // the operation ran and recorded its own outcome
        }
        audit.refusedBeforeOperation(ctx, a.action, a.identityId, a.key, e);
    }

    /** The id of the request the current thread is handling (set by the routing filter), or "-". */
    static String requestId() {
        String id = REQUEST_ID.get();
        return id == null ? "-" : id;
    }

    static String remoteAddress(ServerRequest req) {
        SocketAddress a = req.remotePeer().address();
        return a instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : String.valueOf(a);
    }

    /**
     * The client's address: the TCP peer, or, when the peer is a configured trusted proxy
     * ({@code server.trusted-proxies}), the address its {@code X-Forwarded-For} names (see
     * {@link TrustedProxies}). Throttling and audit events use this.
     */
    String clientAddress(ServerRequest req) {
        String peer = remoteAddress(req);
        if (!proxies.any()) {
            return peer;
        }
        java.util.List<String> forwarded = req.headers().all(X_FORWARDED_FOR, java.util.List::of);
        return proxies.clientAddress(peer, forwarded.isEmpty() ? null : String.join(",", forwarded));
    }

    /**
     * Authenticates the bearer token. A refusal is audited (best effort) with the action the request
     * attempted, unless its address has failed too often lately: then it is answered 429 with
     * {@code Retry-After} and counted into a periodic {@code auth.denied} summary (see
     * {@link FailedAuthThrottle}). A token that verifies never consults the throttle.
     */
    RequestContext authenticate(ServerRequest req, String action, String identityId, String key) {
        Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
        String token = header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).trim())
                .orElse(null);
        Principal principal;
        try {
            if (token == null) {
                throw new VaultException(ErrorCode.UNAUTHENTICATED, "missing bearer token: send 'Authorization: "
                        + "Bearer <token>'");
            }
            // admin sessions (avs_) are resolved by the admin package; every other form by the token service
            principal = AdminSessions.isSession(token) ? admins.sessions().verify(token) : tokens.verify(token);
        } catch (VaultException e) {
            String address = clientAddress(req);
            if (e.errorCode() == ErrorCode.UNAUTHENTICATED) {
                long retryAfter = authFailures.failure(address);
                if (retryAfter > 0) {
                    throw new ThrottledException("too many failed authentications from this address; retry after "
                            + retryAfter + " s", retryAfter);
                }
            }
            service.auditUnauthenticated(requestId(), address, action, identityId, key);
            throw e;
        }
        RequestContext ctx = new RequestContext(requestId(), clientAddress(req), principal);
        Authenticated a = AUTHENTICATED.get();
        a.ctx = ctx;
        a.action = action;
        a.identityId = identityId;
        a.key = key;
        a.events = service.operationAudit().broker().handedInOnThisThread();
        return ctx;
    }

    /** Reads the body, refusing more than the configured limit with 413. */
    byte[] body(ServerRequest req) {
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > maxBodyBytes) {
            throw new VaultException(ErrorCode.PAYLOAD_TOO_LARGE, "request body is " + declared + " bytes; the limit is "
                    + maxBodyBytes);
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        byte[] body = readEntity(req, declared);
        if (body.length > maxBodyBytes) {
            throw new VaultException(ErrorCode.PAYLOAD_TOO_LARGE, "request body is larger than " + maxBodyBytes
                    + " bytes");
        }
        return body;
    }

    /**
     * Reads the entity, sorting failures by what they mean for the connection: a peer gone mid-body ends it
     * without a response; an entity over the limit or with broken chunked framing gets a problem and the
     * connection closes (see {@link BrokenFramingException}).
     */
    private byte[] readEntity(ServerRequest req, long declared) {
        try {
            return declared >= 0 ? readDeclared(req, (int) declared) : req.content().as(byte[].class);
        } catch (DataReader.InsufficientDataAvailableException | ServerConnectionException | UncheckedIOException
                 | IOException e) {
            throw new CloseConnectionException("connection ended while reading the request body", e);
        } catch (RequestException e) {
            if (e.status().code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
                throw new BrokenFramingException(ErrorCode.PAYLOAD_TOO_LARGE, "request body is larger than "
                        + maxBodyBytes + " bytes", e);
            }
            throw new BrokenFramingException(ErrorCode.INVALID_ARGUMENT, "malformed request body framing", e);
        } catch (RuntimeException e) {
            // Helidon's chunk parser lets NumberFormatException and the like through for sizes like 'zz' or '-1'
            throw new BrokenFramingException(ErrorCode.INVALID_ARGUMENT, "malformed request body framing", e);
        }
    }

    /**
     * Reads a body of a declared length into one array of that length. {@code as(byte[].class)} reads through
     * {@link InputStream#readAllBytes()}, which allocates a 16 KiB buffer and then copies: most of a write
     * request's allocation for a body of a few hundred bytes. A decoded body (content encoding) may be longer
     * or shorter than declared: the rest is read on, the short one trimmed; the size limit is checked by the
     * caller (and by the entity's own limit while reading).
     */
    private static byte[] readDeclared(ServerRequest req, int declared) throws IOException {
        try (InputStream in = req.content().inputStream()) {
            byte[] body = new byte[declared];
            int n = in.readNBytes(body, 0, declared);
            if (n < declared) {
                byte[] shorter = Arrays.copyOf(body, n);
                Arrays.fill(body, (byte) 0); // a body may hold a secret value: no stray copies
                return shorter;
            }
            int next = in.read();
            if (next < 0) {
                return body;
            }
            byte[] rest = in.readAllBytes();
            byte[] all = Arrays.copyOf(body, declared + 1 + rest.length);
            all[declared] = (byte) next;
            System.arraycopy(rest, 0, all, declared + 1, rest.length);
            Arrays.fill(body, (byte) 0);
            Arrays.fill(rest, (byte) 0);
            return all;
        }
    }

    static void send(ServerResponse res, int status, Object body) {
        sendJson(res, status, Json.write(body));
    }

    static void sendJson(ServerResponse res, int status, byte[] json) {
        res.status(status == 200 ? Status.OK_200 : Status.create(status));
        res.header(CONTENT_TYPE_JSON);
        res.header(NO_STORE);
        res.send(json);
    }

    static void noContent(ServerResponse res) {
        res.status(Status.NO_CONTENT_204);
        res.send();
    }

    static PageRequest page(ServerRequest req, int defaultLimit) {
        int limit = req.query().first("limit").asOptional().map(s -> {
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter 'limit' must be an integer");
            }
        }).orElse(defaultLimit);
        if (limit < 1 || limit > PageRequest.MAX_LIMIT) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter 'limit' must be between 1 and "
                    + PageRequest.MAX_LIMIT);
        }
        return new PageRequest(limit, req.query().first("cursor").asOptional());
    }

    static String pathParam(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }
}
