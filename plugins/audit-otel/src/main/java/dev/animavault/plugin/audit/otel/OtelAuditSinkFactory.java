package dev.animavault.plugin.audit.otel;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ConfigProperty.Type;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Creates {@link OtelAuditSink}s. Stateless and thread-safe.
 *
 * <p>Each setting comes from the sink's configuration when given there, else from the standard
 * OpenTelemetry variable (the logs-specific one first), else a default:
 * <ul>
 *   <li>{@code endpoint}: the full URL logs are POSTed to; {@code OTEL_EXPORTER_OTLP_LOGS_ENDPOINT} (as is),
 *       else {@code OTEL_EXPORTER_OTLP_ENDPOINT} + {@code /v1/logs}, else
 *       {@value #DEFAULT_ENDPOINT}. {@code https}, or {@code http} only to a host in the deployment's
 *       egress allow-list (a collector on loopback or the private network); every export also passes the
 *       egress policy;</li>
 *   <li>{@code headers} (sensitive): {@code name=value,name2=value2}, values URL-encoded as the variables
 *       {@code OTEL_EXPORTER_OTLP_LOGS_HEADERS} / {@code OTEL_EXPORTER_OTLP_HEADERS} have them;</li>
 *   <li>{@code timeout}: per export; {@code OTEL_EXPORTER_OTLP_LOGS_TIMEOUT} / {@code OTEL_EXPORTER_OTLP_TIMEOUT}
 *       (milliseconds); default 10s;</li>
 *   <li>{@code compression}: {@code none} or {@code gzip}; {@code OTEL_EXPORTER_OTLP_LOGS_COMPRESSION} /
 *       {@code OTEL_EXPORTER_OTLP_COMPRESSION}; default none;</li>
 *   <li>{@code service-name}: the resource's {@code service.name}; {@code OTEL_SERVICE_NAME}; default
 *       {@code anima-vault}.</li>
 * </ul>
 * Only the {@code http/protobuf} protocol is offered: {@code OTEL_EXPORTER_OTLP_(LOGS_)PROTOCOL} set to
 * anything else stops startup rather than being ignored.
 */
public final class OtelAuditSinkFactory implements AuditSinkFactory {
    /** The factory name configuration uses ({@code audit: [{type: otel, ...}]}). */
    public static final String NAME = "otel";
    static final String ENDPOINT = "endpoint";
    static final String HEADERS = "headers";
    static final String TIMEOUT = "timeout";
    static final String COMPRESSION = "compression";
    static final String SERVICE_NAME = "service-name";
    static final String DEFAULT_ENDPOINT = "http://localhost:4318/v1/logs";

    private final Function<String, String> environment;

    public OtelAuditSinkFactory() {
        this(System::getenv);
    }

    /** For tests: the variables are read from {@code environment} instead of the process's. */
    OtelAuditSinkFactory(Function<String, String> environment) {
        this.environment = requireNonNull(environment, "environment is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Audit events as OpenTelemetry log records, exported over OTLP/HTTP (protobuf) to a collector";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(
                ConfigProperty.optional(ENDPOINT, Type.STRING, null,
                        "OTLP/HTTP logs URL; default OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT + "
                                + "/v1/logs, or " + DEFAULT_ENDPOINT),
                ConfigProperty.optional(HEADERS, Type.STRING, null,
                        "name=value,... sent with each export (e.g. an API key); default OTEL_EXPORTER_OTLP_(LOGS_)HEADERS")
                        .asSensitive(),
                ConfigProperty.optional(TIMEOUT, Type.DURATION, null,
                        "how long one export may take; default OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT or 10s"),
                ConfigProperty.optional(COMPRESSION, Type.STRING, null,
                        "none or gzip; default OTEL_EXPORTER_OTLP_(LOGS_)COMPRESSION or none"),
                ConfigProperty.optional(SERVICE_NAME, Type.STRING, null,
                        "the resource's service.name; default OTEL_SERVICE_NAME or anima-vault"));
    }

    @Override
    public AuditSink create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        for (String v : List.of("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")) {
            String protocol = env(v).orElse(null);
            if (protocol != null) {
                if (!protocol.equals("http/protobuf")) {
                    throw error(v + " is '" + protocol + "'; this sink speaks http/protobuf only");
                }
                break;
            }
        }
        URI endpoint = endpoint(config, context);
        Map<String, String> headers = headers(config);
        Duration timeout = timeout(config);
        String compression = setting(config, COMPRESSION, "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
                "OTEL_EXPORTER_OTLP_COMPRESSION").orElse("none").toLowerCase(Locale.ROOT);
        if (!compression.equals("none") && !compression.equals("gzip")) {
            throw error(COMPRESSION + " must be none or gzip");
        }
        String serviceName = setting(config, SERVICE_NAME, "OTEL_SERVICE_NAME", null).orElse("anima-vault");
        return new OtelAuditSink(new OtelAuditSink.Settings(endpoint, headers, timeout, compression, serviceName),
                context);
    }

    private URI endpoint(ProviderConfig config, PluginContext context) {
        Optional<String> configured = config.get(ENDPOINT).map(String::trim).filter(s -> !s.isEmpty());
        String url = configured
                .or(() -> env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"))
                .or(() -> env("OTEL_EXPORTER_OTLP_ENDPOINT").map(base ->
                        (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/logs"))
                .orElse(DEFAULT_ENDPOINT);
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw error(ENDPOINT + " is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
            throw error(ENDPOINT + " must be an http(s) URL with a host: " + redact(uri));
        }
        if (uri.getUserInfo() != null) {
            throw error(ENDPOINT + " must not carry credentials; use headers");
        }
        if (scheme.equals("http") && !context.egressAllowListed(uri.getHost())) {
            throw error(ENDPOINT + " " + redact(uri) + " is plain http to a host that is not in vault.egress.allow; "
                    + "use https, or allow-list the collector's host");
        }
        return uri;
    }

    private Map<String, String> headers(ProviderConfig config) {
        Optional<String> raw = setting(config, HEADERS, "OTEL_EXPORTER_OTLP_LOGS_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS");
        Map<String, String> headers = new LinkedHashMap<>();
        if (raw.isEmpty()) {
            return headers;
        }
        for (String pair : raw.get().split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw error(HEADERS + " must be name=value pairs separated by commas");
            }
            String name = pair.substring(0, eq).trim();
            if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw error(HEADERS + ": '" + name + "' is not a header name");
            }
            String value;
            try {
                value = URLDecoder.decode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw error(HEADERS + ": the value of '" + name + "' is not URL-encoded correctly");
            }
            headers.put(name, value);
        }
        return headers;
    }

    private Duration timeout(ProviderConfig config) {
        Duration timeout;
        if (config.get(TIMEOUT).filter(s -> !s.isBlank()).isPresent()) {
            timeout = config.getDuration(TIMEOUT, Duration.ofSeconds(10));
        } else {
            Optional<String> ms = env("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT").or(() -> env("OTEL_EXPORTER_OTLP_TIMEOUT"));
            try {
                timeout = ms.map(s -> Duration.ofMillis(Long.parseLong(s.trim()))).orElse(Duration.ofSeconds(10));
            } catch (NumberFormatException e) {
                throw error("OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT must be milliseconds");
            }
        }
        if (timeout.toMillis() < 100 || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
            throw error(TIMEOUT + " must be between 100ms and 5m");
        }
        return timeout;
    }

    private Optional<String> setting(ProviderConfig config, String key, String logsVariable, String variable) {
        return config.get(key).map(String::trim).filter(s -> !s.isEmpty())
                .or(() -> env(logsVariable))
                .or(() -> variable == null ? Optional.empty() : env(variable));
    }

    private Optional<String> env(String name) {
        return Optional.ofNullable(environment.apply(name)).map(String::trim).filter(s -> !s.isEmpty());
    }

    /** The URL without its query (which may carry a key). */
    static String redact(URI uri) {
        String s = uri.toString();
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q) + "?...";
    }

    private static VaultException error(String message) {
        return new VaultException(ErrorCode.CONFIGURATION, "audit sink 'otel': " + message);
    }

    @Override
    public String toString() {
        return "OtelAuditSinkFactory[" + NAME + "]";
    }
}
