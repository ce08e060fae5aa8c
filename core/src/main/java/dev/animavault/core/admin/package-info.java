/**
 * Human admin accounts of an organization (issue 13): Argon2id passwords verified behind a concurrency
 * limit ({@link dev.animavault.core.admin.PasswordHasher}), TOTP MFA ({@link dev.animavault.core.admin.Totp})
 * with one-time recovery codes, accounts and custom roles sealed by the barrier
 * ({@link dev.animavault.core.admin.AdminStore}), the login flow
 * ({@link dev.animavault.core.admin.AdminLogin}), short-lived sessions
 * ({@link dev.animavault.core.admin.AdminSessions}) and the throttle of failed logins
 * ({@link dev.animavault.core.admin.LoginThrottle}). Every state change is audited before and after
 * ({@link dev.animavault.core.admin.AdminAudit}).
 */
package dev.animavault.core.admin;
