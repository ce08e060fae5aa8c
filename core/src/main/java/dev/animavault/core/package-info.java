/**
 * Anima Vault core: the Helidon SE server, the plugin registry, the barrier, authentication and
 * authorization, the audit broker and the command line.
 */
package dev.animavault.core;
