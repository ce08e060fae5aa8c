package dev.animavault.core.cli;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long command-line task over a known number of items: a bar redrawn in place
 * ({@code \r}) on a terminal, plain lines (one per {@link #LINE_STEP_PERCENT} % and a last one at 100 %)
 * when the output is a file or a pipe, so logs stay readable. Counts only, never item names or values.
 *
 * <pre>
 * terminal:  secrets  [##########----------]  50%  500/1000
 * lines:     secrets: 500/1000 (50%)
 * </pre>
 *
 * <p>Not thread-safe: one task reports from one thread.
 */
public final class Progress {

    /** Plain mode prints a line each time the percentage crosses a multiple of this. */
    public static final int LINE_STEP_PERCENT = 10;
    private static final int WIDTH = 30;

    /** How progress is shown. */
    public enum Mode {
        /** A bar redrawn in place. */
        BAR,
        /** One line per step. */
        LINES,
        /** Nothing. */
        NONE
    }

    private final PrintStream out;
    private final Mode mode;
    private final String what;
    private final long total;
    private long done;
    private int shownPercent = -1;
    private int lastStep;
    private boolean finished;

    public Progress(PrintStream out, Mode mode, String what, long total) {
        this.out = requireNonNull(out, "out is null");
        this.mode = requireNonNull(mode, "mode is null");
        this.what = requireNonNull(what, "what is null");
        if (total < 0) {
            throw new IllegalArgumentException("total < 0");
        }
        this.total = total;
    }

    /** BAR when this process's standard output is a terminal, else LINES. */
    public static Mode detect() {
        java.io.Console c = System.console();
        if (c == null) {
            return Mode.LINES;
        }
        try { // Console.isTerminal() (JDK 22+): from 22 on System.console() may answer for a pipe too
            Object t = java.io.Console.class.getMethod("isTerminal").invoke(c);
            return Boolean.TRUE.equals(t) ? Mode.BAR : Mode.LINES;
        } catch (ReflectiveOperationException e) {
            return Mode.BAR; // JDK 21: a console is a terminal
        }
    }

    public long done() {
        return done;
    }

    public long total() {
        return total;
    }

    /** Counts {@code n} more items done (the count never shows more than the total). */
    public void advance(long n) {
        done = Math.min(total, done + n);
        show(false);
    }

    /** Ends the task: shows the final count (100 % when every item was counted) and ends the bar's line. */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        show(true);
        if (mode == Mode.BAR) {
            out.println();
        }
        out.flush();
    }

    private int percent() {
        return total == 0 ? 100 : (int) (done * 100 / total);
    }

    private void show(boolean last) {
        int p = percent();
        switch (mode) {
            case NONE -> {
            }
            case BAR -> {
                if (p != shownPercent || last) {
                    int filled = (int) ((long) p * WIDTH / 100);
                    out.print(String.format(Locale.ROOT, "\r%s  [%s%s] %3d%%  %d/%d", what, "#".repeat(filled),
                            "-".repeat(WIDTH - filled), p, done, total));
                    out.flush();
                    shownPercent = p;
                }
            }
            case LINES -> {
                int step = p / LINE_STEP_PERCENT;
                if (step > lastStep || last && shownPercent != p) {
                    out.printf(Locale.ROOT, "%s: %d/%d (%d%%)%n", what, done, total, p);
                    shownPercent = p;
                    lastStep = step;
                }
            }
            default -> throw new IllegalStateException();
        }
    }
}
