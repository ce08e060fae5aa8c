package dev.animavault.spi.audit;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An optional capability: an audit sink that can check its own stored trail for tampering (for example
 * a database sink whose rows are hash-chained). Used by {@code anima-vault audit verify --sink <type>}.
 *
 * <p>{@link #verifyTrail()} only reads; it may take long (every record is read once) and may run
 * concurrently with {@link #write}, in which case events written meanwhile may or may not be covered.
 * Thread-safe. Sinks whose trail is verified from outside (the file sink's files) need not implement it.
 */
public interface VerifiableAuditSink extends AuditSink {

    /**
     * Verifies every chain the sink stores.
     *
     * @return one result per chain, in a stable order
     * @throws dev.animavault.spi.VaultException {@code AUDIT_UNAVAILABLE} when the trail cannot be read
     */
    List<ChainVerification> verifyTrail();

    /**
     * The result for one chain.
     *
     * @param chain       the chain's name as the sink documents it (e.g. the organization id)
     * @param records     how many records the chain holds
     * @param firstBad    the position (1-based, in chain order) of the first record that was modified,
     *                    inserted, deleted or reordered, or where records were cut from the end; empty
     *                    when the chain verifies
     * @param problem     what is wrong, for a person (never event content); null when the chain verifies
     */
    record ChainVerification(String chain, long records, OptionalLong firstBad, String problem) {
        public ChainVerification {
            Objects.requireNonNull(chain, "chain is null");
            Objects.requireNonNull(firstBad, "firstBad is null");
        }

        /** Whether the chain verifies. */
        public boolean ok() {
            return firstBad.isEmpty();
        }
    }
}
