package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file written by the earlier encoder ({@link LegacyFixture}: Jackson's generator, every awkward
 * character) still verifies, loads, answers queries and continues its chain; and the current encoder
 * writes the same events byte for byte as it did.
 */
class LegacyFileCompatibilityTest {
    @TempDir
    Path dir;

    private Path copyOfFixture() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        try (InputStream in = LegacyFileCompatibilityTest.class.getResourceAsStream(LegacyFixture.RESOURCE)) {
            Files.copy(in, file);
        }
        return file;
    }

    private static byte[] fixtureBytes() throws IOException {
        try (InputStream in = LegacyFileCompatibilityTest.class.getResourceAsStream(LegacyFixture.RESOURCE)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theLegacyFileVerifiesAndEveryLineDecodesToItsEvent() throws Exception {
        Path file = copyOfFixture();
        assertEquals(-1, AuditHashChain.verify(file));
        List<AuditEvent> expected = LegacyFixture.events();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(expected.size(), lines.size());
        AuditLineDecoder decoder = new AuditLineDecoder();
        String prev = AuditHashChain.GENESIS;
        for (int i = 0; i < lines.size(); i++) {
            byte[] line = lines.get(i).getBytes(StandardCharsets.UTF_8);
            AuditLineCodec.Decoded d = decoder.decode(line, 0, line.length);
            assertEquals(expected.get(i), d.event(), "line " + (i + 1));
            assertEquals(prev, d.prev(), "line " + (i + 1));
            prev = sha256(line);
        }
    }

    @Test
    void theLegacyFileLoadsAnswersQueriesAndContinuesItsChain() throws IOException {
        Path file = copyOfFixture();
        List<AuditEvent> expected = new ArrayList<>(LegacyFixture.events());
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try (FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
            assertEquals(expected.size(), sink.size());
            assertEquals(sha256(lines.getLast().getBytes(StandardCharsets.UTF_8)), sink.headHash());
            assertQueries(sink, expected);

            AuditEventGenerator generator = new AuditEventGenerator(7, false);
            for (int b = 0; b < 5; b++) {
                List<AuditEvent> batch = new ArrayList<>();
                for (int i = 0; i < 1 + b * 7; i++) {
                    batch.add(generator.next());
                }
                sink.write(batch);
                expected.addAll(batch);
            }
            assertEquals(-1, AuditHashChain.verify(file));
            assertQueries(sink, expected);
        }
        try (FileAuditSink reopened = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
            assertEquals(expected.size(), reopened.size());
            assertQueries(reopened, expected);
        }
    }

    @Test
    void theCurrentEncoderWritesTheLegacyBytes() throws IOException {
        Path fresh = dir.resolve("fresh.jsonl");
        LegacyFixture.main(new String[] {fresh.toString()});
        byte[] written = Files.readAllBytes(fresh);
        byte[] legacy = fixtureBytes();
        if (!Arrays.equals(legacy, written)) {
            List<String> a = Files.readAllLines(copyOfFixture(), StandardCharsets.UTF_8);
            List<String> b = Files.readAllLines(fresh, StandardCharsets.UTF_8);
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                assertEquals(a.get(i), b.get(i), "line " + (i + 1));
            }
        }
        assertArrayEquals(legacy, written);
    }

    /** Every organization, and per organization by identity, action and a time window, paged. */
    private static void assertQueries(FileAuditSink sink, List<AuditEvent> fileOrder) {
        List<AuditEvent> newestFirst = new ArrayList<>(fileOrder).reversed();
        List<String> orgs = fileOrder.stream().map(AuditEvent::organizationId).filter(o -> o != null).distinct().toList();
        assertEquals(true, orgs.size() >= 3, "orgs " + orgs);
        Instant mid = Instant.ofEpochSecond(1_750_000_000L);
        for (String org : orgs) {
            List<AuditQuery> queries = new ArrayList<>();
            queries.add(query(org, null, null, null, null));
            queries.add(query(org, "agent_1", null, null, null));
            queries.add(query(org, null, "secret.read", null, null));
            queries.add(query(org, "agent_2", "auth.denied", null, null));
            queries.add(query(org, null, null, mid, null));
            queries.add(query(org, null, null, null, mid));
            queries.add(query(org, null, null, Instant.EPOCH, mid));
            queries.add(query(org, "nobody", null, null, null));
            for (AuditQuery q : queries) {
                List<AuditEvent> want = newestFirst.stream().filter(q::matches).toList();
                assertEquals(want, all(sink, q), q.toString());
            }
        }
    }

    private static AuditQuery query(String org, String identity, String action, Instant from, Instant to) {
        return new AuditQuery(org, Optional.ofNullable(identity), Optional.ofNullable(action),
                Optional.ofNullable(from), Optional.ofNullable(to), PageRequest.first(7));
    }

    private static List<AuditEvent> all(FileAuditSink sink, AuditQuery first) {
        List<AuditEvent> out = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            var page = sink.query(new AuditQuery(first.organizationId(), first.identityId(), first.action(),
                    first.from(), first.to(), new PageRequest(7, cursor)));
            out.addAll(page.items());
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        return out;
    }

    private static String sha256(byte[] line) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
