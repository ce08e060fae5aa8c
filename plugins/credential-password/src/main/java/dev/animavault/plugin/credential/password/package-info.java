/**
 * The {@code password} credential type.
 *
 * <p>Validation of supplied values: always non-empty, valid UTF-8 and at most {@code max-length} bytes;
 * optionally (off by default, so existing passwords can be stored) at least {@code min-length}
 * characters and at least one character of each class in {@code require-classes}.
 *
 * <p>Generation: {@code generate({length?, classes?, exclude-lookalikes?})} draws each character
 * uniformly from the union of the chosen classes with {@link java.security.SecureRandom#nextInt(int)}
 * (unbiased: it rejects out-of-range draws internally) and redraws the whole password until it contains
 * every chosen class, which keeps the result uniform over all passwords that do.
 */
package dev.animavault.plugin.credential.password;
