package dev.animavault.spi;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import javax.crypto.SecretKey;
import javax.net.ssl.SSLContext;

/**
 * Services core lends to a plugin at {@code create} time. Plugins get this context, never the
 * container. Implementations are thread-safe.
 */
public interface PluginContext {

    /** The clock to use for all timestamps (tests may fix it). */
    Clock clock();

    /** The deployment's data directory; exists and is writable. Resolve relative paths against it. */
    Path dataDirectory();

    /** An outbound HTTP client that enforces the deployment's egress policy, using the JDK's trust store. */
    OutboundHttpClient http();

    /**
     * An outbound HTTP client that enforces the egress policy and trusts what the given TLS context
     * trusts (for a backend with its own CA, configured by the plugin).
     */
    OutboundHttpClient http(SSLContext sslContext);

    /** A stable identifier of this deployment (the same on every node of a cluster). */
    String deploymentId();

    /**
     * Whether the deployment's egress allow-list names this host (or an address or network it resolves
     * into). Plugins use it to accept plain {@code http} only for destinations an operator listed on
     * purpose (a test authorization server on loopback); it does not replace the check {@link #http()}
     * makes on every call. The default allows nothing.
     *
     */
    default boolean egressAllowListed(String host) {
        return false;
    }

    /**
     * A key for signing audit material (for example the checkpoints of an audit file), derived one-way
     * from the keyring's audit key for {@code purpose}: the same purpose yields the same key on every
     * node of a deployment, different purposes yield unrelated keys, and the key reveals nothing about
     * the keyring. An {@code HmacSHA256} key of 256 bits. Available to audit sinks from {@code create} on.
     *
     * @param purpose a short constant naming the use, e.g. {@code "audit-file-checkpoint"}
     * @return the key, or empty when this core offers none (older cores, tools without a keyring)
     */
    default Optional<SecretKey> auditSigningKey(String purpose) {
        return Optional.empty();
    }
}
