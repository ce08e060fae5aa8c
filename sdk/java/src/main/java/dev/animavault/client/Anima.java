package dev.animavault.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * The client: {@code new Anima(apiKey)} or {@code Anima.builder()...build()}. Thread-safe; create one
 * per vault and share it. The base URL is the builder's, else {@code ANIMA_VAULT_ADDR}, else
 * {@code http://127.0.0.1:8200}; the API key is the constructor's, else {@code ANIMA_VAULT_TOKEN}.
 */
public final class Anima {
    /** Where a vault listens unless told otherwise. */
    public static final String DEFAULT_BASE_URL = "http://127.0.0.1:8200";

    private final Transport transport;
    private final Identities identities;
    private final Vault vault;
    private final Sys sys;
    private final Auth auth;

    /** A client of the vault at {@code ANIMA_VAULT_ADDR} (or the default) with this API key or token. */
    public Anima(String apiKey) {
        this(builder().apiKey(apiKey));
    }

    private Anima(Builder b) {
        String key = b.apiKey != null ? b.apiKey : env("ANIMA_VAULT_TOKEN");
        if (key != null) {
            key = key.trim();
        }
        if (b.requireApiKey && (key == null || key.isEmpty())) {
            throw new IllegalArgumentException("no API key: pass one to new Anima(apiKey) or set ANIMA_VAULT_TOKEN");
        }
        String base = b.baseUrl != null ? b.baseUrl : env("ANIMA_VAULT_ADDR");
        URI baseUri = URI.create((base == null ? DEFAULT_BASE_URL : base).replaceAll("/+$", ""));
        if (!"http".equals(baseUri.getScheme()) && !"https".equals(baseUri.getScheme())) {
            throw new IllegalArgumentException("base URL must be http:// or https://, not " + baseUri);
        }
        HttpClient http = b.httpClient;
        if (http == null) {
            HttpClient.Builder hb = HttpClient.newBuilder()
                    .connectTimeout(b.connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER);
            if (b.sslContext != null) {
                hb.sslContext(b.sslContext);
            }
            http = hb.build();
        }
        this.transport = new Transport(http, baseUri, key == null || key.isEmpty() ? null : key, b.timeout,
                b.maxRetries, b.retryBaseDelay, b.maxRetryDelay, b.requestIds);
        this.identities = new Identities(transport);
        this.vault = new Vault(transport);
        this.sys = new Sys(transport);
        this.auth = new Auth(transport);
    }

    /** A builder: base URL, timeouts, TLS trust, retries. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code /v1/identities} and their tokens. */
    public Identities identities() {
        return identities;
    }

    /** {@code /v1/vault}: secrets and the audit log. */
    public Vault vault() {
        return vault;
    }

    /** {@code /v1/auth}: an admin's login (password, then a TOTP or recovery code). */
    public Auth auth() {
        return auth;
    }

    /** {@code /v1/sys}: health. */
    public Sys sys() {
        return sys;
    }

    /** The vault address in use. */
    public URI baseUri() {
        return transport.baseUri();
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : v;
    }

    /** Configures an {@link Anima}. Not thread-safe; {@link #build()} copies what it needs. */
    public static final class Builder {
        private String apiKey;
        private boolean requireApiKey = true;
        private String baseUrl;
        private Duration timeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private SSLContext sslContext;
        private HttpClient httpClient;
        private int maxRetries = 2;
        private Duration retryBaseDelay = Duration.ofMillis(250);
        private Duration maxRetryDelay = Duration.ofSeconds(30);
        private java.util.function.Supplier<String> requestIds;

        private Builder() {
        }

        /** An organization API key ({@code avk_...}) or identity token ({@code avt_...}); default {@code ANIMA_VAULT_TOKEN}. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** Allows a client without a key, for the unauthenticated calls ({@link Sys#health()}). */
        public Builder withoutApiKey() {
            this.requireApiKey = false;
            return this;
        }

        /** e.g. {@code https://vault.example.internal:8200}; default {@code ANIMA_VAULT_ADDR} or {@value Anima#DEFAULT_BASE_URL}. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl is null");
            return this;
        }

        /** Time allowed for each attempt's response (default 30 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = positive(timeout, "timeout");
            return this;
        }

        /** Time allowed to connect (default 10 s). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /** TLS trust and client certificates, e.g. an SSLContext trusting your own CA. */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = Objects.requireNonNull(sslContext, "sslContext is null");
            return this;
        }

        /** Use this HTTP client (its own timeouts, TLS and proxy); {@link #sslContext} and {@link #connectTimeout} are then ignored. */
        public Builder httpClient(HttpClient httpClient) {
            this.httpClient = Objects.requireNonNull(httpClient, "httpClient is null");
            return this;
        }

        /** Retries of an idempotent call after 429/503 (default 2; 0 = none). */
        public Builder maxRetries(int maxRetries) {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries cannot be negative");
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /** First backoff delay, doubled per retry with jitter (default 250 ms); a server's Retry-After wins. */
        public Builder retryBaseDelay(Duration delay) {
            this.retryBaseDelay = Objects.requireNonNull(delay, "delay is null");
            return this;
        }

        /** Upper bound of one wait, Retry-After included (default 30 s). */
        public Builder maxRetryDelay(Duration delay) {
            this.maxRetryDelay = Objects.requireNonNull(delay, "delay is null");
            return this;
        }

        /**
         * Sends {@code X-Request-Id: <supplier.get()>} with every request (1-64 of {@code [A-Za-z0-9._-]}; the
         * vault makes its own otherwise). Audit events record it, so a caller can recognise its own calls.
         * Called once per call, from the calling thread; the call's retries send the same id.
         */
        public Builder requestIds(java.util.function.Supplier<String> supplier) {
            this.requestIds = Objects.requireNonNull(supplier, "supplier is null");
            return this;
        }

        public Anima build() {
            return new Anima(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name + " is null");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return d;
        }
    }
}
