package dev.animavault.plugin.storage.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.Normalizer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the contract does not cover: damaged files are refused, permissions, odd names, the lock
 * against a second process, and listings of a large identity.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FileStoreSafetyTest {

    private static final String ORG = FileStoreChild.ORG;

    @TempDir
    Path dir;

    private FileStorageBackend open(boolean fsync) {
        return FileStorageBackendFactory.open(dir.resolve("store"), fsync, Clock.systemUTC());
    }

    @Test
    void aTornOrEditedFileIsAnIntegrityErrorAndNeverServed() throws Exception {
        Path file;
        try (FileStorageBackend b = open(true)) {
            b.createIdentity(FileStoreChild.identity("agent"));
            SecretRef ref = new SecretRef(ORG, "agent", "K");
            b.createSecret(meta(ref), FileStoreChild.version(ref, 1));
            SecretRef other = new SecretRef(ORG, "agent", "L");
            b.createSecret(meta(other), FileStoreChild.version(other, 1));
            file = dir.resolve("store/o/org-crash/agent/%4B");
            assertTrue(Files.isRegularFile(file), "secret file at the expected place");
        }
        byte[] good = Files.readAllBytes(file);
        // one flipped bit in the value
        byte[] edited = good.clone();
        edited[edited.length - 40] ^= 1;
        Files.write(file, edited);
        assertIntegrityError(file);
        // torn: the tail missing
        Files.write(file, java.util.Arrays.copyOf(good, good.length / 2));
        assertIntegrityError(file);
        // empty
        Files.write(file, new byte[0]);
        assertIntegrityError(file);
        // restored: served again
        Files.write(file, good);
        try (FileStorageBackend b = open(true)) {
            assertTrue(b.readSecret(new SecretRef(ORG, "agent", "K"), OptionalInt.empty()).isPresent());
        }
    }

    private void assertIntegrityError(Path file) {
        try (FileStorageBackend b = open(true)) {
            SecretRef ref = new SecretRef(ORG, "agent", "K");
            VaultException e = assertThrows(VaultException.class, () -> b.readSecret(ref, OptionalInt.empty()));
            assertEquals(ErrorCode.INTEGRITY_ERROR, e.errorCode());
            assertTrue(e.getMessage().contains("o/org-crash/agent/%4B"), "names the file: " + e.getMessage());
            assertFalse(e.getMessage().contains("value-"), "no value in the message");
            assertEquals(ErrorCode.INTEGRITY_ERROR, assertThrows(VaultException.class,
                    () -> b.listSecrets(ORG, "agent", PageRequest.first(10))).errorCode());
            // the undamaged sibling is still served
            assertTrue(b.readSecret(new SecretRef(ORG, "agent", "L"), OptionalInt.empty()).isPresent());
        }
    }

    @Test
    void directoriesAre0700AndFiles0600() throws Exception {
        try (FileStorageBackend b = open(true)) {
            b.createIdentity(FileStoreChild.identity("agent"));
            SecretRef ref = new SecretRef(ORG, "agent", "k");
            b.createSecret(meta(ref), FileStoreChild.version(ref, 1));
            b.putRecord("tokens", "t1", new byte[] {1}, 0);
        }
        try (Stream<Path> all = Files.walk(dir.resolve("store"))) {
            for (Path p : all.toList()) {
                String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", perms, p.toString());
            }
        }
    }

    @Test
    void oddNamesAreStoredSafelyAndNeverEscapeTheDirectory() throws Exception {
        String nfc = Normalizer.normalize("café", Normalizer.Form.NFC);
        String nfd = Normalizer.normalize("café", Normalizer.Form.NFD);
        List<String> names = List.of("../x", "..", ".", "a/b", "a\\b", "CON", "con", "nul", "NUL.txt", "x\u0000y",
                "k".repeat(1000), "K".repeat(1000), "Key", "key", "KEY", nfc, nfd, "", " ", "~hash", "%41", "A",
                ".hidden", ".identity", ".lock", "a:b", "🔑", "com1.txt", "a.", "a", "a..");
        assertEquals(names.size(), new HashSet<>(names).size());
        Path store = dir.resolve("store");
        try (FileStorageBackend b = open(false)) {
            for (String id : names) {
                b.createIdentity(FileStoreChild.identity(id));
                for (String key : names) {
                    SecretRef ref = new SecretRef(ORG, id, key);
                    b.createSecret(meta(ref), FileStoreChild.version(ref, 1));
                }
                b.putRecord("odd/ns", id, id.getBytes(StandardCharsets.UTF_8), 0);
            }
            List<String> sorted = new ArrayList<>(names);
            sorted.sort(null);
            assertEquals(sorted, b.listIdentities(ORG, PageRequest.first(1000)).items().stream()
                    .map(dev.animavault.spi.storage.Identity::id).toList(), "every identity, distinct and in order");
            for (String id : names) {
                assertEquals(sorted, b.listSecrets(ORG, id, PageRequest.first(1000)).items().stream()
                        .map(m -> m.ref().key()).toList());
                for (String key : names) {
                    SecretRef ref = new SecretRef(ORG, id, key);
                    assertArrayEquals(FileStoreChild.value(key, 1),
                            b.readSecret(ref, OptionalInt.empty()).orElseThrow().version().value(), id + "/" + key);
                }
            }
            assertEquals(sorted, b.listRecords("odd/ns", PageRequest.first(1000)).items().stream()
                    .map(dev.animavault.spi.storage.StoredRecord::key).toList());
        }
        // everything stayed under the store, with names of the safe alphabet, distinct even ignoring case
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                assertTrue(p.normalize().startsWith(store) || p.equals(dir), "escaped the store: " + p);
            }
        }
        try (Stream<Path> all = Files.walk(store)) {
            for (Path d : all.filter(Files::isDirectory).toList()) {
                Set<String> folded = new HashSet<>();
                try (Stream<Path> children = Files.list(d)) {
                    for (Path c : children.toList()) {
                        String n = c.getFileName().toString();
                        assertTrue(n.matches("[a-z0-9_.%A-F~-]{1,250}"), "unsafe file name " + n);
                        assertTrue(n.length() <= 255);
                        assertFalse(n.endsWith("."), "Windows drops a trailing dot: " + n);
                        assertFalse(List.of("con", "nul", "prn", "aux").contains(n.toLowerCase(Locale.ROOT)), n);
                        assertTrue(folded.add(n.toLowerCase(Locale.ROOT)), "case-insensitive collision: " + n);
                    }
                }
            }
        }
    }

    @Test
    void aSecondProcessIsRefusedWithAnErrorNamingTheHolder() throws Exception {
        Path store = dir.resolve("store");
        Process holder = ChildProcess.start("hold", store.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine());
            VaultException e = assertThrows(VaultException.class, () -> open(true));
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
            assertTrue(e.getMessage().contains("pid@host " + holder.pid() + "@"), "names the holder: " + e.getMessage());
            assertTrue(e.getMessage().contains(store.resolve(".lock").toString()), e.getMessage());
            holder.getOutputStream().close(); // the child closes its backend and exits
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        } finally {
            holder.destroyForcibly();
        }
        try (FileStorageBackend b = open(true)) {
            // free again; and a second backend in this JVM is refused too
            VaultException e = assertThrows(VaultException.class, () -> open(true));
            assertTrue(e.getMessage().contains("in this process"), e.getMessage());
            assertEquals(0, b.listRecords("x", PageRequest.first(1)).items().size());
        }
    }

    /**
     * 20 000 secrets in one identity (10^5 with {@code -Danima.file.big=100000}): the listing is read from the directory once (at the first listing
     * after a start) and pages come from the in-memory index. Prints the figures (not asserted: no timed
     * assertions); the pages are checked for order and completeness.
     */
    @Test
    void listingsOfAHundredThousandSecrets() {
        int n = Integer.getInteger("anima.file.big", 20_000);
        long t0 = System.nanoTime();
        try (FileStorageBackend b = open(false)) {
            b.createIdentity(FileStoreChild.identity("big"));
            for (int i = 0; i < n; i++) {
                SecretRef ref = new SecretRef(ORG, "big", String.format("KEY_%06d", i));
                b.createSecret(meta(ref), new dev.animavault.spi.storage.SecretVersion(ref, 1, new byte[60],
                        java.time.Instant.now(), "t"));
            }
        }
        long written = System.nanoTime();
        try (FileStorageBackend b = open(false)) {
            long s = System.nanoTime();
            var first = b.listSecrets(ORG, "big", PageRequest.first(100));
            long firstPage = System.nanoTime() - s;
            assertEquals("KEY_000000", first.items().get(0).ref().key());
            s = System.nanoTime();
            var deep = b.listSecrets(ORG, "big", PageRequest.after(100,
                    java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                            String.format("KEY_%06d", n * 9 / 10 - 1).getBytes(StandardCharsets.UTF_8))));
            long deepPage = System.nanoTime() - s;
            assertEquals(String.format("KEY_%06d", n * 9 / 10), deep.items().get(0).ref().key());
            s = System.nanoTime();
            int seen = 0;
            java.util.Optional<String> cursor = java.util.Optional.empty();
            do {
                var p = b.listSecrets(ORG, "big", new PageRequest(1000, cursor));
                seen += p.items().size();
                cursor = p.nextCursor();
            } while (cursor.isPresent());
            long all = System.nanoTime() - s;
            assertEquals(n, seen);
            System.out.printf(Locale.ROOT, "file store, %d secrets in one identity (fsync off): written in %d ms; "
                            + "first page of 100 after a restart (index load) %.1f ms; a page of 100 at 90%% %.2f ms; "
                            + "all %d pages of 1000: %d ms%n", n, (written - t0) / 1_000_000, firstPage / 1e6,
                    deepPage / 1e6, n / 1000, all / 1_000_000);
        }
    }

    private static SecretMetadata meta(SecretRef ref) {
        return FileStoreChild.meta(ref, 1);
    }
}
