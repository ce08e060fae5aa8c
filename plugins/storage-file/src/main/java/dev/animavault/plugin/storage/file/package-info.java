/**
 * The {@code file} storage backend plugin: identities, secrets, versions and core's records as files
 * in one directory, for deployments that want no database ({@link dev.animavault.spi.storage.Protection#NONE}:
 * it only ever holds the barrier's ciphertext and core's records).
 *
 * <p><b>Configuration</b>: {@code path} (default {@code <data dir>/store}) and {@code fsync}
 * ({@code true}).
 *
 * <p><b>Layout</b> (names by {@link dev.animavault.plugin.storage.file.Names}: safe lower-case ASCII,
 * everything else {@code %XX}-escaped, long names hashed):
 * <pre>
 * store/.lock                         OS lock + "pid@host since time" of the holder
 * store/.format                       "anima-vault file store 1"
 * store/o/&lt;org&gt;/&lt;identity&gt;/.identity   the identity
 * store/o/&lt;org&gt;/&lt;identity&gt;/&lt;key&gt;       a secret: metadata and every version (ciphertext)
 * store/r/&lt;namespace&gt;/&lt;key&gt;            one of core's records
 * store/.trash/                       deleted identities, emptied at once (and at start after a crash)
 * store/.serving                      "pid@host since time" while a backend serves the store
 * store/.snapshot-request             a backup's request for a snapshot (see Snapshots)
 * store/.snapshot-&lt;name&gt;/              a single-instant snapshot (hard links), removed by the backup
 * </pre>
 *
 * <p><b>Crash safety</b> ({@link dev.animavault.plugin.storage.file.FileIo}): temp file, fsync, atomic
 * rename, fsync of the directory; every file is framed with its length and a CRC-32C, so a torn or
 * edited file is an {@code INTEGRITY_ERROR} naming the file, never served. A secret with all its versions
 * is one file, so {@code createSecret} and {@code addVersion} are one rename each; an identity is created
 * by renaming a prepared directory into place and deleted (with its secrets) by renaming it into the trash.
 *
 * <p><b>Concurrency</b>: one process per directory (the lock file); inside it, striped locks per
 * identity and per record make conditional writes check-then-write; reads take no lock. Every write
 * also holds a store-wide gate shared, which a backup's snapshot
 * ({@link dev.animavault.plugin.storage.file.Snapshots}) takes exclusively while it hard-links the files.
 * Leases use the SPI's default implementation over conditional record writes.
 *
 * <p><b>Listings</b> ({@link dev.animavault.plugin.storage.file.DirIndex}): each directory's names are
 * read once, decoded and kept sorted in memory; a page is a {@code tailMap} plus one file read per item.
 */
package dev.animavault.plugin.storage.file;
