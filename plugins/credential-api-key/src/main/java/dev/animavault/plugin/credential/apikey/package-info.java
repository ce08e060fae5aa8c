/**
 * The {@code api_key} credential type: an opaque token issued by some API (OpenAI, Stripe, GitHub...).
 *
 * <p>Validation catches copy-paste mistakes, not formats: a value is accepted when it is non-empty,
 * valid UTF-8, at most {@code max-length} bytes (default 8192, enough for JWT-style keys), has no
 * leading or trailing whitespace (including no-break and other Unicode spaces), and contains no control
 * characters (CR, LF, TAB, NUL...), no invisible format characters (zero-width space, byte order mark,
 * bidirectional overrides) and no line or paragraph separators anywhere. Spaces inside the value are
 * allowed.
 *
 * <p>Generation: {@code generate(policy)} returns {@code prefix} followed by {@code length} characters
 * drawn uniformly from {@code [0-9A-Za-z]} with {@link java.security.SecureRandom} (default 48
 * characters, about 285 bits; at least 22 characters, about 131 bits).
 */
package dev.animavault.plugin.credential.apikey;
