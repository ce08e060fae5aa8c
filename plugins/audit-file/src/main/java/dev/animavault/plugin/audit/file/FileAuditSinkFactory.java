package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.nio.file.Path;
import java.util.List;

/**
 * Creates {@link FileAuditSink}s. Stateless and thread-safe.
 *
 * <p>Configuration:
 * <ul>
 *   <li>{@code path} (default {@value #DEFAULT_PATH}): the audit file; a relative path is resolved
 *       against the data directory. Missing parent directories are created (mode 0700 on POSIX), the file
 *       is created with mode 0600.</li>
 *   <li>{@code fsync} (default false): false means each batch is handed to the operating system with one
 *       write before {@code write} returns, which survives a crash of the vault process but not of the
 *       machine (power loss, kernel panic) until the OS flushes its cache, typically within seconds.
 *       True forces each batch to the device too (one fsync per batch, about 0.1-10 ms depending on the
 *       disk), which survives power loss; the broker's group commit spreads that cost over the events of
 *       a batch.</li>
 *   <li>{@code flush-interval} (default 1s; 0 turns it off): with {@code fsync} off, a background thread
 *       forces the lines appended since its previous pass to the device this often, outside the request
 *       path. It bounds what a power loss can take to about one interval of events (left to itself,
 *       Linux keeps dirty pages up to 30 seconds), at the price of one {@code fdatasync} per interval
 *       while events are written.</li>
 *   <li>{@code min-free-space} (bytes, default 134217728 = 128 MiB; 0 turns it off): the free space the
 *       sink leaves on the audit file's file system. A write that would leave less is refused (the vault
 *       fails closed: requests answer 503 {@code audit_unavailable}) and the health endpoint reports the
 *       sink unavailable; below twice this health reports it degraded. Free space is measured once a
 *       second in the background; between measurements the sink counts what it appended.</li>
 *   <li>{@code verify-on-open} (default true): verify the whole hash chain when opening and refuse to
 *       start when it is broken. Set it to false to keep writing to a file known to be damaged (new lines
 *       chain from the last line as it is).</li>
 *   <li>{@code checkpoint-interval} (default 1s; 0 = after every batch): while events are written, this
 *       often the sink appends a checkpoint (line count, hash of the last line, time, HMAC under a key
 *       derived from the keyring's audit key) to {@code <path>.checkpoints}, and once more at close, so
 *       {@code anima-vault audit verify} detects lines cut from the end of the file.</li>
 *   <li>{@code rollover-size} (bytes, default 67108864 = 64 MiB; 0 = never by size) and {@code rollover-daily}
 *       (default false): when the open segment would grow past the size, or a batch starts a new UTC day,
 *       the segment is sealed (renamed {@code audit.000001.jsonl}, ...) with its index and checkpoints, and
 *       a new file continues the chain at the configured path.</li>
 *   <li>{@code loaded-sealed-indexes} (default 8, at least 1): how many sealed segments keep their index loaded
 *       between queries (its dictionaries of distinct identities, keys and actors are on the heap); the least
 *       recently used beyond it are dropped and mapped again by the next query that reaches them.</li>
 * </ul>
 */
