package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.SecretValue;
import dev.animavault.spi.credential.MaterializationContext;
import dev.animavault.spi.storage.SecretRef;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link MaterializationContext} for credential type tests: a fixed secret at version 1 without
 * metadata, which records (copies of) the values a type asks to store instead of storing them.
 * Thread-safe.
 */
public final class RecordingMaterializationContext implements MaterializationContext {
    private final SecretRef ref = new SecretRef("org_contract", "agent_contract", "CONTRACT_KEY");
    private final List<SecretValue> replaced = new CopyOnWriteArrayList<>();

    @Override
    public SecretRef ref() {
        return ref;
    }

    @Override
    public int version() {
        return 1;
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
