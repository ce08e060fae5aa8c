package dev.animavault.spi.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of core's namespaced record store (tokens, organizations, keyring, schedules, ...).
 * Core seals the value itself where it is sensitive; the backend stores bytes as given.
 *
 * @param namespace e.g. {@code tokens}; {@code [a-z0-9_./-]{1,64}}
 * @param key       unique in the namespace; at most 256 characters
 * @param value     opaque bytes (copied)
 * @param revision  the stored revision
 * @param updatedAt last write
 */
public record StoredRecord(String namespace, String key, byte[] value, long revision, Instant updatedAt) {
    public StoredRecord {
        Objects.requireNonNull(namespace, "namespace is null");
        Objects.requireNonNull(key, "key is null");
        value = Objects.requireNonNull(value, "value is null").clone();
        Objects.requireNonNull(updatedAt, "updatedAt is null");
    }

    /** A copy of the value bytes. */
    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredRecord r && r.namespace.equals(namespace) && r.key.equals(key)
                && java.util.Arrays.equals(r.value, value) && r.revision == revision && r.updatedAt.equals(updatedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(namespace, key, revision);
    }

    @Override
    public String toString() {
        return "StoredRecord[" + namespace + "/" + key + ", revision=" + revision + ", " + value.length + " bytes]";
    }
}
