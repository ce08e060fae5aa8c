package dev.animavault.core;

import dev.animavault.core.admin.Admins;
import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.audit.SensitiveFields;
import dev.animavault.core.telemetry.Tracing;
import dev.animavault.core.auth.FailedAuthThrottle;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.barrier.RootKeyIds;
import dev.animavault.core.credential.DerivedValues;
import dev.animavault.core.keys.KeyringService;
import dev.animavault.core.barrier.KeyringStore;
import dev.animavault.core.rootkey.RootKeyProviders;
import dev.animavault.core.rootkey.RootKeyService;
import dev.animavault.core.rootkey.RootKeyWatcher;
import dev.animavault.spi.rootkey.RootKeyProvider;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.health.HealthCheck;
import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.core.plugin.ProviderWarmUp;
import dev.animavault.core.plugin.Tccl;
import dev.animavault.core.report.ReportGenerator;
import dev.animavault.core.report.ReportService;
import dev.animavault.core.credential.CredentialRefresher;
import dev.animavault.core.rotation.RotationEngine;
import dev.animavault.core.rotation.RotationLifecycle;
import dev.animavault.core.rotation.RotationService;
import dev.animavault.core.service.OrganizationService;
import dev.animavault.core.service.Organizations;
import dev.animavault.core.service.VaultService;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkFactory;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.CredentialTypeFactory;
import dev.animavault.core.integrity.IntegrityStorage;
import dev.animavault.spi.storage.ChangeNotifying;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One vault node without its HTTP server: plugins loaded, providers created, keyring open, services
 * wired. Startup order: data directory, plugins, root key, storage, barrier (keyring), audit sinks (probed),
 * credential types, tokens, audit broker, bootstrap. {@link #close()} releases everything in reverse.
 */
public final class VaultNode implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VaultNode.class.getName());

    private final VaultConfig config;
    private final Deque<AutoCloseable> closeables;
    private final StorageBackend storage;
    private final IntegrityStorage integrity;
    /** Core's record namespaces, walked by the integrity upgrade and re-MAC (issue 14). */
    static final List<String> CORE_NAMESPACES = List.of("orgs", "tokens", "rotation-schedule", "rotation-events",
            "rotation-deliveries", "rotation-signing", "credential-cache", "admins", "admin-roles", "admin-sessions",
            "admin-challenges");
    private final TokenService tokens;
    private final AuditBroker audit;
    private final VaultService service;
    private final Organizations organizations;
    private final OrganizationService organizationService;
    private final RotationService rotation;
    private final RotationEngine engine;
    private final CredentialRefresher refresher;
    private final String storageType;
    private final HealthCheck health;
    private final FailedAuthThrottle authFailures;
    /** Compliance reports (issue 15): streams the audit trail through the broker. */
    private final ReportService reports;
    private final PluginRegistry plugins;
    /** Human admin accounts, MFA and sessions (issue 13). */
    private final Admins admins;
    /** Keyring rotation and re-encryption (issue 14). */
    private final KeyringService keyring;
    /** How often a node checks whether another node rotated the root key (besides change notifications). */
    private static final java.time.Duration ROOT_KEY_POLL = java.time.Duration.ofSeconds(30);
    private final KeyringStore keyringStore;
    private final RootKeyService rootKeys;
    private final RootKeyWatcher rootKeyWatcher;

    private VaultNode(VaultConfig config, Map<String, String> env, Clock clock, Deque<AutoCloseable> closeables,
                      char[] passphrase) {
        this.config = config;
        this.closeables = closeables;
        prepareDataDir(config.dataDir());
        // issue 15: spans per request and plugin call when an OpenTelemetry SDK is registered globally, else none
        if (Tracing.configureFromGlobal()) {
            LOG.log(System.Logger.Level.INFO, "OpenTelemetry SDK present: tracing requests and plugin calls");
        }
        // issue 19: only the plugins whose declared providers the configuration uses (and undeclared ones)
        PluginRegistry registry = PluginRegistry.load(config.pluginsDir(), PluginRegistry.Selection.of(config));
        closeables.push(registry);
        this.plugins = registry;
        // issue 19: the selected providers' one-time preparation runs on the other core meanwhile
        for (ProviderSpec spec : config.audit()) {
            ProviderWarmUp.start(registry.auditSinks(), spec);
        }
        ProviderWarmUp.start(registry.storageBackends(), config.storage());

        EgressPolicy egress = new EgressPolicy(config.egressAllow());
        // the deployment id lives in the keyring record (stable across root key rotations): known once it is open
        java.util.concurrent.atomic.AtomicReference<String> deploymentId = new java.util.concurrent.atomic.AtomicReference<>();
        CorePluginContext context = new CorePluginContext(clock, config.dataDir(), egress, () -> {
            String id = deploymentId.get();
            if (id == null) {
                throw new IllegalStateException("the deployment id is known once the keyring is open");
            }
            return id;
        });
        // issue 14: the root key comes from a provider (vault.root-key.type); a missing key file is written only
        // when storage has no keyring yet (KeyringStore)
        RootKeyProviders rootKeyProviders = new RootKeyProviders(registry, env,
                () -> Optional.ofNullable(passphrase).map(char[]::clone), context, config.rootKeyFile());
        RootKeyProvider rootKey = rootKeyProviders.create(config.rootKey(), "vault.root-key");
        closeables.push(() -> {
            KeyringStore k = keyringRef(); // a rotation may have replaced the provider
            (k != null ? k.provider() : rootKey).close();
        });

        ProviderSpec storageSpec = config.storage();
        PluginRegistry.Registered<StorageBackendFactory> sf = PluginRegistry.require(registry.storageBackends(),
                storageSpec.type(), "storage backend", "vault.storage.type");
        ProviderConfig storageConfig = ProviderConfig.validate(sf.factory(), storageSpec.config(),
                "vault.storage.config");
        StorageBackend rawStorage = Tccl.call(sf.loader(), () -> sf.factory().create(storageConfig, context));
        StorageBackend backend = Tccl.wrap(StorageBackend.class, rawStorage, sf.loader());
        this.storageType = storageSpec.type();
        closeables.push(backend);

        // the keyring opens before the audit sinks: they sign with keys derived from its audit key
        this.keyringStore = new KeyringStore(backend, rootKey, config.rootKey().type(), config.rootKey().config());
        Barrier barrier = Barrier.open(keyringStore, clock);
        // issue 14, tamper evidence: everything but the keyring layer sees storage through the MAC'ing layer;
        // rows written before it are MAC'd once here (then rows without a MAC are refused)
        this.integrity = IntegrityStorage.wrap(backend, barrier, CORE_NAMESPACES);
        this.storage = integrity;
        long upgraded = integrity.upgrade();
        if (upgraded > 0) {
            LOG.log(System.Logger.Level.INFO, "Storage integrity: MAC''d {0} rows written before tamper evidence",
                    upgraded);
        }
        if (backend instanceof ChangeNotifying notifying) {
            closeables.push(notifying.subscribe(integrity::changed));
        }
        deploymentId.set(keyringStore.state().deploymentId());
        context.auditKeys(barrier::deriveAuditKey);

        List<AuditSink> sinks = new ArrayList<>();
        List<HealthCheck.Sink> sinkHealth = new ArrayList<>();
        for (int i = 0; i < config.audit().size(); i++) {
            ProviderSpec spec = config.audit().get(i);
            String where = "vault.audit[" + i + "]";
            PluginRegistry.Registered<AuditSinkFactory> af = PluginRegistry.require(registry.auditSinks(), spec.type(),
                    "audit sink", where + ".type");
            ProviderConfig ac = ProviderConfig.validate(af.factory(), spec.config(), where + ".config");
            AuditSink sink = Tccl.wrap(AuditSink.class, Tccl.call(af.loader(), () -> af.factory().create(ac, context)),
                    af.loader());
            closeables.push(sink);
            try {
                sink.probe();
            } catch (VaultException e) {
                throw new VaultException(ErrorCode.CONFIGURATION, "audit sink " + where + " (" + spec.type()
                        + ") failed its startup probe: " + e.getMessage(), e);
            }
            sinks.add(sink);
            sinkHealth.add(new HealthCheck.Sink(spec.type(), sink));
        }

        Map<String, CredentialType> types = new LinkedHashMap<>();
        for (int i = 0; i < config.credentialTypes().size(); i++) {
            ProviderSpec spec = config.credentialTypes().get(i);
            String id = spec.type();
            String where = "vault.credential-types[" + i + "]";
            PluginRegistry.Registered<CredentialTypeFactory> cf = PluginRegistry.require(registry.credentialTypes(), id,
                    "credential type", where + ".type");
            ProviderConfig cc = ProviderConfig.validate(cf.factory(), spec.config(), where + ".config");
            CredentialType type = Tccl.wrap(CredentialType.class,
                    Tccl.call(cf.loader(), () -> cf.factory().create(cc, context)), cf.loader());
            closeables.push(type);
            types.put(id, type);
        }

        this.tokens = new TokenService(storage, barrier, clock, config.tokenCacheTtl());
        if (storage instanceof ChangeNotifying notifying) {
            // other nodes' revocations reach this node's token cache (issue 17: several nodes on PostgreSQL)
            closeables.push(notifying.subscribe(tokens::changed));
        }
        this.audit = new AuditBroker(sinks, config.auditTimeout());
        // issue 15: token/API key ids (and, if configured, client addresses) reach the sinks as audit-key HMACs
        audit.sensitiveFields(new SensitiveFields(barrier::auditKeyVersion, barrier::auditKeyVersions,
                barrier::auditFieldMac, config.keyring().auditHashRemoteAddress()));
        closeables.push(audit);
        integrity.onViolation(v -> auditIntegrity(v, clock));
        this.authFailures = new FailedAuthThrottle(audit, clock);
        closeables.push(authFailures); // closed before the broker: its last summary still reaches the sinks
        // rotation: its own package; VaultService sees it only as a SecretLifecycle
        RotationEngine engine = new RotationEngine(storage, barrier, audit, types, clock, config.rotation(), egress);
        closeables.push(engine);
        RotationLifecycle lifecycle = new RotationLifecycle(engine, config.rotation(), config.egressAllow(), egress,
                config.effectiveDefaultCredentialType());
        this.rotation = new RotationService(storage, audit, types, clock, engine, lifecycle);
        this.service = new VaultService(storage, barrier, tokens, audit, types, clock, config.maxValueBytes(),
                config.maxTokenTtl(), lifecycle);
        // proactive refresh of derived values (OAuth access tokens) of secrets with a rotation policy
        this.refresher = new CredentialRefresher(storage, service.secretReads().derivedValues(),
                config.rotation().pollInterval(), service.secretReads()::refreshAhead);
        closeables.push(refresher);
        this.organizations = new Organizations(storage, tokens, clock);
        this.organizationService = new OrganizationService(organizations, tokens, service.operationAudit());
        this.admins = new Admins(storage, barrier, audit, config.admin(), clock,
                org -> organizations.get(org).map(Organizations.Info::disabled).orElse(false));
        closeables.push(admins);
        this.health = new HealthCheck(storage, storageType, sinkHealth);
        SensitiveFields sensitive = audit.sensitiveFields();
        this.reports = new ReportService(new ReportGenerator(storage, audit::query, () -> health.check().audit(), clock,
                admins.reportView()).actorForms(sensitive::actorForms),
                audit, clock);
        config.bootstrapToken().ifPresent(t -> organizations.bootstrap(config.bootstrapOrgId(), t));
        this.engine = engine;
        // keyring rotation (issue 14): counts encryptions from here on, re-encrypts in the background
        this.keyring = new KeyringService(storage, barrier, tokens, audit, clock, config.keyring(),
                // records sealed whole by Barrier.sealRecord: webhook signing secrets (rotation.SigningSecrets), cached
                // access tokens
                List.of("rotation-signing", DerivedValues.NAMESPACE));
        closeables.push(keyring);
        if (storage instanceof ChangeNotifying notifying) {
            closeables.push(notifying.subscribe(keyring::changed));
        }
        this.rootKeys = new RootKeyService(keyringStore, rootKeyProviders, audit, clock,
                admins.sessions()::requireRecentMfa);
        this.rootKeyWatcher = new RootKeyWatcher(rootKeys, ROOT_KEY_POLL);
        closeables.push(rootKeyWatcher);
        if (storage instanceof ChangeNotifying notifying) {
            closeables.push(notifying.subscribe(rootKeyWatcher::changed));
        }
        LOG.log(System.Logger.Level.INFO, "Vault node ready: storage {0} ({1}), audit {2}, credential types {3}, "
                + "root key from {4}", storageType, storage.protection(),
                config.audit().stream().map(ProviderSpec::type).toList(), types.keySet(), rootKey.describe());
    }

    private void auditIntegrity(IntegrityStorage.Violation v, Clock clock) {
        java.time.Instant now = clock.instant();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("kind", v.kind());
        details.put("reason", v.reason());
        boolean secret = v.identityId() != null && v.key() != null;
        if (!secret && v.key() != null) {
            details.put("record", v.key());
        }
        audit.record(new dev.animavault.spi.audit.AuditEvent(audit.newEventId(now.toEpochMilli()), now,
                "storage.integrity_violation", dev.animavault.spi.audit.AuditOutcome.FAILURE, v.organizationId(),
                v.identityId(), secret ? v.key() : null, null, "system:integrity", "-", null,
                ErrorCode.INTEGRITY_ERROR.code(), details));
    }

    /**
     * Starts a node. On failure everything created so far is closed and the exception is rethrown.
     */
    public static VaultNode start(VaultConfig config, Map<String, String> env, Clock clock) {
        return start(config, env, clock, null);
    }

    /**
     * Starts a node whose {@code passphrase} root key provider may use {@code passphrase} (read from standard
     * input by {@code server --passphrase-stdin}; copied, the caller wipes its array).
     */
    public static VaultNode start(VaultConfig config, Map<String, String> env, Clock clock, char[] passphrase) {
        Deque<AutoCloseable> created = new ArrayDeque<>();
        try {
            return new VaultNode(config, env, clock, created, passphrase);
        } catch (RuntimeException e) {
            while (!created.isEmpty()) {
                closeQuietly(created.pop());
            }
            throw e;
        }
    }

    private static void prepareDataDir(Path dir) {
        try {
            if (!Files.exists(dir)) {
                if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectories(dir);
                }
            }
            if (!Files.isWritable(dir)) {
                throw new VaultException(ErrorCode.CONFIGURATION, "data directory " + dir + " is not writable");
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot create data directory " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    public VaultConfig config() {
        return config;
    }

    public VaultService service() {
        return service;
    }

    /** Compliance reports. */
    public ReportService reports() {
        return reports;
    }

    /** The loaded plugins. */
    public PluginRegistry plugins() {
        return plugins;
    }

    /** Human admin accounts, MFA and sessions. */
    public Admins admins() {
        return admins;
    }

    public TokenService tokens() {
        return tokens;
    }

    /**
     * Starts what a serving node runs in the background: the rotation scheduler (overdue rotations run at
     * its first poll) and, on the same switch ({@code vault.rotation.enabled}), the proactive refresh of
     * OAuth access tokens of secrets with a rotation policy; the sweep of ended admin sessions and login
     * challenges. Idempotent.
     */
    public void startBackgroundWork() {
        engine.start();
        keyring.start();
        rootKeyWatcher.start();
        admins.sweeper().start();
        if (config.rotation().enabled()) {
            refresher.start();
        }
    }

    /** The root key API's operations (issue 14). */
    public RootKeyService rootKeys() {
        return rootKeys;
    }

    private KeyringStore keyringRef() {
        return keyringStore;
    }

    /** Keyring rotation and re-encryption. */
    public KeyringService keyring() {
        return keyring;
    }

    /** The rotation API's operations. */
    public RotationService rotation() {
        return rotation;
    }

    public Organizations organizations() {
        return organizations;
    }

    /** The instance owner's operations on organizations (HTTP). */
    public OrganizationService organizationService() {
        return organizationService;
    }

    public StorageBackend storage() {
        return storage;
    }

    public String storageType() {
        return storageType;
    }

    /** Throttles failed authentications per source address. */
    public FailedAuthThrottle authFailures() {
        return authFailures;
    }

    /** What {@code GET /v1/sys/health} reports. */
    public HealthCheck health() {
        return health;
    }

    @Override
    public void close() {
        while (!closeables.isEmpty()) {
            closeQuietly(closeables.pop());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "Error while closing " + c + ": " + e.getMessage());
        }
    }
}
