package dev.animavault.core.config;

import dev.animavault.core.config.ConfigTree.ConfigTreeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@link VaultConfig} from the YAML file (as a {@link ConfigTree}) and the environment. Environment variables win over the
 * file: {@code ANIMA_VAULT_CONFIG} (the file), {@code ANIMA_VAULT_HTTP_HOST}, {@code ANIMA_VAULT_HTTP_PORT},
 * {@code ANIMA_VAULT_HTTP_MAX_CONNECTIONS}, {@code ANIMA_VAULT_HTTP_TRUSTED_PROXIES} (comma-separated),
 * {@code ANIMA_VAULT_DATA_DIR}, {@code ANIMA_VAULT_PLUGINS_DIR}, {@code ANIMA_VAULT_BOOTSTRAP_TOKEN}.
 * Relative directories resolve against {@code ANIMA_VAULT_HOME} (set by the launcher) or else the
 * working directory; the root key file resolves against the data directory. Provider configuration
 * values may refer to environment variables as {@code ${env:NAME}}.
 */
public final class VaultConfigLoader {
    private static final Set<String> VAULT_KEYS = Set.of("data-dir", "plugins-dir", "root-key", "storage", "audit",
            "credential-types", "egress", "auth", "limits", "bootstrap", "default-credential-type", "rotation", "admin",
            "keyring");

    private static final Pattern ENV_REF = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private final Map<String, String> env;

    /** A loader reading the given environment (tests pass their own map). */
    public VaultConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** Where the configuration file is: {@code ANIMA_VAULT_CONFIG}, else {@code <home>/config/anima-vault.yaml}. */
    public Path configFile() {
        String explicit = env.get("ANIMA_VAULT_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath();
        }
        return home().resolve("config").resolve("anima-vault.yaml");
    }

    private Path home() {
        String home = env.get("ANIMA_VAULT_HOME");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath();
    }

    /** Loads and validates; throws {@code VaultException(CONFIGURATION)} with a message naming the key. */
    public VaultConfig load() {
        Path file = configFile();
        ConfigTree root;
        if (Files.isRegularFile(file)) {
            try {
                root = ConfigTree.read(file);
            } catch (ConfigTreeException e) {
                throw VaultConfig.configError("cannot read configuration file " + file + ": " + e.getMessage());
            }
        } else if (env.containsKey("ANIMA_VAULT_CONFIG")) {
            throw VaultConfig.configError("configuration file " + file + " (ANIMA_VAULT_CONFIG) does not exist");
        } else {
            root = ConfigTree.empty();
        }
        try {
            return fromConfig(root);
        } catch (ConfigTreeException e) {
            throw VaultConfig.configError("invalid configuration in " + file + ": " + e.getMessage());
        }
    }

