/**
 * Anima Vault core: the Helidon SE server, the plugin registry, the barrier, authentication and
 * authorization, the audit broker. The command line
 * ({@code cli}) sits on top and nothing imports it.
 */
package dev.animavault.core;
