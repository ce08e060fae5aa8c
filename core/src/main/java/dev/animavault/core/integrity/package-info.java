/**
 * Tamper evidence for storage (issue 14): {@link dev.animavault.core.integrity.IntegrityStorage} wraps the
 * storage backend and MACs secret metadata, identities and core's records under a key derived from the
 * keyring, refusing with {@code integrity_error} what was edited, swapped or replayed in the database.
 */
package dev.animavault.core.integrity;
