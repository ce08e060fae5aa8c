/**
 * The Java client of Anima Vault's HTTP API v1 (Java 17+; the JDK HTTP client and Jackson only).
 *
 * <pre>{@code
 * Anima am = new Anima(System.getenv("AM_API_KEY"));          // ANIMA_VAULT_ADDR or http://127.0.0.1:8200
 * Identity identity = am.identities().get("agent_123");
 * Secret apiKey = am.vault().secrets().get(identity.id(), "OPENAI_API_KEY");
 * String value = apiKey.value().reveal();                    // toString() masks it
 * }</pre>
 *
 * <p>Every call is synchronous and thread-safe; share one {@link dev.animavault.client.Anima} per
 * vault. Failures are {@link dev.animavault.client.AnimaException}s carrying the problem+json
 * {@code code} and the HTTP status. Resource classes map one method to one endpoint, so a new endpoint
 * is one method (and, for a new resource, one small class reached from {@code Anima}).
 */
package dev.animavault.client;
