package dev.animavault.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private static String run(Progress.Mode mode, long total, long advanced) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), mode, "secrets", total);
        for (long i = 0; i < advanced; i++) {
            p.advance(1);
        }
        p.finish();
        p.finish(); // idempotent
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void linesEveryTenPercentEndingAtTheCount() {
        List<String> lines = run(Progress.Mode.LINES, 1234, 1234).lines().toList();
        assertEquals(10, lines.size(), lines.toString());
        assertEquals("secrets: 124/1234 (10%)", lines.get(0));
        assertEquals("secrets: 1234/1234 (100%)", lines.get(9));
        // a task that ends short shows where it ended
        List<String> partial = run(Progress.Mode.LINES, 1000, 455).lines().toList();
        assertEquals("secrets: 455/1000 (45%)", partial.get(partial.size() - 1), partial.toString());
        assertEquals(List.of("secrets: 0/0 (100%)"), run(Progress.Mode.LINES, 0, 0).lines().toList());
    }

    @Test
    void barRedrawsInPlaceAndEndsAtOneHundredPercent() {
        String out = run(Progress.Mode.BAR, 500, 500);
        String[] frames = out.split("\r");
        assertEquals(103, frames.length, "one frame per percent (0..100) and the final one after the empty start: " + frames.length);
        String last = frames[frames.length - 1];
        assertEquals("secrets  [" + "#".repeat(30) + "] 100%  500/500" + System.lineSeparator(), last);
        assertTrue(frames[51].contains(" 50%  250/500"), frames[51]);
        assertEquals("", run(Progress.Mode.NONE, 10, 10));
    }
}
