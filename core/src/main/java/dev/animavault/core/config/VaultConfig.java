package dev.animavault.core.config;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole configuration of one vault node, validated once and immutable. Built from the YAML file
 * and the {@code ANIMA_VAULT_*} environment by {@link VaultConfigLoader}, or directly by tests.
 *
 * @param host              address the HTTP server binds
 * @param port              HTTP port; 0 picks a free one
 * @param maxConnections    most TCP connections served at once; more wait in the kernel's accept queue
 * @param dataDir           the data directory (absolute)
 * @param pluginsDir        where plugin zips are (absolute, writable)
 * @param rootKeyFile       the root key file (absolute)
 * @param storage           the storage backend
 * @param audit             the audit sinks (at least one)
 * @param credentialTypes   the enabled credential types with their configuration (plain ids in YAML
 *                          are types with an empty configuration)
 * @param egressAllow       hosts or CIDRs outbound calls may reach despite being private
 * @param tokenCacheTtl     how long a verified token stays cached (revocation delay on other nodes)
 * @param maxValueBytes     the largest secret value accepted by any type
 * @param maxBodyBytes      the largest request body accepted
 * @param auditTimeout      how long a request waits for its audit event to be recorded
 * @param bootstrapToken    owner API key to initialize an empty store with, if set
 * @param bootstrapOrgId    organization id to create when bootstrapping
 * @param maxTokenTtl       the longest {@code ttl} an identity token may be issued with
 * @param defaultCredentialType the type a secret created without {@code type} gets; empty = the first
 *                          enabled type ({@code vault.default-credential-type})
 * @param rotation          the rotation engine's settings ({@code vault.rotation})
 * @param trustedProxies    reverse proxies whose {@code X-Forwarded-For} is believed
 *                          ({@code server.trusted-proxies}); none by default
 * @param admin             human admin accounts: MFA, sessions, Argon2id, throttling ({@code vault.admin})
 * @param keyring           the keyring's rotation and re-encryption settings ({@code vault.keyring})
 * @param rootKey           the root key provider ({@code vault.root-key.type}, default {@code file} at
 *                          {@code rootKeyFile}) and its configuration ({@code vault.root-key.config})
 */
