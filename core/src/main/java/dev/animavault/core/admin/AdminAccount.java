package dev.animavault.core.admin;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One human admin of an organization, as stored (sealed by the barrier as a whole, so the TOTP secret
 * and the hashes never reach storage in clear and an edited record fails to open).
 *
 * @param organizationId  the organization
 * @param username        unique inside the organization ({@link #USERNAME})
 * @param role            {@code owner}, {@code admin}, {@code auditor} or a custom role's name
 * @param disabled        a disabled account cannot log in and its sessions stop working
 * @param passwordHash    Argon2id PHC string
 * @param totpSecret      the confirmed TOTP secret, or null (not enrolled)
 * @param lastTotpStep    the last TOTP step accepted (each code works once), -1 when none
 * @param recoveryCodes   keyed hashes of the unused recovery codes
 * @param mfaFailures     wrong codes since the last right one
 * @param lockedUntil     when a lock for too many wrong codes ends, or null
 * @param createdAt       creation time
 * @param updatedAt       last change
 */
public record AdminAccount(String organizationId, String username, String role, boolean disabled, String passwordHash,
                           byte[] totpSecret, long lastTotpStep, List<String> recoveryCodes, int mfaFailures,
                           Instant lockedUntil, Instant createdAt, Instant updatedAt) {
    /** Usernames: lower case letters, digits, {@code . _ -}, 1 to 64, starting with a letter or digit. */
    public static final Pattern USERNAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    public AdminAccount {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(username, "username is null");
        Objects.requireNonNull(role, "role is null");
        Objects.requireNonNull(passwordHash, "passwordHash is null");
        recoveryCodes = List.copyOf(recoveryCodes);
        totpSecret = totpSecret == null ? null : totpSecret.clone();
    }

    /** Whether TOTP is enrolled. */
    public boolean mfaEnrolled() {
        return totpSecret != null;
    }

    /** Whether a lock for wrong codes is in force at {@code now}. */
    public boolean lockedAt(Instant now) {
        return lockedUntil != null && now.isBefore(lockedUntil);
    }

    @Override
    public byte[] totpSecret() {
        return totpSecret == null ? null : totpSecret.clone();
    }

    AdminAccount withRole(String r, Instant now) {
        return new AdminAccount(organizationId, username, r, disabled, passwordHash, totpSecret, lastTotpStep,
                recoveryCodes, mfaFailures, lockedUntil, createdAt, now);
    }

    AdminAccount withDisabled(boolean d, Instant now) {
        return new AdminAccount(organizationId, username, role, d, passwordHash, totpSecret, lastTotpStep,
                recoveryCodes, mfaFailures, lockedUntil, createdAt, now);
    }

    AdminAccount withPasswordHash(String h, Instant now) {
        return new AdminAccount(organizationId, username, role, disabled, h, totpSecret, lastTotpStep, recoveryCodes,
                mfaFailures, lockedUntil, createdAt, now);
    }

    /** Enrolled (or reset with {@code secret == null}): fresh recovery codes, no failures, no lock. */
    AdminAccount withMfa(byte[] secret, long step, List<String> codes, Instant now) {
        return new AdminAccount(organizationId, username, role, disabled, passwordHash, secret, step, codes, 0, null,
                createdAt, now);
    }

    /** A code accepted: the step is remembered, failures reset. */
    AdminAccount withCodeUsed(long step, List<String> codes, Instant now) {
        return new AdminAccount(organizationId, username, role, disabled, passwordHash, totpSecret,
                Math.max(step, lastTotpStep), codes, 0, null, createdAt, now);
    }

    AdminAccount withFailures(int failures, Instant lock, Instant now) {
        return new AdminAccount(organizationId, username, role, disabled, passwordHash, totpSecret, lastTotpStep,
                recoveryCodes, failures, lock, createdAt, now);
    }

    @Override
    public String toString() {
        return "AdminAccount[" + organizationId + "/" + username + ", role=" + role + ", disabled=" + disabled
                + ", mfa=" + mfaEnrolled() + ", <masked>]";
    }
}
