package dev.animavault.core.report;

import java.time.Instant;
import java.util.List;

/**
 * The seam through which reports learn about human admin accounts (built in {@code core.admin}), for the
 * "admins without MFA" hygiene section. Until admin accounts exist the vault passes {@link #NONE}, and
 * the section says "no admin accounts". Implementations are thread-safe and read only.
 */
@FunctionalInterface
public interface AdminAccounts {
    /** No admin accounts (the vault before {@code core.admin}). */
    AdminAccounts NONE = organizationId -> List.of();

    /**
     * One admin account, as far as the report needs it.
     *
     * @param id         the account's id
     * @param name       display name or login, never a credential
     * @param mfaEnabled whether a second factor is enrolled
     * @param lastLogin  the last successful login, or null
     */
    record Admin(String id, String name, boolean mfaEnabled, Instant lastLogin) {
    }

    /** The admin accounts that may act on the organization. */
    List<Admin> list(String organizationId);
}
