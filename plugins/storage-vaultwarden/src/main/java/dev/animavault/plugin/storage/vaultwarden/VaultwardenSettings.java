package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ConfigProperty.Type;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The validated configuration of the {@code vaultwarden} backend. Sensitive values (master password,
 * client secret) never appear in {@link #toString()} or in error messages.
 *
 * @param url               the server's base URL (without {@code /api} or {@code /identity})
 * @param email             the service account's email (the default KDF salt)
 * @param masterPassword    the service account's master password (unlocks its keys)
 * @param clientId          the account's API key client id ({@code user.<uuid>})
 * @param clientSecret      the account's API key secret
 * @param organizationId    the Vaultwarden organization that holds everything
 * @param caCertificate     a PEM file of CA certificates to trust instead of the JDK's, if any
 * @param syncInterval      how stale listings may be before the revision date is polled again
 * @param requestTimeout    timeout of one HTTP request
 * @param deviceIdentifier  this deployment's device identifier, if configured
 */
record VaultwardenSettings(URI url, String email, char[] masterPassword, String clientId, String clientSecret,
                           String organizationId, Optional<Path> caCertificate, Duration syncInterval,
                           Duration requestTimeout, Optional<String> deviceIdentifier) {
    static final String URL = "url";
    static final String EMAIL = "email";
    static final String MASTER_PASSWORD = "master-password";
    static final String CLIENT_ID = "client-id";
    static final String CLIENT_SECRET = "client-secret";
    static final String ORGANIZATION_ID = "organization-id";
    static final String CA_CERTIFICATE = "ca-certificate";
    static final String SYNC_INTERVAL = "sync-interval";
    static final String REQUEST_TIMEOUT = "request-timeout";
    static final String DEVICE_IDENTIFIER = "device-identifier";
    static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofSeconds(30);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    static final String DEVICE_ID_FILE = "vaultwarden-device-id";

    VaultwardenSettings {
        Objects.requireNonNull(url, "url is null");
        Objects.requireNonNull(email, "email is null");
        Objects.requireNonNull(masterPassword, "masterPassword is null");
        Objects.requireNonNull(clientId, "clientId is null");
        Objects.requireNonNull(clientSecret, "clientSecret is null");
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(caCertificate, "caCertificate is null");
        Objects.requireNonNull(syncInterval, "syncInterval is null");
        Objects.requireNonNull(requestTimeout, "requestTimeout is null");
        Objects.requireNonNull(deviceIdentifier, "deviceIdentifier is null");
    }

    /** The properties the factory declares. */
    static List<ConfigProperty> properties() {
        return List.of(
                ConfigProperty.required(URL, Type.STRING,
                        "Vaultwarden base URL, e.g. https://vault.example.com (https; http only for loopback)"),
                ConfigProperty.required(EMAIL, Type.STRING, "Email of the Vaultwarden service account"),
                ConfigProperty.required(MASTER_PASSWORD, Type.STRING,
                        "Master password of the service account (decrypts its keys; never sent)").asSensitive(),
                ConfigProperty.required(CLIENT_ID, Type.STRING,
                        "API key client_id of the service account (user.<uuid>, Account settings > Security > Keys)"),
                ConfigProperty.required(CLIENT_SECRET, Type.STRING,
                        "API key client_secret of the service account").asSensitive(),
                ConfigProperty.required(ORGANIZATION_ID, Type.STRING,
                        "Id of the Vaultwarden organization holding agents' collections (the account must be a confirmed owner or admin)"),
                ConfigProperty.optional(CA_CERTIFICATE, Type.PATH, null,
                        "PEM file with the CA certificate(s) to trust for the server's TLS certificate (self-hosted CAs); relative to the data directory"),
                ConfigProperty.optional(SYNC_INTERVAL, Type.DURATION, "30s",
                        "Listings may be this stale: after it, the account revision date is polled and a full sync follows a change. Point reads always re-read the item"),
                ConfigProperty.optional(REQUEST_TIMEOUT, Type.DURATION, "10s", "Timeout of one HTTP request to Vaultwarden"),
                ConfigProperty.optional(DEVICE_IDENTIFIER, Type.STRING, null,
                        "Device identifier to log in with; generated once and kept in the data directory ("
                                + DEVICE_ID_FILE + ") when not set"));
    }

    /** Reads and validates the configuration. */
    static VaultwardenSettings from(ProviderConfig config, Path dataDirectory) {
        Objects.requireNonNull(config, "config is null");
        Objects.requireNonNull(dataDirectory, "dataDirectory is null");
        String rawUrl = config.require(URL).trim();
        while (rawUrl.endsWith("/")) {
            rawUrl = rawUrl.substring(0, rawUrl.length() - 1);
        }
        URI url;
        try {
            url = new URI(rawUrl);
        } catch (URISyntaxException e) {
            throw configError(URL, "is not a valid URL");
        }
        if (url.getHost() == null || url.getQuery() != null || url.getFragment() != null) {
            throw configError(URL, "must be a base URL such as https://vault.example.com");
        }
        if (!"https".equalsIgnoreCase(url.getScheme())
                && !("http".equalsIgnoreCase(url.getScheme()) && isLoopback(url.getHost()))) {
            throw configError(URL, "must use https (http is accepted only for loopback addresses)");
        }
        Duration sync = config.getDuration(SYNC_INTERVAL, DEFAULT_SYNC_INTERVAL);
        Duration timeout = config.getDuration(REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
        if (timeout.isZero()) {
            throw configError(REQUEST_TIMEOUT, "must be positive");
        }
        Optional<Path> ca = config.getPath(CA_CERTIFICATE).map(dataDirectory::resolve);
        return new VaultwardenSettings(url, config.require(EMAIL).trim(), config.require(MASTER_PASSWORD).toCharArray(),
                config.require(CLIENT_ID).trim(), config.require(CLIENT_SECRET), config.require(ORGANIZATION_ID).trim(),
                ca, sync, timeout, config.get(DEVICE_IDENTIFIER).map(String::trim).filter(s -> !s.isEmpty()));
    }

    /** The configured device identifier, or the one persisted in the data directory (created once). */
    String resolveDeviceIdentifier(Path dataDirectory) {
        if (deviceIdentifier.isPresent()) {
            return deviceIdentifier.get();
        }
        Path file = dataDirectory.resolve(DEVICE_ID_FILE);
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            String id = UUID.randomUUID().toString();
            Path tmp = dataDirectory.resolve(DEVICE_ID_FILE + ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return id;
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot keep the Vaultwarden device identifier in "
                    + file + " (set '" + DEVICE_IDENTIFIER + "' instead): " + e.getMessage(), e);
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return "localhost".equalsIgnoreCase(host) || InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static VaultException configError(String key, String what) {
        return new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + key
                + "' of storage backend 'vaultwarden' " + what);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "VaultwardenSettings[url=" + url + ", email=" + email + ", masterPassword=<masked>, clientId="
                + clientId + ", clientSecret=<masked>, organizationId=" + organizationId + ", caCertificate="
                + caCertificate + ", syncInterval=" + syncInterval + ", requestTimeout=" + requestTimeout + "]";
    }
}
