package dev.animavault.plugin.rootkey.pkcs11;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import java.nio.file.Path;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.security.auth.login.LoginException;

/**
 * Root keys as AES-256 token objects of a PKCS#11 token, created sensitive and not extractable (the
 * SunPKCS11 configuration's {@code attributes} for secret keys), used for AES-GCM ({@code CKM_AES_GCM})
 * wrapping inside the token. Key ids are random ({@code p11-} and 16 hex digits); the object's label is
 * {@code <key-label>.<keyId>}. Calls are serialized (one PKCS#11 session at a time is plenty for the few
 * calls core makes). Output: {@code nonce (12) | ciphertext+tag}.
 */
final class Pkcs11RootKeyProvider implements RootKeyProvider {
    private static final Pattern KEY_ID = Pattern.compile("p11-[0-9a-f]{16}");
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AuthProvider provider;
    private final KeyStore keys;
    private final String label;
    private final String where;
    private boolean closed;

    Pkcs11RootKeyProvider(Path library, String slotLine, char[] pin, String label) {
        this.label = label;
        this.where = "PKCS#11 " + library.getFileName() + " (" + slotLine.replace(" ", "") + ")";
        String config = "--name = AnimaVault" + INSTANCES.incrementAndGet() + "\n"
                + "library = " + library.toAbsolutePath() + "\n"
                + slotLine + "\n"
                // what makes the key never leave the token: created sensitive, not extractable
                + "attributes(*, CKO_SECRET_KEY, *) = {\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n";
        try {
            this.provider = (AuthProvider) java.security.Security.getProvider("SunPKCS11").configure(config);
            this.keys = KeyStore.getInstance("PKCS11", provider);
            keys.load(null, pin);
        } catch (GeneralSecurityException | java.io.IOException | ProviderException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot open the root key token " + where + ": "
                    + rootMessage(e));
        }
    }

    @Override
    public synchronized String newKey() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        String id = "p11-" + HexFormat.of().formatHex(b);
        try {
            KeyGenerator gen = KeyGenerator.getInstance("AES", provider);
            gen.init(256);
            SecretKey session = gen.generateKey();
            // stored as a token object labelled with the alias (a copy of the session key, same attributes)
            keys.setEntry(alias(id), new KeyStore.SecretKeyEntry(session), null);
            return id;
        } catch (GeneralSecurityException | ProviderException e) {
            throw new VaultException(ErrorCode.UPSTREAM_ERROR, "cannot create a root key in " + where + ": "
                    + rootMessage(e));
        }
    }

    @Override
    public synchronized byte[] wrap(String keyId, byte[] plaintext, byte[] aad) {
        Key key = require(keyId);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[12 + ct.length];
            System.arraycopy(nonce, 0, out, 0, 12);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException | ProviderException e) {
            throw new VaultException(ErrorCode.UPSTREAM_ERROR, "AES-GCM wrapping in " + where + " failed: "
                    + rootMessage(e));
        }
    }

    @Override
    public synchronized byte[] unwrap(String keyId, byte[] wrapped, byte[] aad) {
        Key key = require(keyId);
        if (wrapped.length < 12 + 16) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "wrapped keyring is truncated");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, wrapped, 0, 12));
            c.updateAAD(aad);
            return c.doFinal(wrapped, 12, wrapped.length - 12);
        } catch (AEADBadTagException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "the root key does not open the wrapped keyring");
        } catch (GeneralSecurityException | ProviderException e) {
            // tokens report a bad tag in their own words (CKR_ENCRYPTED_DATA_INVALID, ..._LEN_RANGE)
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "the root key does not open the wrapped keyring ("
                    + rootMessage(e) + ")");
        }
    }

    @Override
    public synchronized void destroyKey(String keyId) {
        if (!KEY_ID.matcher(keyId).matches() || closed) {
            return;
        }
        try {
            if (keys.containsAlias(alias(keyId))) {
                keys.deleteEntry(alias(keyId));
            }
        } catch (GeneralSecurityException | ProviderException e) {
            throw new VaultException(ErrorCode.UPSTREAM_ERROR, "cannot destroy root key " + keyId + " in " + where + ": "
                    + rootMessage(e));
        }
    }

    private Key require(String keyId) {
        if (closed) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the pkcs11 root key provider is closed");
        }
        Key key = null;
        if (KEY_ID.matcher(keyId).matches()) {
            try {
                key = keys.getKey(alias(keyId), null);
            } catch (GeneralSecurityException | ProviderException e) {
                throw new VaultException(ErrorCode.UPSTREAM_ERROR, "cannot look up root key " + keyId + " in " + where
                        + ": " + rootMessage(e));
            }
        }
        if (key == null) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key " + keyId + " is not in " + where + " (no "
                    + "object labelled " + alias(keyId) + ")");
        }
        return key;
    }

    private String alias(String keyId) {
        return label + "." + keyId;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    @Override
    public String describe() {
        return where + ", keys labelled " + label + ".*";
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            provider.logout();
        } catch (LoginException | ProviderException e) {
            // closing: nothing more to do
        }
    }

    @Override
    public String toString() {
        return "Pkcs11RootKeyProvider[" + where + "]";
    }
}
