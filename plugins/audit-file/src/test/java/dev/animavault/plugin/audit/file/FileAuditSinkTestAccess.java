package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The test-only hooks of {@link FileAuditSink}: opening with the background work held or delayed, and a
 * look at its parts (the open segment, the background indexer, the sealed index writes, the watch).
 */
final class FileAuditSinkTestAccess {
    /** How far ahead of the end disk blocks are kept reserved. */
    static final long RESERVE_AHEAD = SegmentWriter.RESERVE_AHEAD;

    private FileAuditSinkTestAccess() {
    }

    /**
     * Opens like {@link FileAuditSink#open(FileAuditSinkConfig)}, but the background parse of the open
     * segment starts only once {@code indexGate} is counted down (or the sink is closed).
     */
    static FileAuditSink openHoldingIndex(FileAuditSinkConfig config, CountDownLatch indexGate) throws IOException {
        return new FileAuditSink(config, null, requireNonNull(indexGate), OpenSegmentIndexer.PRELOAD_DELAY);
    }

    /** Opens the trail with the background load of sealed indexes {@code preloadDelay} after the open. */
    static FileAuditSink openDelayingPreload(FileAuditSinkConfig config, Duration preloadDelay) throws IOException {
        return new FileAuditSink(config, null, null, preloadDelay);
    }

    /** The background thread of the open ({@link OpenSegmentIndexer}), or null when none was started. */
    static Thread indexThread(FileAuditSink sink) {
        return sink.indexer.thread();
    }

    /** Whether the open segment's index holds every line (false while it is parsed in the background). */
    static boolean activeIndexComplete(FileAuditSink sink) {
        return sink.indexer.complete();
    }

    /** The open segment's index as it is now. */
    static AuditIndex activeIndex(FileAuditSink sink) {
        return sink.segments.active().index();
    }

    /** The number of the open segment (1 until the first rollover). */
    static long activeSegment(FileAuditSink sink) {
        return sink.segments.active().number();
    }

    /** How many sealed segments have their index loaded now. */
    static int loadedSealedIndexes(FileAuditSink sink) {
        return sink.segments.sealedIndexes().loadedCount();
    }

    /** Holds the background write of sealed index files until {@code gate} is counted down. */
    static void holdSealedIndexWrites(FileAuditSink sink, CountDownLatch gate) {
        sink.indexWrites.hold(gate);
    }

    /** Whether a sealed segment's index file is still to be written. */
    static boolean sealedIndexPending(FileAuditSink sink) {
        return sink.indexWrites.pending();
    }

    /** Writes a pending sealed index file now (or waits for the background write). */
    static void finishSealedIndex(FileAuditSink sink) {
        sink.indexWrites.finish();
    }

    /** Checks the path and measures free space now (the background thread does it once a second). */
    static void checkNow(FileAuditSink sink) {
        sink.watch.checkNow();
    }

    /** How many background flushes have completed. */
    static long backgroundFlushes(FileAuditSink sink) {
        return sink.watch.flushes();
    }
}
