package dev.animavault.plugin.storage.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredRecord;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The child process of the file store's process tests.
 * <ul>
 * <li>{@code hold <store>}: opens the store, prints {@code ready} (or {@code refused <code> <message>}),
 *     keeps it open until standard input ends.</li>
 * <li>{@code write <store> <round> <threads>}: opens the store (fsync on) and writes from
 *     {@code threads} threads until killed, printing one acknowledgement line per write that returned:
 *     {@code I <identity>}, {@code S <identity> <key> <version>}, {@code C <value>} (the shared counter
 *     record), {@code D <identity>} (a scratch identity deleted).</li>
 * </ul>
 */
public final class FileStoreChild {

    static final String ORG = "org-crash";

    private FileStoreChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path store = Path.of(args[1]);
        FileStorageBackend backend;
        try {
            backend = FileStorageBackendFactory.open(store, true, Clock.systemUTC());
        } catch (VaultException e) {
            System.out.println("refused " + e.errorCode() + " " + e.getMessage().replace('\n', ' '));
            System.out.flush();
            return;
        }
        if (mode.equals("hold")) {
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our standard input
            }
            backend.close();
            return;
        }
        int round = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String identity = "r" + round;
        backend.createIdentity(identity(identity));
        ack(out, "I " + identity);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread.ofPlatform().start(() -> write(backend, out, identity, thread));
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void write(FileStorageBackend backend, PrintStream out, String identity, int thread) {
        for (int i = 0; ; i++) {
            try {
                switch (thread % 4) {
                    case 0, 1 -> { // new secrets, each then given a second version
                        SecretRef ref = new SecretRef(ORG, identity, "k-" + thread + "-" + i);
                        SecretMetadata m = backend.createSecret(meta(ref, 1), version(ref, 1));
                        ack(out, "S " + identity + " " + ref.key() + " 1");
                        backend.addVersion(meta(ref, 2), m.revision(), version(ref, 2));
                        ack(out, "S " + identity + " " + ref.key() + " 2");
                    }
                    case 2 -> { // the shared counter, conditionally incremented
                        Optional<StoredRecord> r = backend.getRecord("crash", "counter");
                        long next = r.map(x -> Long.parseLong(new String(x.value(), StandardCharsets.UTF_8)) + 1)
                                .orElse(1L);
                        backend.putRecord("crash", "counter", Long.toString(next).getBytes(StandardCharsets.UTF_8),
                                r.map(StoredRecord::revision).orElse(0L));
                        ack(out, "C " + next);
                    }
                    default -> { // scratch identities with a secret, created and deleted
                        String scratch = "scratch-" + thread + "-" + i;
                        Identity created = backend.createIdentity(identity(scratch));
                        SecretRef ref = new SecretRef(ORG, scratch, "tmp");
                        backend.createSecret(meta(ref, 1), version(ref, 1));
                        backend.deleteIdentity(ORG, scratch, created.revision());
                        ack(out, "D " + scratch);
                    }
                }
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                    throw e;
                }
            }
        }
    }

    private static void ack(PrintStream out, String line) {
        synchronized (out) {
            out.println(line + " ."); // the end mark: a line cut by the kill is not an acknowledgement
            out.flush();
        }
    }

    static Identity identity(String id) {
        Instant now = Instant.now();
        return new Identity(ORG, id, id, Map.of(), false, now, now, 0);
    }

    static SecretMetadata meta(SecretRef ref, int current) {
        Instant now = Instant.now();
        return new SecretMetadata(ref, "api_key", current, Map.of("n", ref.key()), Map.of(), now, now, 0);
    }

    /** The value every writer stores for a version: derived from the key, so the reader can check it. */
    static SecretVersion version(SecretRef ref, int v) {
        return new SecretVersion(ref, v, value(ref.key(), v), Instant.now(), "child");
    }

    static byte[] value(String key, int v) {
        return ("value-" + key + "-" + v + "-" + "x".repeat(200)).getBytes(StandardCharsets.UTF_8);
    }
}
