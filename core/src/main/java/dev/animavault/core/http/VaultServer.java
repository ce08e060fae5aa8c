package dev.animavault.core.http;

import dev.animavault.core.VaultNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The HTTP API v1 on Helidon SE (one virtual thread per request). Errors are problem+json with a stable
 * code; unexpected exceptions become a bare 500 whose only detail is the request id, logged in full.
 */
public final class VaultServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VaultServer.class.getName());
    private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final io.helidon.http.HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");

    private final VaultNode node;
    private final WebServer server;

    private VaultServer(VaultNode node, WebServer server) {
        this.node = node;
        this.server = server;
    }

    /** Starts the HTTP server for a started node. */
    public static VaultServer start(VaultNode node, Clock clock) {
        Api api = new Api(node.tokens(), node.service(), node.config().maxBodyBytes());
        WebServer server = WebServer.builder()
                .host(node.config().host())
                .port(node.config().port())
                .maxPayloadSize(node.config().maxBodyBytes() + 1024L)
                // every response header value is a constant or a request id matching CLIENT_REQUEST_ID:
                // re-validating them on each response costs ~1 us per request for nothing
                .addProtocol(Http1Config.builder().validateResponseHeaders(false).build())
                .directHandlers(d -> {
                    for (DirectHandler.EventType t : DirectHandler.EventType.values()) {
                        d.addHandler(t, VaultServer::transportProblem);
                    }
                })
                .routing(r -> routing(r, node, api, clock))
                .build()
                .start();
        return new VaultServer(node, server);
    }

    static void routing(HttpRouting.Builder routing, VaultNode node, Api api, Clock clock) {
        routing.addFilter((chain, req, res) -> {
            String id = req.headers().first(REQUEST_ID)
                    .filter(v -> CLIENT_REQUEST_ID.matcher(v).matches())
                    .orElseGet(VaultServer::newRequestId);
            Api.setRequestId(id);
            res.header(REQUEST_ID, id);
            chain.proceed();
        });
        // Helidon tries routes in registration order: the agents' hot path (secret reads) goes first.
        SecretsApi secrets = new SecretsApi(api);
        routing.route(Method.GET, PathMatchers.prefix(SecretsApi.MOUNT + "/"), secrets::get)
                .register(SecretsApi.MOUNT, secrets)
                .get("/v1/sys/health", (req, res) -> health(node, res))
                .get("/v1/openapi.json", OpenApiDocument::serve)
                .register("/v1/identities", new IdentitiesApi(api, clock))
                .register("/v1/vault/audit", new AuditApi(api))
                .any((req, res) -> problem(req, res, new VaultException(ErrorCode.NOT_FOUND, "no endpoint "
                        + req.prologue().method().text() + " " + req.path().absolute().path())))
                .error(VaultException.class, VaultServer::problem)
                .error(Exception.class, (req, res, e) -> {
                    String id = Api.requestId(req);
                    LOG.log(System.Logger.Level.ERROR, "Unexpected error in request " + id + " "
                            + req.prologue().method().text() + " " + req.path().path(), e);
                    problem(req, res, new VaultException(ErrorCode.INTERNAL, "unexpected error; quote request id "
                            + id + " when reporting it"));
                });
    }

    // Request ids only correlate logs and audit events; they need uniqueness, not secrecy, so the
    // hot path avoids SecureRandom (a lock around /dev/urandom reads).
    private static String newRequestId() {
        String hex = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
        return hex.length() == 16 ? hex : "0".repeat(16 - hex.length()) + hex;
    }

    /**
     * Requests Helidon refuses before routing (body over the payload limit, URI or headers too long,
     * malformed HTTP) also get problem+json, with a generic detail: nothing of the request is echoed.
     */
    private static DirectHandler.TransportResponse transportProblem(DirectHandler.TransportRequest req,
                                                                    DirectHandler.EventType type, Status status,
                                                                    io.helidon.http.ServerResponseHeaders headers,
                                                                    String message) {
        ErrorCode code = switch (status.code()) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 403 -> ErrorCode.PERMISSION_DENIED;
            case 500 -> ErrorCode.INTERNAL;
            default -> status.code() >= 500 ? ErrorCode.UNAVAILABLE : ErrorCode.INVALID_ARGUMENT;
        };
        String detail = switch (status.code()) {
            case 413 -> "request body is larger than the vault accepts";
            case 414 -> "request URI is too long";
            case 431 -> "request headers are too large";
            default -> "the request could not be processed as HTTP (" + status.code() + ")";
        };
        java.util.Map<String, Object> body = Problems.body(code, detail, null, "-");
        body.put("status", status.code());
        return DirectHandler.TransportResponse.builder()
                .status(status)
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, Problems.MEDIA_TYPE)
                .entity(Json.write(body))
                .build();
    }

    private static void health(VaultNode node, ServerResponse res) {
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            node.storage().listRecords("sys", PageRequest.first(1));
            m.put("status", "ok");
            m.put("storage", node.storageType());
            Api.send(res, 200, m);
        } catch (VaultException e) {
            m.put("status", "unavailable");
            m.put("storage", node.storageType());
            m.put("detail", "storage is not reachable");
            Api.send(res, 503, m);
        }
    }

    private static void problem(ServerRequest req, ServerResponse res, VaultException e) {
        if (Problems.status(e.errorCode()) >= 500 && e.errorCode() != ErrorCode.INTERNAL) {
            LOG.log(System.Logger.Level.WARNING, "Request " + Api.requestId(req) + " failed: " + e.errorCode().code()
                    + ": " + e.getMessage());
        }
        // 5xx details may name internal hosts or upstream messages: clients get a generic text, logs the rest
        int status = Problems.status(e.errorCode());
        String detail = status < 500 || e.errorCode() == ErrorCode.AUDIT_UNAVAILABLE ? e.getMessage()
                : Problems.title(e.errorCode()) + "; quote request id " + Api.requestId(req) + " when reporting it";
        if (res.isSent()) {
            return;
        }
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, Problems.MEDIA_TYPE);
        res.header(Api.NO_STORE);
        if (e.errorCode() == ErrorCode.UNAUTHENTICATED) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"anima-vault\"");
        }
        res.send(Json.write(Problems.body(e.errorCode(), detail, req.path().absolute().path(), Api.requestId(req))));
    }

    /** The port the server listens on. */
    public int port() {
        return server.port();
    }

    /** The node behind this server. */
    public VaultNode node() {
        return node;
    }

    @Override
    public void close() {
        server.stop();
    }
}