    private VaultConfig fromConfig(ConfigTree root) {
        ConfigTree vault = root.get("vault");
        for (String key : vault.asMap().orElse(Map.of()).keySet()) {
            String top = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (!VAULT_KEYS.contains(top)) {
                throw VaultConfig.configError("unknown configuration key 'vault." + top + "'; known keys: "
                        + new java.util.TreeSet<>(VAULT_KEYS));
            }
        }
        String host = envOr("ANIMA_VAULT_HTTP_HOST", root.get("server.host").asString().orElse("127.0.0.1"));
        int port = parsePort(envOr("ANIMA_VAULT_HTTP_PORT", root.get("server.port").asString().orElse("8200")));
        int maxConnections = parseInt(envOr("ANIMA_VAULT_HTTP_MAX_CONNECTIONS", root.get("server.max-connections")
                .asString().orElse(String.valueOf(VaultConfig.DEFAULT_MAX_CONNECTIONS))), "server.max-connections");
        Path dataDir = home().resolve(envOr("ANIMA_VAULT_DATA_DIR", vault.get("data-dir").asString().orElse("data")));
        Path pluginsDir = home().resolve(envOr("ANIMA_VAULT_PLUGINS_DIR",
                vault.get("plugins-dir").asString().orElse("plugins")));
        Path rootKey = dataDir.resolve(vault.get("root-key.file").asString().orElse("root.key"));
        ProviderSpec rootKeySpec = rootKey(vault.get("root-key"));

        // Absent sections take the embedded defaults: SQLite storage, audit to a file.
        ProviderSpec storage = vault.get("storage").exists() ? provider(vault.get("storage"), "vault.storage")
                : ProviderSpec.of("jdbc");
        List<ProviderSpec> audit = new ArrayList<>();
        List<ConfigTree> auditNodes = vault.get("audit").asNodeList().orElse(List.of());
        for (int i = 0; i < auditNodes.size(); i++) {
            audit.add(provider(auditNodes.get(i), "vault.audit[" + i + "]"));
        }
        if (!vault.get("audit").exists()) {
            audit.add(ProviderSpec.of("file"));
        }
        List<ProviderSpec> types = credentialTypes(vault.get("credential-types"));
        List<String> egress = vault.get("egress.allow").asStringList().orElse(List.of());
        Duration tokenTtl = duration(vault.get("auth.token-cache-ttl"), Duration.ofSeconds(30));
        Duration maxTokenTtl = duration(vault.get("auth.max-token-ttl"), VaultConfig.DEFAULT_MAX_TOKEN_TTL);
        int maxValue = vault.get("limits.max-value-bytes").asInt().orElse(VaultConfig.DEFAULT_MAX_VALUE_BYTES);
        int maxBody = vault.get("limits.max-body-bytes").asInt().orElse(1024 * 1024);
        Duration auditTimeout = duration(vault.get("limits.audit-timeout"), Duration.ofSeconds(10));
        String bootstrapToken = env.get("ANIMA_VAULT_BOOTSTRAP_TOKEN");
        if (bootstrapToken != null && bootstrapToken.isBlank()) {
            bootstrapToken = null;
        }
        String bootstrapOrg = envOr("ANIMA_VAULT_BOOTSTRAP_ORG", vault.get("bootstrap.organization-id").asString()
                .orElse("default"));
        return new VaultConfig(host, port, maxConnections, dataDir, pluginsDir, rootKey, storage, audit, types, egress,
                tokenTtl, maxValue, maxBody, auditTimeout, java.util.Optional.ofNullable(bootstrapToken), bootstrapOrg,
                maxTokenTtl, vault.get("default-credential-type").asString().map(String::trim),
                rotation(vault.get("rotation")), trustedProxies(root), admin(vault.get("admin")),
                keyring(vault.get("keyring")), rootKeySpec);
    }

