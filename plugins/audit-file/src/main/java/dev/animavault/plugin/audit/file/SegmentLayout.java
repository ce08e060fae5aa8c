package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Names of an audit trail's files. The open segment is the configured path ({@code audit/audit.jsonl});
 * a sealed segment is renamed at rollover to {@code <stem>.<number, 6+ digits><ext>}
 * ({@code audit.000001.jsonl}, numbered from 1), which sorts before the open segment and in order by
 * name. Each segment has {@code <segment>.checkpoints} and, once sealed or after a clean close,
 * {@code <segment>.idx}. Immutable; thread-safe.
 */
record SegmentLayout(Path active) {
    SegmentLayout {
        requireNonNull(active, "active is null");
    }

    /** A sealed segment: its number and file. */
    record Sealed(long number, Path file) {
    }

    private String stem() {
        String name = active.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private String ext() {
        String name = active.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot) : "";
    }

    /** The file of sealed segment {@code number}. */
    Path sealed(long number) {
        return active.resolveSibling(stem() + "." + String.format("%06d", number) + ext());
    }

    static Path checkpoints(Path segment) {
        return segment.resolveSibling(segment.getFileName() + ".checkpoints");
    }

    static Path index(Path segment) {
        return segment.resolveSibling(segment.getFileName() + ".idx");
    }

    /** The segment number in a sealed segment's file name, or -1 when the name is not one. */
    long numberOf(String fileName) {
        String prefix = stem() + ".";
        String ext = ext();
        if (!fileName.startsWith(prefix) || !fileName.endsWith(ext)
                || fileName.length() < prefix.length() + ext.length() + 6) {
            return -1;
        }
        String digits = fileName.substring(prefix.length(), fileName.length() - ext.length());
        if (digits.length() < 6 || digits.length() > 18 || !allDigits(digits)) {
            return -1;
        }
        return Long.parseLong(digits);
    }

    /** Sealed segment files present, by number. */
    List<Sealed> sealed() throws IOException {
        return list("");
    }

    /** Sealed segments' checkpoint files present (even without their segment), by number. */
    List<Sealed> sealedCheckpoints() throws IOException {
        return list(".checkpoints");
    }

    private List<Sealed> list(String suffix) throws IOException {
        Path dir = active.getParent();
        List<Sealed> out = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return out;
        }
        // issue 19: loops, not lambdas (a plugin's lambdas are spun at every start; this runs while the sink opens)
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (!name.endsWith(suffix)) {
                    continue;
                }
                long n = numberOf(name.substring(0, name.length() - suffix.length()));
                if (n > 0) {
                    out.add(new Sealed(n, p));
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        out.sort(BY_NUMBER);
        return out;
    }

    private static final Comparator<Sealed> BY_NUMBER = new Comparator<>() {
        @Override
        public int compare(Sealed a, Sealed b) {
            return Long.compare(a.number(), b.number());
        }
    };

    private static boolean allDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
