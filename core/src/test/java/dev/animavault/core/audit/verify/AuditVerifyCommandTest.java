package dev.animavault.core.audit.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code anima-vault audit verify} on the trail of a real vault (file sink, checkpoints signed with the
 * key derived from its keyring): the untouched trail verifies; editing, deleting, inserting or reordering
 * one line, truncating the tail, and forging a checkpoint are each caught with a non-zero exit status and
 * the line named.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class AuditVerifyCommandTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    static Path tmp;
    private Path vaultRoot;
    private List<String> lines;
    private List<String> checkpoints;

    @BeforeAll
    void recordATrail() throws IOException {
        vaultRoot = tmp.resolve("vault");
        try (TestVault vault = TestVault.start(vaultRoot)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            for (int i = 0; i < 5; i++) {
                assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "key_" + i, "value", "value-" + i, "type", "api_key"))).status());
                vault.get("/v1/vault/secrets/agent_1/key_" + i, OWNER);
            }
        }
        Files.writeString(vaultRoot.resolve("none.yaml"), "vault: {}\n");
        Path audit = vaultRoot.resolve("data/audit/audit.jsonl");
        lines = Files.readAllLines(audit, StandardCharsets.UTF_8);
        checkpoints = Files.readAllLines(audit.resolveSibling("audit.jsonl.checkpoints"), StandardCharsets.UTF_8);
        assertTrue(lines.size() >= 15, "enough events: " + lines.size());
        assertTrue(checkpoints.size() >= 2, "a checkpoint at the first batch and at close: " + checkpoints);
        assertTrue(checkpoints.get(checkpoints.size() - 1).contains("\"lines\":" + lines.size() + ",")
                && checkpoints.get(checkpoints.size() - 1).contains("\"kind\":\"close\""),
                "the last checkpoint is the close checkpoint and covers the whole file");
        assertTrue(checkpoints.get(0).contains("\"mac\":\""), "signed: " + checkpoints.get(0));
    }

    private record Run(int status, String out) {
    }

    private Run verify(List<String> auditLines, List<String> cps, String... options) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "case");
        Path file = dir.resolve("audit.jsonl");
        Files.write(file, auditLines, StandardCharsets.UTF_8);
        Files.write(dir.resolve("audit.jsonl.checkpoints"), cps, StandardCharsets.UTF_8);
        Map<String, String> env = Map.of("ANIMA_VAULT_HOME", vaultRoot.toString(),
                "ANIMA_VAULT_CONFIG", vaultRoot.resolve("none.yaml").toString());
        StringWriter out = new StringWriter();
        List<String> args = new ArrayList<>(List.of(options));
        args.add(dir.toString());
        CommandLine cli = new CommandLine(new AuditCommand.Verify(env)).setOut(new PrintWriter(out))
                .setErr(new PrintWriter(out));
        int status = cli.execute(args.toArray(String[]::new));
        return new Run(status, out.toString());
    }

    private static List<String> copy(List<String> l) {
        return new ArrayList<>(l);
    }

    private void assertBroken(Run r, AuditTrailVerifier.Kind kind, long line) {
        assertEquals(AuditCommand.EXIT_BROKEN, r.status(), r.out());
        assertTrue(r.out().contains("BROKEN") && r.out().contains(kind + " at line " + line + ":"), r.out());
    }

    @Test
    void theUntouchedTrailVerifiesWithItsSignatures() throws IOException {
        Run r = verify(lines, checkpoints);
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().startsWith("OK") && r.out().contains(lines.size() + " record(s)")
                && r.out().contains("signatures verified"), r.out());
        Run unsigned = verify(lines, checkpoints, "--no-key");
        assertEquals(0, unsigned.status(), unsigned.out());
        assertTrue(unsigned.out().contains("signatures not checked"), unsigned.out());
    }

    @Test
    void anEditedLineIsNamed() throws IOException {
        List<String> l = copy(lines);
        l.set(6, l.get(6).replace("\"outcome\":\"SUCCESS\"", "\"outcome\":\"FAILURE\"")
                .replace("\"outcome\":\"ATTEMPT\"", "\"outcome\":\"FAILURE\""));
        assertBroken(verify(l, checkpoints, "--no-key"), AuditTrailVerifier.Kind.MODIFIED, 7);
    }

    @Test
    void anEditedLastLineIsCaughtByTheFinalCheckpoint() throws IOException {
        List<String> l = copy(lines);
        int last = l.size() - 1;
        l.set(last, l.get(last).replace("\"action\":\"", "\"action\":\"x"));
        assertBroken(verify(l, checkpoints, "--no-key"), AuditTrailVerifier.Kind.MODIFIED, l.size());
    }

    @Test
    void aDeletedLineIsNamed() throws IOException {
        List<String> l = copy(lines);
        l.remove(8);
        Run r = verify(l, checkpoints, "--no-key");
        // the chain cannot tell "line 8 modified" from "a record after line 8 deleted": both are said
        assertBroken(r, AuditTrailVerifier.Kind.MODIFIED, 8);
        assertTrue(r.out().contains("deleted"), r.out());
    }

    @Test
    void theFirstLineDeletedIsNamed() throws IOException {
        List<String> l = copy(lines);
        l.remove(0);
        assertBroken(verify(l, checkpoints, "--no-key"), AuditTrailVerifier.Kind.DELETED, 1);
    }

    @Test
    void anInsertedLineIsNamed() throws IOException {
        List<String> l = copy(lines);
        l.add(5, l.get(10)); // a copy of a genuine record
        assertBroken(verify(l, checkpoints, "--no-key"), AuditTrailVerifier.Kind.INSERTED, 6);
    }

    @Test
    void twoSwappedLinesAreNamed() throws IOException {
        List<String> l = copy(lines);
        Collections.swap(l, 4, 5);
        assertBroken(verify(l, checkpoints, "--no-key"), AuditTrailVerifier.Kind.REORDERED, 5);
    }

    @Test
    void aTruncatedTailIsCaughtByTheCheckpoints() throws IOException {
        List<String> l = copy(lines.subList(0, lines.size() - 3));
        Run r = verify(l, checkpoints, "--no-key");
        assertBroken(r, AuditTrailVerifier.Kind.TRUNCATED, l.size() + 1);
    }

    @Test
    void aForgedCheckpointForATruncatedFileFailsItsSignature() throws IOException {
        // the attacker cuts the tail and rewrites the last checkpoint to match, without the key
        List<String> l = copy(lines.subList(0, lines.size() - 3));
        List<String> cps = copy(checkpoints);
        String last = cps.remove(cps.size() - 1);
        Run withoutKey = verify(l, cps, "--no-key");
        assertEquals(0, withoutKey.status(), "dropping the last checkpoint too is only caught with copies elsewhere");
        String head = sha256Hex(l.get(l.size() - 1));
        cps.add(last.replaceFirst("\"lines\":\\d+", "\"lines\":" + l.size()).replace("\"kind\":\"close\"", "\"kind\":\"batch\"")
                .replaceFirst("\"head\":\"[0-9a-f]+\"", "\"head\":\"" + head + "\""));
        assertEquals(0, verify(l, cps, "--no-key").status(), "content alone is consistent");
        Run r = verify(l, cps);
        assertEquals(AuditCommand.EXIT_BROKEN, r.status(), r.out());
        assertTrue(r.out().contains("BAD_CHECKPOINT") && r.out().contains("fails its MAC"), r.out());
    }

    // ------------------------------------------------------------------ segments (rollover)

    private Map<String, String> env() {
        return Map.of("ANIMA_VAULT_HOME", vaultRoot.toString(),
                "ANIMA_VAULT_CONFIG", vaultRoot.resolve("none.yaml").toString());
    }

    /** A checkpoint line as the sink writes it, signed with the vault's derived key. */
    private String checkpoint(long segment, List<String> seg, String kind) throws Exception {
        javax.crypto.SecretKey key = AuditKeys.derive(new dev.animavault.core.config.VaultConfigLoader(env()).load(),
                env(), AuditTrailVerifier.CHECKPOINT_KEY_PURPOSE);
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(key);
        String head = sha256Hex(seg.get(seg.size() - 1));
        String at = "2026-01-01T00:00:00Z";
        String sig = java.util.HexFormat.of().formatHex(mac.doFinal(("anima-vault/audit-checkpoint/v2|" + segment + "|"
                + seg.size() + "|" + head + "|" + at + "|" + kind).getBytes(StandardCharsets.UTF_8)));
        return "{\"v\":2,\"segment\":" + segment + ",\"lines\":" + seg.size() + ",\"head\":\"" + head + "\",\"at\":\""
                + at + "\",\"kind\":\"" + kind + "\",\"mac\":\"" + sig + "\"}";
    }

    /** The recorded trail cut into segments 1 and 2 (sealed by rollover) and the open one (closed cleanly). */
    private Path segmented() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "segments");
        List<List<String>> parts = List.of(lines.subList(0, 5), lines.subList(5, 10), lines.subList(10, lines.size()));
        String[] names = {"audit.000001.jsonl", "audit.000002.jsonl", "audit.jsonl"};
        for (int i = 0; i < 3; i++) {
            Files.write(dir.resolve(names[i]), parts.get(i), StandardCharsets.UTF_8);
            Files.write(dir.resolve(names[i] + ".checkpoints"), List.of(checkpoint(i + 1, parts.get(i),
                    i < 2 ? "rollover" : "close")), StandardCharsets.UTF_8);
        }
        return dir;
    }

    private Run verifyDir(Path dir, String... options) {
        StringWriter out = new StringWriter();
        List<String> args = new ArrayList<>(List.of(options));
        args.add(dir.toString());
        int status = new CommandLine(new AuditCommand.Verify(env())).setOut(new PrintWriter(out))
                .setErr(new PrintWriter(out)).execute(args.toArray(String[]::new));
        return new Run(status, out.toString());
    }

    private static void assertBrokenIn(Run r, String file, AuditTrailVerifier.Kind kind, long line) {
        assertEquals(AuditCommand.EXIT_BROKEN, r.status(), r.out());
        assertTrue(r.out().contains("BROKEN") && r.out().contains(file + ": " + kind + " at line " + line + ":"), r.out());
    }

    @Test
    void aTrailOfSegmentsVerifiesAsOneChainWithItsSignatures() throws Exception {
        Run r = verifyDir(segmented(), "--require-close");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains(lines.size() + " record(s) in 3 segment(s)") && r.out().contains("signatures verified")
                && r.out().contains("closed cleanly"), r.out());
    }

    @Test
    void anEditedLineInASealedSegmentIsNamedWithItsFile() throws Exception {
        Path dir = segmented();
        List<String> two = new ArrayList<>(Files.readAllLines(dir.resolve("audit.000002.jsonl")));
        two.set(1, two.get(1).replace("\"action\":\"", "\"action\":\"x"));
        Files.write(dir.resolve("audit.000002.jsonl"), two, StandardCharsets.UTF_8);
        assertBrokenIn(verifyDir(dir), "audit.000002.jsonl", AuditTrailVerifier.Kind.MODIFIED, 2);
    }

    @Test
    void aDeletedSegmentIsCaught() throws Exception {
        Path dir = segmented();
        Files.delete(dir.resolve("audit.000002.jsonl"));
        Files.delete(dir.resolve("audit.000002.jsonl.checkpoints"));
        assertBrokenIn(verifyDir(dir), "audit.jsonl", AuditTrailVerifier.Kind.DELETED, 1);
    }

    @Test
    void theNewestSegmentDeletedIsCaughtByTheRolloverCheckpoint() throws Exception {
        Path dir = segmented();
        Files.delete(dir.resolve("audit.jsonl"));
        Files.delete(dir.resolve("audit.jsonl.checkpoints"));
        assertBrokenIn(verifyDir(dir), "audit.000002.jsonl", AuditTrailVerifier.Kind.TRUNCATED, 6);
    }

    @Test
    void swappedSegmentsAreNamedAsReordered() throws Exception {
        Path dir = segmented();
        Path a = dir.resolve("audit.000001.jsonl");
        Path b = dir.resolve("audit.000002.jsonl");
        Path t = dir.resolve("swap");
        Files.move(a, t);
        Files.move(b, a);
        Files.move(t, b);
        Run r = verifyDir(dir, "--no-key");
        assertBrokenIn(r, "audit.000001.jsonl", AuditTrailVerifier.Kind.REORDERED, 1);
    }

    @Test
    void aCutTailWithoutTheCloseCheckpointIsCaughtWhenTheVaultIsStopped() throws Exception {
        Path dir = segmented();
        List<String> open = new ArrayList<>(Files.readAllLines(dir.resolve("audit.jsonl")));
        List<String> cut = open.subList(0, open.size() - 2);
        Files.write(dir.resolve("audit.jsonl"), cut, StandardCharsets.UTF_8);
        // the attacker also drops the close checkpoint and writes nothing it cannot sign
        Files.write(dir.resolve("audit.jsonl.checkpoints"), List.of(checkpoint(3, cut.subList(0, 1), "batch")),
                StandardCharsets.UTF_8);
        Run lenient = verifyDir(dir);
        assertEquals(0, lenient.status(), lenient.out());
        assertTrue(lenient.out().contains("not closed"), lenient.out());
        assertBrokenIn(verifyDir(dir, "--require-close"), "audit.jsonl", AuditTrailVerifier.Kind.TRUNCATED, 2);
        // without touching the checkpoints, the close checkpoint alone names the cut
        Path dir2 = segmented();
        Files.write(dir2.resolve("audit.jsonl"), cut, StandardCharsets.UTF_8);
        assertBrokenIn(verifyDir(dir2), "audit.jsonl", AuditTrailVerifier.Kind.TRUNCATED, cut.size() + 1);
    }

    private static String sha256Hex(String line) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(line.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
