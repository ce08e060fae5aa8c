package dev.animavault.core.rootkey;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.barrier.KeyringStore;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.rootkey.RootKeyProvider;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The root key API's operations: status ({@code rootkey.read}) and rotation ({@code rootkey.rotate},
 * recorded as an attempt before and an outcome after, like every state change). Also what a node runs to
 * follow a rotation another node made ({@link #refresh()}). Thread-safe.
 */
public final class RootKeyService {
    private static final System.Logger LOG = System.getLogger(RootKeyService.class.getName());

    private final KeyringStore keyring;
    private final RootKeyProviders providers;
    private final AuditBroker audit;
    private final Clock clock;
    /** Why this node's root key did not open the record at the last refresh; null when it did. */
    private volatile String followError;

    private final java.util.function.Consumer<dev.animavault.core.auth.Principal> freshMfa;

    public RootKeyService(KeyringStore keyring, RootKeyProviders providers, AuditBroker audit, Clock clock) {
        this(keyring, providers, audit, clock, principal -> { });
    }

    /**
     * @param freshMfa refuses an admin session whose MFA is not recent enough (issue 13's sensitive-operation
     *                 rule); other principals pass
     */
    public RootKeyService(KeyringStore keyring, RootKeyProviders providers, AuditBroker audit, Clock clock,
                          java.util.function.Consumer<dev.animavault.core.auth.Principal> freshMfa) {
        this.freshMfa = freshMfa;
        this.keyring = keyring;
        this.providers = providers;
        this.audit = audit;
        this.clock = clock;
    }

    /** {@code GET /v1/sys/root-key}: what wraps the keyring, and whether this node's root key opens it. */
    public Map<String, Object> status(RequestContext ctx) {
        return audited(ctx, "rootkey.read", Map.of(), () -> {
            require(ctx, Permission.SYS_READ, Permission.KEYS_ROTATE);
            refresh();
            return view();
        });
    }

    /**
     * {@code POST /v1/sys/root-key/rotate}: re-wraps the keyring under a new root key, of this node's
     * provider ({@code target} empty) or of the provider {@code target} names (a migration, e.g. file to
     * pkcs11). The old key is destroyed where its provider can.
     */
    public Map<String, Object> rotate(RequestContext ctx, Optional<ProviderSpec> target) {
        Map<String, String> details = new HashMap<>();
        KeyringStore.State before = keyring.state();
        if (before != null) {
            details.put("fromType", before.type());
            details.put("fromKeyId", before.keyId());
        }
        target.ifPresent(t -> details.put("toType", t.type()));
        return audited(ctx, "rootkey.rotate", details, () -> {
            require(ctx, Permission.KEYS_ROTATE);
            freshMfa.accept(ctx.principal()); // an admin session needs a recently proved MFA code
            RootKeyProvider provider;
            String type;
            Map<String, String> config;
            if (target.isEmpty()) {
                if (!keyring.provider().createsKeys()) {
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "root key provider '" + keyring.providerType()
                            + "' is given its key and cannot make a new one: rotate by naming the provider with a new "
                            + "key, e.g. {\"type\": \"env\", \"config\": {\"variable\": \"NEW_ROOT_KEY\"}} or a "
                            + "passphrase provider reading a new passphrase-file");
                }
                provider = keyring.provider();
                type = keyring.providerType();
                KeyringStore.State s = keyring.state();
                config = s == null ? Map.of() : s.config();
            } else {
                ProviderSpec spec = target.get();
                providers.requireNoSensitive(spec);
                provider = asInvalidArgument(() -> providers.create(spec, "rotation request"));
                type = spec.type();
                config = spec.config();
            }
            try {
                KeyringStore.State after = asInvalidArgument(() -> keyring.rotate(provider, type, config, clock.instant()));
                details.put("toKeyId", after.keyId());
                LOG.log(System.Logger.Level.INFO, "Root key rotated: the keyring is now wrapped by {0} key {1}",
                        after.type(), after.keyId());
                followError = null;
                return view();
            } catch (RuntimeException e) {
                if (provider != keyring.provider()) {
                    provider.close();
                }
                throw e;
            }
        });
    }

    /**
     * Reads the keyring record and, when another node changed its root key, checks that this node's root
     * key opens it (the file provider finds the new key file, an HSM the new key object). Never throws;
     * what went wrong is logged and shown by {@link #status}.
     */
    public void refresh() {
        try {
            Optional<KeyringStore.State> now = keyring.peek();
            KeyringStore.State known = keyring.state();
            if (now.isEmpty() || known == null || now.get().revision() == known.revision()) {
                return;
            }
            byte[] plain = keyring.reopen();
            Arrays.fill(plain, (byte) 0);
            if (!now.get().keyId().equals(known.keyId())) {
                LOG.log(System.Logger.Level.INFO, "The keyring''s root key changed on another node: now {0} key {1}",
                        now.get().type(), now.get().keyId());
            }
            followError = null;
        } catch (VaultException e) {
            if (!e.getMessage().equals(followError)) {
                LOG.log(System.Logger.Level.WARNING, "This node''s root key does not open the keyring as it is now in "
                        + "storage; it keeps serving with the keyring it holds, but would not start again: "
                        + e.getMessage());
            }
            followError = e.getMessage();
        } catch (RuntimeException e) {
            followError = "refresh failed: " + e.getClass().getSimpleName();
        }
    }

    private Map<String, Object> view() {
        KeyringStore.State s = keyring.state();
        Map<String, Object> m = new LinkedHashMap<>(KeyringStore.describe(s));
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("type", keyring.providerType());
        node.put("provider", keyring.provider().describe());
        node.put("opensKeyring", followError == null);
        if (followError != null) {
            node.put("problem", followError);
        }
        m.put("node", node);
        m.put("providers", providers.names());
        return m;
    }

    private static void require(RequestContext ctx, Permission... anyOf) {
        for (Permission p : anyOf) {
            if (ctx.principal().holds(p)) {
                return;
            }
        }
        throw new VaultException(ErrorCode.PERMISSION_DENIED, "needs permission " + anyOf[0].wire());
    }

    // a bad provider configuration in a request is the caller's mistake, not a broken server
    private static <T> T asInvalidArgument(Supplier<T> op) {
        try {
            return op.get();
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.CONFIGURATION) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, e.getMessage());
            }
            throw e;
        }
    }

    private <T> T audited(RequestContext ctx, String action, Map<String, String> details, Supplier<T> op) {
        boolean read = action.endsWith(".read");
        String attemptId = null;
        if (!read) {
            AuditEvent attempt = event(ctx, action, AuditOutcome.ATTEMPT, null, details);
            if (!audit.record(attempt)) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused and nothing was "
                        + "changed because no audit sink could record the attempt");
            }
            attemptId = attempt.id();
        }
        T result;
        try {
            result = op.get();
        } catch (VaultException e) {
            audit.record(event(ctx, action, e.errorCode() == ErrorCode.PERMISSION_DENIED ? AuditOutcome.DENIED
                    : AuditOutcome.FAILURE, e.errorCode().code(), withAttempt(details, attemptId)));
            throw e;
        }
        if (!audit.record(event(ctx, action, AuditOutcome.SUCCESS, null, withAttempt(details, attemptId)))) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, read
                    ? "the request was refused because no audit sink could record it"
                    : "the change was made and its attempt is in the audit log, but no audit sink could record its "
                    + "outcome");
        }
        return result;
    }

    private static Map<String, String> withAttempt(Map<String, String> details, String attemptId) {
        Map<String, String> m = new HashMap<>(details);
        if (attemptId != null) {
            m.put("attempt", attemptId);
        }
        return m;
    }

    private AuditEvent event(RequestContext ctx, String action, AuditOutcome outcome, String errorCode,
                             Map<String, String> details) {
        Instant now = clock.instant();
        return new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, outcome,
                ctx.principal().organizationId(), null, null, null, ctx.principal().actor(), ctx.requestId(),
                ctx.remoteAddress(), errorCode, new HashMap<>(details));
    }
}
