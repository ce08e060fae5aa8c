package dev.animavault.core.rootkey;

import dev.animavault.core.barrier.LegacyDeploymentIds;
import dev.animavault.core.barrier.SoftwareKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import java.util.Optional;

/**
 * {@code env}: the root key as base64 in an environment variable (by default {@code ANIMA_VAULT_ROOT_KEY}).
 * The environment is given and fixed: this provider cannot create keys; rotating to it means naming another
 * variable that holds the new key. Thread-safe.
 */
final class EnvRootKeyProvider implements RootKeyProvider, LegacyDeploymentIds {
    private final String variable;
    private final SoftwareKey key;

    EnvRootKeyProvider(String variable, String value) {
        this.variable = variable;
        this.key = value == null || value.isBlank() ? null : SoftwareKey.decode(value, "environment variable " + variable);
    }

    @Override
    public Optional<String> currentKey() {
        return key == null ? Optional.empty() : Optional.of(key.id());
    }

    @Override
    public String newKey() {
        return currentKey().orElseThrow(() -> new VaultException(ErrorCode.CONFIGURATION, "environment variable "
                + variable + " holds no root key"));
    }

    @Override
    public boolean createsKeys() {
        return false;
    }

    @Override
    public byte[] wrap(String keyId, byte[] plaintext, byte[] aad) {
        return require(keyId).wrap(plaintext, aad);
    }

    @Override
    public byte[] unwrap(String keyId, byte[] wrapped, byte[] aad) {
        return require(keyId).unwrap(wrapped, aad);
    }

    @Override
    public String legacyDeploymentId(String keyId) {
        return require(keyId).legacyDeploymentId();
    }

    private SoftwareKey require(String keyId) {
        if (key == null || !key.id().equals(keyId)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key " + keyId + " is not in environment variable "
                    + variable + (key == null ? " (unset)" : " (it holds another key)"));
        }
        return key;
    }

    @Override
    public String describe() {
        return "environment " + variable;
    }

    @Override
    public void close() {
        if (key != null) {
            key.wipe();
        }
    }

    @Override
    public String toString() {
        return "EnvRootKeyProvider[" + variable + ", <masked>]";
    }
}
