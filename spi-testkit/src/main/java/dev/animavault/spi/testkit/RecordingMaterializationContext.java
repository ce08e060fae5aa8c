package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.SecretValue;
import dev.animavault.spi.credential.MaterializationContext;
import dev.animavault.spi.storage.SecretRef;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link MaterializationContext} for credential type tests: a fixed secret (version 1 unless given)
 * without metadata, which records (copies of) the values a type asks to store instead of storing them,
 * and the response fields it adds. {@code derive} keeps the SPI default (no cache, no single flight).
 * Thread-safe.
 */
public final class RecordingMaterializationContext implements MaterializationContext {
    private final SecretRef ref = new SecretRef("org_contract", "agent_contract", "CONTRACT_KEY");
    private final List<SecretValue> replaced = new CopyOnWriteArrayList<>();
    private final Map<String, String> fields = new java.util.concurrent.ConcurrentHashMap<>();
    private final int version;
    private final int currentVersion;

    /** A read of version 1, the current one. */
    public RecordingMaterializationContext() {
        this(1, 1);
    }

    /**
     * A read of {@code version} while {@code currentVersion} is current.
     */
    public RecordingMaterializationContext(int version, int currentVersion) {
        this.version = version;
        this.currentVersion = currentVersion;
    }

    @Override
    public SecretRef ref() {
        return ref;
    }

    @Override
    public int version() {
        return version;
    }

    @Override
    public int currentVersion() {
        return currentVersion;
    }

    @Override
    public void responseField(String name, String value) {
        fields.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
    }

    /** The response fields the type added (last value per name). */
    public Map<String, String> responseFields() {
        return Map.copyOf(fields);
    }

    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public void replaceStoredValue(SecretValue newValue) {
        replaced.add(SecretValue.of(requireNonNull(newValue, "newValue is null").bytes()));
    }

    /** The values the type handed to {@link #replaceStoredValue}, oldest first. */
    public List<SecretValue> replacedValues() {
        return List.copyOf(replaced);
    }

    @Override
    public String toString() {
        return "RecordingMaterializationContext[" + replaced.size() + " replaced values]";
    }
}
