/**
 * The {@code vaultwarden} storage backend: identities, secrets and core's records kept as items of one
 * Vaultwarden (Bitwarden-compatible) organization, encrypted end to end with Bitwarden's scheme so people
 * can read and edit agents' credentials in ordinary Bitwarden apps. Entry point:
 * {@link dev.animavault.plugin.storage.vaultwarden.VaultwardenPlugin}.
 */
package dev.animavault.plugin.storage.vaultwarden;
