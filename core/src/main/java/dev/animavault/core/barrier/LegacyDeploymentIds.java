package dev.animavault.core.barrier;

/**
 * Implemented by providers whose key core can read (file, env): keyrings written before key ids existed
 * carry no deployment id, which was derived from the root key itself; this derives it the same way.
 */
public interface LegacyDeploymentIds {
    /** {@code dep_} and 16 hex digits of HMAC-SHA256(key, "anima-vault/deployment-id"). */
    String legacyDeploymentId(String keyId);
}
