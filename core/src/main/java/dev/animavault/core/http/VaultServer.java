package dev.animavault.core.http;

import dev.animavault.core.telemetry.Tracing;
import dev.animavault.core.VaultNode;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.health.HealthCheck;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import java.time.Clock;
import java.time.Duration;

/**
 * The HTTP API v1 on Helidon SE (one virtual thread per request). Errors are problem+json with a stable
 * code; unexpected exceptions become a bare 500 whose only detail is the request id, logged in full.
 */
public final class VaultServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VaultServer.class.getName());
    private static final io.helidon.http.HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");

    /** The longest request line served; longer ones get 414. */
    static final int MAX_REQUEST_LINE = 8192;

    private final VaultNode node;
    private final WebServer server;
    private final ListenerWatch listener;

    /** Guards {@link #closed} against a delayed start of the node's background work. */
    private final Object backgroundLock = new Object();
    private boolean closed;

    private VaultServer(VaultNode node, WebServer server, ListenerWatch listener) {
        this.node = node;
        this.server = server;
        this.listener = listener;
    }

    /**
     * Starts the HTTP server for a started node. Throws {@code VaultException(CONFIGURATION)} when the
     * listener cannot bind (address in use, not local): Helidon itself only logs that and runs on without
     * a listener. The node's background work starts as soon as the server listens.
     */
    public static VaultServer start(VaultNode node, Clock clock) {
        return start(node, clock, Duration.ZERO);
    }

    /**
     * As {@link #start(VaultNode, Clock)}, with the node's background work (rotation scheduler, credential
     * refresher, keyring ticker, root key watcher, admin sweeper) started {@code backgroundDelay} after the
     * server listens, on a daemon thread, unless the server is closed by then (issue 19: their first polls set
     * up storage-jdbc's Jdbi, ~400 generated classes, which otherwise compete with the first requests).
     */
    public static VaultServer start(VaultNode node, Clock clock, Duration backgroundDelay) {
        HelidonRegistry.install(); // before anything of Helidon's (when the warm-up has not)
        VaultConfig config = node.config();
        Api api = new Api(node.tokens(), node.service(), node.authFailures(), config.maxBodyBytes(),
                config.trustedProxies(), node.admins());
        int maxConnections = ConnectionLimits.effectiveMaxConnections(config.maxConnections());
        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .maxPayloadSize(config.maxBodyBytes() + 1024L)
                // connections past the limit wait in the kernel's accept queue and cost no descriptor here,
                // so a flood can no longer make accept() fail (which would end Helidon's listener for good)
                .maxTcpConnections(maxConnections)
                // a response larger than the write buffer leaves in several writes: without TCP_NODELAY the
                // last one waits for the client's delayed ACK (~40 ms on every large response)
                .connectionOptions(o -> o.tcpNoDelay(true))
                .addProtocol(http1())
                // ahead of Helidon's HTTP/1.1 selector: answers what that one would drop without a word
                .addConnectionSelector(new NonHttp11Selector(MAX_REQUEST_LINE))
                .directHandlers(d -> {
                    for (DirectHandler.EventType t : DirectHandler.EventType.values()) {
                        d.addHandler(t, VaultServer::transportProblem);
                    }
                })
                .routing(r -> routing(r, node, api, clock))
                .build()
                .start();
        if (!server.isRunning() || server.port() < 1) {
            try {
                server.stop();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "Stopping the server that failed to start: " + e);
            }
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot listen on " + config.host() + ":" + config.port()
                    + " (server.host, server.port): the address is in use or not available here");
        }
        VaultServer started = new VaultServer(node, server, ListenerWatch.of(config.host(), server.port(),
                Duration.ofSeconds(1)));
        // a serving node rotates; CLI commands (init) open a node without it
        if (backgroundDelay.isZero()) {
            node.startBackgroundWork();
        } else {
            Thread.ofPlatform().daemon().name("background-start").start(() -> started.startBackgroundWork(backgroundDelay));
        }
        return started;
    }

    private void startBackgroundWork(Duration delay) {
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            return;
        }
        synchronized (backgroundLock) {
            if (!closed) {
                node.startBackgroundWork();
            }
        }
    }

    /**
     * Issue 19: builds the parts of Helidon's server that do not need the node (its configuration prototype
     * with the HTTP/1.1 protocol and the connection selector, a routing) and throws them away, and reads and
     * writes a little JSON with the API's mapper, so that Helidon's and Jackson's class loading and static
     * initialisation run on the calling thread while another starts the node.
     * Opens no socket and starts no thread; any failure is left to {@link #start}, which builds the real
     * server afterwards either way.
     */
    public static void warmUp() {
        try {
            // issue 19 (tenth pass): the logging's root handlers are made at the first record a JVM logs (the
            // ConsoleHandler and its formatter, by reflection), and the first record formatted sets up the
            // formatter's date and text formatting; both ran on the main thread at the plugin registry's "Loaded
            // plugins". Nothing is published here.
            java.util.logging.Handler[] handlers = java.util.logging.Logger.getLogger("").getHandlers();
            java.util.logging.LogRecord probe = new java.util.logging.LogRecord(java.util.logging.Level.INFO,
                    "warm-up {0}");
            probe.setParameters(new Object[] {"logging"});
            for (java.util.logging.Handler h : handlers) {
                if (h.getFormatter() != null) {
                    h.getFormatter().format(probe);
                }
            }
            HelidonRegistry.install();
            HttpRouting.Builder routing = HttpRouting.builder();
            routing.addFilter((chain, req, res) -> chain.proceed())
                    .route(Method.GET, PathMatchers.prefix("/warm-up/"), (req, res) -> res.send())
                    .get("/warm-up", (req, res) -> res.send())
                    .error(Exception.class, (req, res, e) -> res.send());
            WebServer.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .connectionOptions(o -> o.tcpNoDelay(true))
                    .addProtocol(http1())
                    .addConnectionSelector(new NonHttp11Selector(MAX_REQUEST_LINE))
                    .routing(routing)
                    .buildPrototype();
            // issue 19 (eighth pass): Jackson's class initialisation (the first ObjectMapper of a JVM), which the
            // node's first mapper (KeyringStore's, in Barrier.open) paid on the main thread; the API's own mapper is
            // the one the server needs anyway
            Json.MAPPER.writeValueAsString(Json.MAPPER.readTree("{\"warm-up\":[1,true,null,\"x\"]}"));
            // issue 19 (eleventh pass): the platform's operating system MXBean (the management factory's first use in
            // the JVM), which start() asks for the descriptor limit on the main thread
            ConnectionLimits.maxDescriptors();
        } catch (RuntimeException | LinkageError | com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.log(System.Logger.Level.DEBUG, "HTTP server warm-up failed (the server is built later anyway): " + e);
        }
    }

    /**
     * The server's HTTP/1.1 settings (also the warm-up's). Every response header value is a constant or a
     * request id RequestIds accepted: re-validating them on each response costs ~1 us per request for nothing.
     */
    private static Http1Config http1() {
        return Http1Config.builder()
                .validateResponseHeaders(false)
                .maxPrologueLength(MAX_REQUEST_LINE)
                .build();
    }

    static void routing(HttpRouting.Builder routing, VaultNode node, Api api, Clock clock) {
        routing.addFilter((chain, req, res) -> {
            String id = RequestIds.of(req.headers().first(REQUEST_ID).orElse(null));
            Api.setRequestId(id);
            Api.clearAuthenticated();
            res.header(REQUEST_ID, id);
            if (Method.HEAD.equals(req.prologue().method())) {
                head(node, req, res);
                return;
            }
            io.opentelemetry.api.trace.Tracer tracer = Tracing.tracer();
            if (tracer == null) {
                chain.proceed(); // untraced (no OpenTelemetry SDK): the common case
            } else {
                Tracing.request(tracer, req.prologue().method().text(), req.path().path(), id, chain::proceed,
                        () -> res.status().code());
            }
            // Helidon sends "Connection: close" but then goes on parsing the connection where a broken body
            // stopped, which runs a request hidden in an oversized chunked body: end the connection here
            if (res.headers().contains(HeaderValues.CONNECTION_CLOSE)) {
                throw new CloseConnectionException("response said Connection: close");
            }
        });
        // Helidon tries routes in registration order: the agents' hot path (secret reads) goes first.
        RotationApi rotation = new RotationApi(api, node.rotation());
        SecretsApi secrets = new SecretsApi(api, rotation);
        AdminsApi admins = new AdminsApi(api);
        routing.route(Method.GET, PathMatchers.prefix(SecretsApi.MOUNT + "/"), secrets::get)
                .register(SecretsApi.MOUNT, secrets)
                .register(SecretsApi.MOUNT, rotation)
                .register("/v1/vault/rotation", rotation.organizationService())
                .get("/v1/sys/health", (req, res) -> health(node, res))
                .get("/v1/openapi.json", OpenApiDocument::serve)
                .register("/v1/identities", new IdentitiesApi(api, clock))
                .register("/v1/sys/plugins", new PluginsApi(api, node.plugins())) // issue 16
                .register("/v1/sys/keyring", new KeyringApi(api, node.keyring())) // issue 14
                .register(RootKeyApi.MOUNT, new RootKeyApi(api, node.rootKeys())) // issue 14
                .register("/v1/vault/audit/reports", new ReportsApi(api, node.reports())) // issue 15
                .register("/v1/vault/audit", new AuditApi(api))
                .register(AuditHashApi.MOUNT, new AuditHashApi(api)) // issue 15: sensitive audit fields
                .register("/v1/api-keys", new ApiKeysApi(api, clock)) // issue 13
                .register("/v1/sys/organizations", new OrganizationsApi(api, node.organizationService())) // issue 13
                .register("/v1/auth", new AuthApi(api)) // issue 13: admin login, MFA, sessions
                .register("/v1/admins", admins)
                .register("/v1/admin-roles", admins.rolesService())
                .any((req, res) -> problem(req, res, new VaultException(ErrorCode.NOT_FOUND, "no endpoint "
                        + req.prologue().method().text() + " " + req.path().absolute().path())))
                .error(VaultException.class, (req, res, e) -> {
                    api.auditRefusal(e); // issue 15: a request refused while its parameters were parsed
                    problem(req, res, e);
                })
                .error(Exception.class, (req, res, e) -> {
                    String id = Api.requestId();
                    LOG.log(System.Logger.Level.ERROR, "Unexpected error in request " + id + " "
                            + req.prologue().method().text() + " " + req.path().path(), e);
                    VaultException v = new VaultException(ErrorCode.INTERNAL, "unexpected error; quote request id "
                            + id + " when reporting it");
                    api.auditRefusal(v);
                    problem(req, res, v);
                });
    }

    /**
     * Requests Helidon refuses before routing (body over the payload limit, URI or headers too long,
     * malformed HTTP) also get problem+json, with a generic detail: nothing of the request is echoed.
     * Helidon reports a prologue or headers it cannot parse (a non-ASCII method, a peer gone mid-headers)
     * as a 500 and then logs a WARNING with a stack trace: those are the client's doing, so they become
     * a 400 and one debug line instead.
     */
    private static DirectHandler.TransportResponse transportProblem(DirectHandler.TransportRequest req,
                                                                    DirectHandler.EventType type, Status status,
                                                                    io.helidon.http.ServerResponseHeaders headers,
                                                                    String message) {
        Status sent = type == DirectHandler.EventType.INTERNAL_ERROR && status.code() == 500 ? Status.BAD_REQUEST_400
                : status;
        LOG.log(sent == status ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                "Refused a request before routing: {0} ({1})", String.valueOf(sent.code()), type);
        ErrorCode code = switch (sent.code()) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 403 -> ErrorCode.PERMISSION_DENIED;
            case 500 -> ErrorCode.INTERNAL;
            // 501: a transfer coding other than chunked, the client's choice rather than an outage
            default -> sent.code() >= 500 && sent.code() != 501 ? ErrorCode.UNAVAILABLE : ErrorCode.INVALID_ARGUMENT;
        };
        String detail = switch (sent.code()) {
            case 413 -> "request body is larger than the vault accepts";
            case 414 -> "request URI is too long";
            case 431 -> "request headers are too large";
            case 400 -> "malformed HTTP request";
            case 501 -> "transfer coding not implemented (only chunked is)";
            default -> "the request could not be processed as HTTP (" + sent.code() + ")";
        };
        java.util.Map<String, Object> body = Problems.body(code, detail, null, "-");
        body.put("status", sent.code());
        return DirectHandler.TransportResponse.builder()
                .status(sent)
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, Problems.MEDIA_TYPE)
                .keepAlive(false)
                .entity(Json.write(body))
                .build();
    }

    /** 200 when everything is ok or degraded (the body says what needs attention), 503 naming what is wrong. */
    private static void health(VaultNode node, ServerResponse res) {
        HealthCheck.Report report = node.health().check();
        Api.send(res, report.status() == HealthCheck.Status.UNAVAILABLE ? 503 : 200, report.body());
    }

    /**
     * {@code HEAD}: a response without a body (RFC 9110 9.3.2). The health check answers with GET's status
     * and headers (load balancers probe with HEAD); every other resource answers 405, since running a
     * read for a HEAD would audit a read that returned nothing.
     */
    private static void head(VaultNode node, ServerRequest req, ServerResponse res) {
        res.header(Api.NO_STORE);
        if ("/v1/sys/health".equals(req.path().path())) {
            HealthCheck.Report report = node.health().check();
            res.status(report.status() == HealthCheck.Status.UNAVAILABLE ? Status.SERVICE_UNAVAILABLE_503 : Status.OK_200);
            res.header(Api.CONTENT_TYPE_JSON);
        } else {
            res.status(Status.METHOD_NOT_ALLOWED_405);
            res.header(HeaderNames.ALLOW, "GET, POST, PUT, DELETE");
        }
        res.send();
    }

    private static void problem(ServerRequest req, ServerResponse res, VaultException e) {
        if (Problems.status(e.errorCode()) >= 500 && e.errorCode() != ErrorCode.INTERNAL) {
            LOG.log(System.Logger.Level.WARNING, "Request " + Api.requestId() + " failed: " + e.errorCode().code()
                    + ": " + e.getMessage());
        }
        // 5xx details may name internal hosts or upstream messages: clients get a generic text, logs the rest
        int status = Problems.status(e.errorCode());
        String detail = status < 500 || e.errorCode() == ErrorCode.AUDIT_UNAVAILABLE ? e.getMessage()
                : Problems.title(e.errorCode()) + "; quote request id " + Api.requestId() + " when reporting it";
        if (res.isSent()) {
            return;
        }
        if (e instanceof BrokenFramingException) {
            LOG.log(System.Logger.Level.INFO, "Request " + Api.requestId() + " from " + Api.remoteAddress(req)
                    + " refused: " + e.getMessage() + "; closing the connection");
            res.header(HeaderValues.CONNECTION_CLOSE);
        }
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, Problems.MEDIA_TYPE);
        res.header(Api.NO_STORE);
        if (e.errorCode() == ErrorCode.UNAUTHENTICATED) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"anima-vault\"");
        }
        if (e instanceof ThrottledException t) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(t.retryAfterSeconds()));
        } else if (e.retryAfter().isPresent()) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(Math.max(1, (e.retryAfter().get().toMillis() + 999) / 1000)));
        } else if (e.errorCode() == ErrorCode.STORAGE_UNAVAILABLE) {
            // storage outages are short (a PostgreSQL restart or failover): clients retry soon (issue 17)
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        res.send(Json.write(Problems.body(e.errorCode(), detail, req.path().absolute().path(), Api.requestId())));
    }

    /** The port the server listens on. */
    public int port() {
        return server.port();
    }

    /** The node behind this server. */
    public VaultNode node() {
        return node;
    }

    /**
     * Runs {@code action} once if the listener stops accepting while this server is not being closed.
     * Helidon ends its listener for good on any accept() error and the process would live on serving
     * nothing; the entry point exits non-zero instead, so a supervisor restarts it.
     */
    public void onListenerDeath(Runnable action) {
        listener.onDeath(action);
    }

    @Override
    public void close() {
        synchronized (backgroundLock) {
            closed = true;
        }
        listener.closing();
        server.stop();
    }
}
