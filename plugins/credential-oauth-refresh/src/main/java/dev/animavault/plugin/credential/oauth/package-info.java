/**
 * The {@code oauth_refresh} credential type: the vault keeps an OAuth 2.0 refresh token (and client
 * credentials) and hands agents short-lived access tokens, refreshed per RFC 6749 section 6.
 *
 * <p>Stored value (JSON): {@code {tokenUrl, clientId, clientSecret?, refreshToken, scope?,
 * clientAuth?: client_secret_basic|client_secret_post}}. A read returns the access token as
 * {@code value} with {@code tokenType}, {@code expiresAt} and {@code scope} beside it; the refresh token
 * and client secret never leave the vault (an organization key may read the stored form explicitly).
 *
 * <p>Caching and single flight come from core ({@code MaterializationContext.derive}); this type only
 * talks to the token endpoint, through the plugin context's egress-checked HTTP client, and hands a
 * rotated refresh token back to core as a new version.
 */
package dev.animavault.plugin.credential.oauth;
