/**
 * Bitwarden's client-side cryptography, written from the protocol description: master key derivation
 * (PBKDF2-SHA256, Argon2id), the master password hash, HKDF stretching, {@link
 * dev.animavault.plugin.storage.vaultwarden.crypto.EncString} parsing and AES-256-CBC + HMAC-SHA256
 * encryption, and RSA-OAEP for organization keys. The JDK provides AES, HMAC, PBKDF2 and RSA; BouncyCastle
 * provides Argon2id. All classes are stateless or immutable and thread-safe; key holders can be wiped.
 */
package dev.animavault.plugin.storage.vaultwarden.crypto;