public final class FileAuditSinkFactory implements AuditSinkFactory {
    /** The factory name configuration uses. */
    public static final String NAME = "file";
    /** Configuration key: the audit file. */
    public static final String PATH = "path";
    /** Configuration key: force each batch to the device. */
    public static final String FSYNC = "fsync";
    /** Configuration key: how often appended lines are forced to the device in the background. */
    public static final String FLUSH_INTERVAL = "flush-interval";
    /** Configuration key: the free-space reserve in bytes. */
    public static final String MIN_FREE_SPACE = "min-free-space";
    /** Configuration key: verify the hash chain when opening. */
    public static final String VERIFY_ON_OPEN = "verify-on-open";
    /** Configuration key: how often a signed checkpoint is written. */
    public static final String CHECKPOINT_INTERVAL = "checkpoint-interval";
    /** Configuration key: the size past which a new segment is started. */
    public static final String ROLLOVER_SIZE = "rollover-size";
    /** Configuration key: start a new segment every UTC day. */
    public static final String ROLLOVER_DAILY = "rollover-daily";
    /** Configuration key: how many sealed segments keep their index loaded. */
    public static final String LOADED_SEALED_INDEXES = "loaded-sealed-indexes";
    /** The default audit file, relative to the data directory. */
    public static final String DEFAULT_PATH = "audit/audit.jsonl";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Append-only JSON lines file with a SHA-256 hash chain; queryable";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(
                ConfigProperty.optional(PATH, ConfigProperty.Type.PATH, DEFAULT_PATH,
                        "audit file; relative paths are resolved against the data directory"),
                ConfigProperty.optional(FSYNC, ConfigProperty.Type.BOOLEAN, "false",
                        "force every batch to the storage device (survives power loss; slower)"),
                ConfigProperty.optional(FLUSH_INTERVAL, ConfigProperty.Type.DURATION, "1s",
                        "without fsync: force appended lines to the device this often in the background "
                                + "(0 = leave it to the operating system)"),
                ConfigProperty.optional(MIN_FREE_SPACE, ConfigProperty.Type.LONG,
                        Long.toString(FileAuditSinkConfig.DEFAULT_MIN_FREE_BYTES),
                        "bytes of free space to leave on the audit file system: writes that would leave less "
                                + "are refused (fail closed); health warns below twice this; 0 = no reserve"),
                ConfigProperty.optional(VERIFY_ON_OPEN, ConfigProperty.Type.BOOLEAN, "true",
                        "verify the hash chain at startup and refuse to start when it is broken"),
                ConfigProperty.optional(CHECKPOINT_INTERVAL, ConfigProperty.Type.DURATION, "1s",
                        "how often a signed checkpoint (line count, head hash) is appended to <path>.checkpoints "
                                + "while events are written (0 = after every batch)"),
                ConfigProperty.optional(ROLLOVER_SIZE, ConfigProperty.Type.LONG,
                        Long.toString(FileAuditSinkConfig.DEFAULT_ROLLOVER_BYTES),
                        "bytes past which the open segment is sealed (renamed <stem>.NNNNNN<ext>) and a new one "
                                + "started; the hash chain continues across segments (0 = never by size)"),
                ConfigProperty.optional(ROLLOVER_DAILY, ConfigProperty.Type.BOOLEAN, "false",
                        "also start a new segment with the first event of each UTC day"),
                ConfigProperty.optional(LOADED_SEALED_INDEXES, ConfigProperty.Type.LONG,
                        Integer.toString(FileAuditSinkConfig.DEFAULT_LOADED_SEALED_INDEXES),
                        "how many sealed segments keep their index (its dictionaries on the heap) loaded between "
                                + "queries; the least recently used beyond it are loaded again when a query "
                                + "reaches them (at least 1)"));
    }

    /**
     * A server is starting: the {@code fallocate} downcall handles are made a few seconds after the start
     * instead of during it ({@link PreallocatorStart}; issue 19).
     */
    @Override
    public void warmUp(ProviderConfig config) {
        PreallocatorStart.SHARED.defer();
    }

    @Override
    public AuditSink create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        Path configured = config.getPath(PATH).orElse(Path.of(DEFAULT_PATH));
        Path path = context.dataDirectory().resolve(configured).toAbsolutePath();
        long minFree = config.getLong(MIN_FREE_SPACE, FileAuditSinkConfig.DEFAULT_MIN_FREE_BYTES);
        if (minFree < 0) {
            throw new VaultException(ErrorCode.CONFIGURATION, "audit sink 'file': " + MIN_FREE_SPACE
                    + " must not be negative");
        }
        long rollover = config.getLong(ROLLOVER_SIZE, FileAuditSinkConfig.DEFAULT_ROLLOVER_BYTES);
        if (rollover < 0) {
            throw new VaultException(ErrorCode.CONFIGURATION, "audit sink 'file': " + ROLLOVER_SIZE
                    + " must not be negative");
        }
        long loadedIndexes = config.getLong(LOADED_SEALED_INDEXES, FileAuditSinkConfig.DEFAULT_LOADED_SEALED_INDEXES);
        if (loadedIndexes < 1 || loadedIndexes > 1_000_000) {
            throw new VaultException(ErrorCode.CONFIGURATION, "audit sink 'file': " + LOADED_SEALED_INDEXES
                    + " must be between 1 and 1000000");
        }
        return FileAuditSink.open(new FileAuditSinkConfig(path, config.getBoolean(FSYNC, false),
                config.getBoolean(VERIFY_ON_OPEN, true),
                config.getDuration(FLUSH_INTERVAL, FileAuditSinkConfig.DEFAULT_FLUSH_INTERVAL),
                minFree, config.getDuration(CHECKPOINT_INTERVAL, FileAuditSinkConfig.DEFAULT_CHECKPOINT_INTERVAL),
                rollover, config.getBoolean(ROLLOVER_DAILY, false), (int) loadedIndexes),
                context.auditSigningKey(AuditCheckpoints.KEY_PURPOSE).orElse(null));
    }

    @Override
    public String toString() {
        return "FileAuditSinkFactory[" + NAME + "]";
    }
}