    /** {@code server.trusted-proxies} (a list), or {@code ANIMA_VAULT_HTTP_TRUSTED_PROXIES} (comma-separated). */
    private TrustedProxies trustedProxies(ConfigTree root) {
        String fromEnv = env.get("ANIMA_VAULT_HTTP_TRUSTED_PROXIES");
        List<String> entries = fromEnv != null
                ? java.util.Arrays.stream(fromEnv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()
                : root.get("server.trusted-proxies").asStringList().orElse(List.of());
        return TrustedProxies.of(entries);
    }

    /**
     * Replaces {@code ${env:NAME}} with the environment variable NAME, so credentials for plugins need
     * not be written into the file. A missing variable stops startup, naming it (never its value).
     */
    String resolveEnv(String value, String where) {
        Matcher m = ENV_REF.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            if (v == null) {
                throw VaultConfig.configError(where + " refers to environment variable " + m.group(1)
                        + ", which is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    // vault.root-key: {type (default file; env ANIMA_VAULT_ROOT_KEY_TYPE), file (the file provider's path,
    // as before), config: {...}}
    private ProviderSpec rootKey(ConfigTree node) {
        for (ConfigTree child : node.asNodeList().orElse(List.of())) {
            String top = child.name();
            if (!top.equals("type") && !top.equals("config") && !top.equals("file")) {
                throw VaultConfig.configError("unknown key 'vault.root-key." + top + "' (use type, file and config)");
            }
        }
        String type = envOr("ANIMA_VAULT_ROOT_KEY_TYPE", node.get("type").asString().orElse("file")).trim();
        Map<String, String> values = new LinkedHashMap<>();
        ConfigTree cfg = node.get("config");
        if (cfg.exists()) {
            cfg.asMap().orElse(Map.of()).forEach((k, v) -> values.put(k, resolveEnv(v,
                    "vault.root-key.config." + k)));
        }
        return new ProviderSpec(type, values);
    }

    private ProviderSpec provider(ConfigTree node, String where) {
        java.util.Optional<String> type = node.get("type").asString();
        if (!type.isPresent() || type.get().isBlank()) {
            throw VaultConfig.configError(where + ".type is required");
        }
        Map<String, String> values = new LinkedHashMap<>();
        ConfigTree cfg = node.get("config");
        if (cfg.exists()) {
            cfg.asMap().orElse(Map.of()).forEach((k, v) -> values.put(k, resolveEnv(v, where + ".config." + k)));
        }
        // the children, not the flattened leaves: an empty mistyped block ({confg: {}}) has no leaves
        for (ConfigTree child : node.asNodeList().orElse(List.of())) {
            String top = child.name();
            if (!top.equals("type") && !top.equals("config")) {
                throw VaultConfig.configError("unknown key '" + where + "." + top + "' (use type and config)");
            }
        }
        return new ProviderSpec(type.get().trim(), values);
    }

    private static final Set<String> ADMIN_KEYS = Set.of("mfa-required", "session-idle-timeout", "session-max-age",
            "sensitive-mfa-max-age", "challenge-ttl", "argon2", "max-concurrent-hashes", "hash-queue-wait",
            "hash-cpu-share", "account-failures-before-delay", "address-failures-before-delay", "max-lockout", "mfa-lock-threshold",
            "mfa-lock-duration", "hash-threads-low-priority");

    /** {@code vault.admin}: human admin accounts (issue 13); absent keys take {@link AdminConfig#DEFAULTS}. */
    private static AdminConfig admin(ConfigTree node) {
        for (String key : node.asMap().orElse(Map.of()).keySet()) {
            String top = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (!ADMIN_KEYS.contains(top) || (top.equals("argon2") && !Set.of("argon2.memory-kib",
                    "argon2.iterations", "argon2.parallelism").contains(key))) {
                throw VaultConfig.configError("unknown configuration key 'vault.admin." + key + "'; known keys: "
                        + new java.util.TreeSet<>(ADMIN_KEYS) + " (argon2: memory-kib, iterations, parallelism)");
            }
        }
        AdminConfig d = AdminConfig.DEFAULTS;
        return new AdminConfig(node.get("mfa-required").asBoolean().orElse(d.mfaRequired()),
                duration(node.get("session-idle-timeout"), d.sessionIdle()),
                duration(node.get("session-max-age"), d.sessionMaxAge()),
                duration(node.get("sensitive-mfa-max-age"), d.mfaFreshness()),
                duration(node.get("challenge-ttl"), d.challengeTtl()),
                node.get("argon2.memory-kib").asInt().orElse(d.argon2MemoryKib()),
                node.get("argon2.iterations").asInt().orElse(d.argon2Iterations()),
                node.get("argon2.parallelism").asInt().orElse(d.argon2Parallelism()),
                node.get("max-concurrent-hashes").asInt().orElse(d.maxConcurrentHashes()),
                duration(node.get("hash-queue-wait"), d.hashQueueWait()),
                node.get("hash-cpu-share").asDouble().orElse(d.hashCpuShare()),
                node.get("account-failures-before-delay").asInt().orElse(d.accountFailuresBeforeDelay()),
                node.get("address-failures-before-delay").asInt().orElse(d.addressFailuresBeforeDelay()),
                duration(node.get("max-lockout"), d.maxLockout()),
                node.get("mfa-lock-threshold").asInt().orElse(d.mfaFailuresToLock()),
                duration(node.get("mfa-lock-duration"), d.mfaLockDuration()),
                node.get("hash-threads-low-priority").asBoolean().orElse(d.hashThreadsLowPriority()));
    }

    private static final Set<String> ROTATION_KEYS = Set.of("enabled", "poll-interval", "min-interval",
            "retry-schedule", "webhook-timeout", "default-grace-period", "expiring-webhook-url", "expiring-lead-time");

    private static RotationConfig rotation(ConfigTree node) {
        for (String key : node.asMap().orElse(Map.of()).keySet()) {
            String top = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (!ROTATION_KEYS.contains(top)) {
                throw VaultConfig.configError("unknown configuration key 'vault.rotation." + top + "'; known keys: "
                        + new java.util.TreeSet<>(ROTATION_KEYS));
            }
        }
        RotationConfig d = RotationConfig.DEFAULTS;
        List<Duration> retries = d.retrySchedule();
        if (node.get("retry-schedule").exists()) {
            retries = new ArrayList<>();
            for (String s : node.get("retry-schedule").asStringList().orElse(List.of())) {
                try {
                    retries.add(dev.animavault.spi.Durations.parse(s));
                } catch (IllegalArgumentException e) {
                    throw VaultConfig.configError("'vault.rotation.retry-schedule' " + e.getMessage());
                }
            }
        }
        return new RotationConfig(node.get("enabled").asBoolean().orElse(d.enabled()),
                duration(node.get("poll-interval"), d.pollInterval()), duration(node.get("min-interval"), d.minInterval()),
                retries, duration(node.get("webhook-timeout"), d.webhookTimeout()),
                duration(node.get("default-grace-period"), d.defaultGracePeriod()),
                node.get("expiring-webhook-url").asString().map(u -> {
                    try {
                        return new java.net.URI(u);
                    } catch (java.net.URISyntaxException e) {
                        throw VaultConfig.configError("vault.rotation.expiring-webhook-url is not a valid URL");
                    }
                }).orElse(null),
                duration(node.get("expiring-lead-time"), RotationConfig.DEFAULT_EXPIRING_LEAD_TIME));
    }

    private static final Set<String> KEYRING_KEYS = Set.of("max-key-age", "rotate-at-encryptions", "reserve-block",
            "refresh-interval", "job", "token-key-grace", "audit-hash-remote-address");

    private static KeyringConfig keyring(ConfigTree node) {
        for (String key : node.asMap().orElse(Map.of()).keySet()) {
            String top = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            boolean jobKey = key.equals("job.enabled") || key.equals("job.rate") || key.equals("job.batch");
            if (!KEYRING_KEYS.contains(top) || (top.equals("job") && !jobKey)) {
                throw VaultConfig.configError("unknown configuration key 'vault.keyring." + key + "'; known keys: "
                        + new java.util.TreeSet<>(KEYRING_KEYS) + " (job: enabled, rate, batch)");
            }
        }
        KeyringConfig d = KeyringConfig.DEFAULTS;
        return new KeyringConfig(duration(node.get("max-key-age"), d.maxKeyAge()),
                node.get("rotate-at-encryptions").asLong().orElse(d.rotateAtEncryptions()),
                node.get("reserve-block").asLong().orElse(d.reserveBlock()),
                duration(node.get("refresh-interval"), d.refreshInterval()),
                node.get("job.enabled").asBoolean().orElse(d.jobEnabled()),
                node.get("job.rate").asInt().orElse(d.reencryptRate()),
                node.get("job.batch").asInt().orElse(d.reencryptBatch()),
                duration(node.get("token-key-grace"), d.tokenKeyGrace()),
                node.get("audit-hash-remote-address").asBoolean().orElse(d.auditHashRemoteAddress()));
    }

    /**
     * {@code vault.credential-types}: each entry is a type id ({@code api_key}) or, like the other
     * providers, {@code {type: api_key, config: {...}}}; both forms may be mixed.
     */
    private List<ProviderSpec> credentialTypes(ConfigTree node) {
        if (!node.exists()) {
            return List.of(ProviderSpec.of("api_key"));
        }
        List<ConfigTree> entries = node.asNodeList().orElseThrow(() -> VaultConfig.configError(
                "vault.credential-types must be a list of type ids or {type, config} entries"));
        List<ProviderSpec> types = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            ConfigTree entry = entries.get(i);
            String where = "vault.credential-types[" + i + "]";
            if (entry.isLeaf()) {
                String id = entry.asString().orElse("").trim();
                if (id.isEmpty()) {
                    throw VaultConfig.configError(where + " is empty");
                }
                types.add(ProviderSpec.of(id));
            } else {
                types.add(provider(entry, where));
            }
        }
        return types;
    }

    private static Duration duration(ConfigTree node, Duration defaultValue) {
        return node.asString().map(s -> {
            try {
                return dev.animavault.spi.Durations.parse(s);
            } catch (IllegalArgumentException e) {
                throw VaultConfig.configError("'" + node.key() + "' " + e.getMessage());
            }
        }).orElse(defaultValue);
    }

    private String envOr(String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static int parseInt(String s, String key) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw VaultConfig.configError(key + " '" + s + "' is not a number");
        }
    }

    private static int parsePort(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw VaultConfig.configError("HTTP port '" + s + "' is not a number");
        }
    }
}
