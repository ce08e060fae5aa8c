/**
 * The storage SPI: typed records for identities, secrets and their versions, plus a namespaced record
 * store for core's own state.
 *
 * <p>Rules every backend follows (checked by {@code StorageBackendContract} in spi-testkit):
 * <ul>
 *   <li>Every write is conditional. Creates fail with {@code ALREADY_EXISTS} if the thing exists;
 *       updates and deletes take the revision the caller read and fail with {@code REVISION_CONFLICT}
 *       if it changed, or {@code NOT_FOUND}/{@code IDENTITY_NOT_FOUND}/{@code SECRET_NOT_FOUND} if it
 *       is gone. A successful write returns the stored object with its new revision. Two writers never
 *       both succeed against the same expected revision.</li>
 *   <li>Revisions are positive and strictly increase with every write of the same object; a create
 *       stores revision 1 whatever revision the argument carries.</li>
 *   <li>Lists are ordered by id (identities), key (secrets, records) ascending and paginated with opaque
 *       cursors; a cursor stays valid when items are added or removed.</li>
 *   <li>Data of one organization or identity is never returned for another.</li>
 *   <li>A method returns only after the write is durable (survives a process crash).</li>
 *   <li>Backends are thread-safe; core calls them from many virtual threads at once.</li>
 * </ul>
 *
 * <p>Secret values: with {@link dev.animavault.spi.storage.Protection#NONE} core hands the backend
 * values already sealed by its barrier (opaque bytes); with
 * {@link dev.animavault.spi.storage.Protection#NATIVE} it hands plaintext and the backend encrypts.
 */
package dev.animavault.spi.storage;
