package dev.animavault.core.credential;

import dev.animavault.spi.SecretValue;
import dev.animavault.spi.credential.MaterializationContext;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Core's {@link MaterializationContext} for one secret read: one small object (the read path subclasses it
 * anonymously with the three storage and audit operations below, as it built its context before), no
 * storage access until a type asks, so reads of types that keep the default {@code materialize} pay
 * nothing new; the cache and single flight are only touched when a type calls {@link #derive}. Used by
 * the read's thread only.
 */
public abstract class ReadContext implements MaterializationContext {
    private static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z]{1,32}");
    /** The read response's own members, which types may not shadow. */
    private static final Set<String> RESERVED = Set.of("organizationId", "identityId", "key", "type", "version",
            "currentVersion", "value", "metadata", "createdAt", "updatedAt", "hint", "form");

    private final SecretMetadata meta;
    private final int version;
    private final Clock clock;
    private final DerivedValues derived;
    private final Duration ahead;
    private Map<String, String> fields;
    private int deriveBase = -1;
    private int storedVersion = -1;

    protected ReadContext(SecretMetadata meta, int version, Clock clock, DerivedValues derived) {
        this(meta, version, clock, derived, Duration.ZERO);
    }

    /**
     * @param ahead a cached derived value counts as fresh only while it stays fresh this much longer (zero for
     *              reads; the lead time for a {@link CredentialRefresher proactive refresh})
     */
    protected ReadContext(SecretMetadata meta, int version, Clock clock, DerivedValues derived, Duration ahead) {
        this.ahead = ahead;
        this.meta = meta;
        this.version = version;
        this.clock = clock;
        this.derived = derived;
    }

    /**
     * Stores {@code value} as a new current version; when {@code expectedCurrent} is present only while the
     * current version is still that one ({@code REVISION_CONFLICT} otherwise).
     *
     * @return the new version number
     */
    protected abstract int addVersion(SecretValue value, OptionalInt expectedCurrent);

    /** The current version and its plaintext, read afresh. */
    protected abstract DerivedValues.Current readCurrent();

    /** Audits that the stored grant was refused for that version. */
    protected abstract void reauthorizationRequired(int version);

    @Override
    public SecretRef ref() {
        return meta.ref();
    }

    @Override
    public int version() {
        return version;
    }

    @Override
    public int currentVersion() {
        return meta.currentVersion();
    }

    @Override
    public Map<String, String> metadata() {
        return meta.metadata();
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public void replaceStoredValue(SecretValue newValue) {
        Objects.requireNonNull(newValue, "newValue is null");
        int written = addVersion(newValue, deriveBase < 0 ? OptionalInt.empty() : OptionalInt.of(deriveBase));
        if (deriveBase >= 0) {
            storedVersion = written;
            deriveBase = written;
        }
    }

    @Override
    public void responseField(String name, String value) {
        if (name == null || value == null || !FIELD_NAME.matcher(name).matches() || RESERVED.contains(name)) {
            return;
        }
        if (fields == null) {
            fields = new LinkedHashMap<>();
        }
        fields.put(name, value);
    }

    @Override
    public Derived derive(SecretValue stored, Function<SecretValue, Derived> deriver) {
        Objects.requireNonNull(deriver, "deriver is null");
        return derived.derive(meta.ref(), meta.createdAt(), version, new DerivedValues.SecretAccess() {
            @Override
            public DerivedValues.Current readCurrent() {
                return ReadContext.this.readCurrent();
            }

            @Override
            public void reauthorizationRequired(int v) {
                ReadContext.this.reauthorizationRequired(v);
            }
        }, current -> {
            deriveBase = current.version();
            storedVersion = -1;
            try {
                Derived d = deriver.apply(current.value());
                return new DerivedValues.Produced(d, storedVersion > 0 ? storedVersion : current.version());
            } finally {
                deriveBase = -1;
            }
        }, ahead, CredentialRefresher.refreshedAhead(meta));
    }

    /** The fields a type added with {@link #responseField}; empty for almost every read. */
    public Map<String, String> responseFields() {
        return fields == null ? Map.of() : fields;
    }

    @Override
    public String toString() {
        return "ReadContext[" + meta.ref().key() + " v" + version + "]";
    }
}
