/**
 * Keyring rotation: new data keys on demand, by age and by durable encryption count; token key versions;
 * the background re-encryption job that moves every stored version and sealed record to the active data
 * key under a storage lease, resumable from a persisted cursor and throttled, then removes the keys nothing
 * references. The key material itself stays in {@link dev.animavault.core.barrier.Barrier}. See
 * {@code docs/keys.md}, section Keyring.
 */
package dev.animavault.core.keys;