public record VaultConfig(String host, int port, int maxConnections, Path dataDir, Path pluginsDir, Path rootKeyFile,
                          ProviderSpec storage, List<ProviderSpec> audit, List<ProviderSpec> credentialTypes,
                          List<String> egressAllow, Duration tokenCacheTtl, int maxValueBytes, int maxBodyBytes,
                          Duration auditTimeout, Optional<String> bootstrapToken, String bootstrapOrgId,
                          Duration maxTokenTtl, Optional<String> defaultCredentialType, RotationConfig rotation,
                          TrustedProxies trustedProxies, AdminConfig admin, KeyringConfig keyring,
                          ProviderSpec rootKey) {

    /** As the canonical constructor, trusting no proxy. */
    public VaultConfig(String host, int port, int maxConnections, Path dataDir, Path pluginsDir, Path rootKeyFile,
                       ProviderSpec storage, List<ProviderSpec> audit, List<ProviderSpec> credentialTypes,
                       List<String> egressAllow, Duration tokenCacheTtl, int maxValueBytes, int maxBodyBytes,
                       Duration auditTimeout, Optional<String> bootstrapToken, String bootstrapOrgId,
                       Duration maxTokenTtl, Optional<String> defaultCredentialType, RotationConfig rotation) {
        this(host, port, maxConnections, dataDir, pluginsDir, rootKeyFile, storage, audit, credentialTypes, egressAllow,
                tokenCacheTtl, maxValueBytes, maxBodyBytes, auditTimeout, bootstrapToken, bootstrapOrgId, maxTokenTtl,
                defaultCredentialType, rotation, TrustedProxies.NONE, AdminConfig.DEFAULTS,
                KeyringConfig.DEFAULTS, ProviderSpec.of("file"));
    }

    /** Default largest secret value: 64 KiB. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
    /** Default longest identity token ttl: 365 days. */
    public static final Duration DEFAULT_MAX_TOKEN_TTL = Duration.ofDays(365);
    /** Default most concurrent TCP connections ({@code server.max-connections}). */
    public static final int DEFAULT_MAX_CONNECTIONS = 1000;
    /** Minimum length of a bootstrap token. */
    public static final int MIN_BOOTSTRAP_TOKEN_LENGTH = 32;

    public VaultConfig {
        Objects.requireNonNull(host, "host is null");
        if (port < 0 || port > 65535) {
            throw configError("server.port must be between 0 and 65535");
        }
        if (maxConnections < 1 || maxConnections > 1_000_000) {
            throw configError("server.max-connections must be between 1 and 1000000");
        }
        dataDir = dataDir.toAbsolutePath().normalize();
        pluginsDir = pluginsDir.toAbsolutePath().normalize();
        rootKeyFile = rootKeyFile.toAbsolutePath().normalize();
        rootKey = rootKey == null ? ProviderSpec.of("file") : rootKey;
        Objects.requireNonNull(storage, "storage is null");
        audit = List.copyOf(audit);
        if (audit.isEmpty()) {
            throw configError("vault.audit must name at least one audit sink (the vault fails closed without one)");
        }
        credentialTypes = List.copyOf(credentialTypes);
        if (credentialTypes.isEmpty()) {
            throw configError("vault.credential-types must enable at least one credential type");
        }
        java.util.Set<String> seenTypes = new java.util.HashSet<>();
        for (ProviderSpec t : credentialTypes) {
            if (!seenTypes.add(t.type())) {
                throw configError("vault.credential-types names type '" + t.type() + "' twice");
            }
        }
        egressAllow = List.copyOf(egressAllow);
        Objects.requireNonNull(tokenCacheTtl, "tokenCacheTtl is null");
        if (maxValueBytes < 1 || maxValueBytes > 1024 * 1024) {
            throw configError("vault.limits.max-value-bytes must be between 1 and 1048576");
        }
        if (maxBodyBytes < maxValueBytes) {
            throw configError("vault.limits.max-body-bytes cannot be less than max-value-bytes");
        }
        Objects.requireNonNull(auditTimeout, "auditTimeout is null");
        if (auditTimeout.compareTo(Duration.ofMillis(1)) < 0 || auditTimeout.compareTo(Duration.ofHours(1)) > 0) {
            throw configError("vault.limits.audit-timeout must be between 1ms and 1h");
        }
        Objects.requireNonNull(bootstrapToken, "bootstrapToken is null");
        bootstrapToken.ifPresent(t -> {
            if (t.length() < MIN_BOOTSTRAP_TOKEN_LENGTH) {
                throw configError("ANIMA_VAULT_BOOTSTRAP_TOKEN must be at least " + MIN_BOOTSTRAP_TOKEN_LENGTH
                        + " characters");
            }
        });
        Objects.requireNonNull(bootstrapOrgId, "bootstrapOrgId is null");
        Objects.requireNonNull(maxTokenTtl, "maxTokenTtl is null");
        if (maxTokenTtl.compareTo(Duration.ofMinutes(1)) < 0 || maxTokenTtl.compareTo(Duration.ofDays(36500)) > 0) {
            throw configError("vault.auth.max-token-ttl must be between 1m and 36500d");
        }
        Objects.requireNonNull(defaultCredentialType, "defaultCredentialType is null");
        List<String> enabled = credentialTypes.stream().map(ProviderSpec::type).toList(); // fields unset here
        defaultCredentialType.ifPresent(t -> {
            if (!enabled.contains(t)) {
                throw configError("vault.default-credential-type '" + t + "' is not in vault.credential-types "
                        + enabled);
            }
        });
        Objects.requireNonNull(rotation, "rotation is null");
        Objects.requireNonNull(trustedProxies, "trustedProxies is null");
        Objects.requireNonNull(admin, "admin is null");
        Objects.requireNonNull(keyring, "keyring is null");
    }

    /** The credential type of a secret created without one. */
    public String effectiveDefaultCredentialType() {
        return defaultCredentialType.orElse(credentialTypeIds().get(0));
    }

    /** The enabled credential type ids, in configuration order. */
    public List<String> credentialTypeIds() {
        return credentialTypes.stream().map(ProviderSpec::type).toList();
    }

    /** A configuration error for startup. */
    static VaultException configError(String message) {
        return new VaultException(ErrorCode.CONFIGURATION, message);
    }

    /** A builder with the embedded defaults, rooted at a data directory (tests and tools). */
    public static Builder builder(Path dataDir, Path pluginsDir) {
        return new Builder(dataDir, pluginsDir);
    }

    @Override
    public String toString() {
        return "VaultConfig[host=" + host + ", port=" + port + ", maxConnections=" + maxConnections + ", dataDir=" + dataDir + ", pluginsDir=" + pluginsDir
                + ", storage=" + storage.type() + ", audit=" + audit.stream().map(ProviderSpec::type).toList()
                + ", credentialTypes=" + credentialTypeIds() + ", bootstrapToken="
                + (bootstrapToken.isPresent() ? "<masked>" : "none") + "]";
    }

    /** Fluent builder; defaults match {@code config/anima-vault.yaml}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8200;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private final Path dataDir;
        private final Path pluginsDir;
        private Path rootKeyFile;
        private ProviderSpec storage = ProviderSpec.of("jdbc");
        private List<ProviderSpec> audit = List.of(new ProviderSpec("file", java.util.Map.of("path", "audit/audit.jsonl")));
        private List<ProviderSpec> credentialTypes = List.of(ProviderSpec.of("api_key"));
        private List<String> egressAllow = List.of();
        private Duration tokenCacheTtl = Duration.ofSeconds(30);
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private int maxBodyBytes = 1024 * 1024;
        private Duration auditTimeout = Duration.ofSeconds(10);
        private Optional<String> bootstrapToken = Optional.empty();
        private String bootstrapOrgId = "default";
        private Duration maxTokenTtl = DEFAULT_MAX_TOKEN_TTL;
        private Optional<String> defaultCredentialType = Optional.empty();
        private RotationConfig rotation = RotationConfig.DEFAULTS;
        private TrustedProxies trustedProxies = TrustedProxies.NONE;
        private AdminConfig admin = AdminConfig.DEFAULTS;
        private KeyringConfig keyring = KeyringConfig.DEFAULTS;
        private ProviderSpec rootKey = ProviderSpec.of("file");

        private Builder(Path dataDir, Path pluginsDir) {
            this.dataDir = dataDir;
            this.pluginsDir = pluginsDir;
        }

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder rootKeyFile(Path v) { rootKeyFile = v; return this; }
        public Builder storage(ProviderSpec v) { storage = v; return this; }
        public Builder audit(List<ProviderSpec> v) { audit = v; return this; }
        public Builder credentialTypes(List<String> v) { credentialTypes = v.stream().map(ProviderSpec::of).toList(); return this; }
        public Builder credentialTypeSpecs(List<ProviderSpec> v) { credentialTypes = v; return this; }
        public Builder egressAllow(List<String> v) { egressAllow = v; return this; }
        public Builder tokenCacheTtl(Duration v) { tokenCacheTtl = v; return this; }
        public Builder maxValueBytes(int v) { maxValueBytes = v; return this; }
        public Builder maxBodyBytes(int v) { maxBodyBytes = v; return this; }
        public Builder auditTimeout(Duration v) { auditTimeout = v; return this; }
        public Builder bootstrapToken(String v) { bootstrapToken = Optional.ofNullable(v); return this; }
        public Builder bootstrapOrgId(String v) { bootstrapOrgId = v; return this; }
        public Builder maxTokenTtl(Duration v) { maxTokenTtl = v; return this; }
        public Builder defaultCredentialType(String v) { defaultCredentialType = Optional.ofNullable(v); return this; }
        public Builder rotation(RotationConfig v) { rotation = v; return this; }
        public Builder trustedProxies(List<String> v) { trustedProxies = TrustedProxies.of(v); return this; }
        public Builder admin(AdminConfig v) { admin = v; return this; }
        public Builder keyring(KeyringConfig v) { keyring = v; return this; }
        public Builder rootKey(ProviderSpec v) { rootKey = v; return this; }

        public VaultConfig build() {
            Path key = rootKeyFile != null ? rootKeyFile : dataDir.resolve("root.key");
            return new VaultConfig(host, port, maxConnections, dataDir, pluginsDir, key, storage, audit, credentialTypes,
                    egressAllow, tokenCacheTtl, maxValueBytes, maxBodyBytes, auditTimeout, bootstrapToken, bootstrapOrgId,
                    maxTokenTtl, defaultCredentialType, rotation, trustedProxies, admin, keyring,
                    rootKey);
        }
    }
}
