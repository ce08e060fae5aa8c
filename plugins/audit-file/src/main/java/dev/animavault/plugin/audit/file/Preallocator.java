package dev.animavault.plugin.audit.file;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reserves disk blocks past the end of the audit file with Linux {@code fallocate(fd,
 * FALLOC_FL_KEEP_SIZE, offset, length)}: the file's size and content do not change (tools that tail it
 * see nothing new), but appends then land in blocks that are already allocated. Without it, ext4 with
 * delayed allocation allocates the blocks when it writes the dirty pages back, and appends stall behind
 * that (in the HTTP benchmark, audited reads had 16-25 ms p99 windows that vanished with the blocks
 * reserved ahead).
 *
 * <p>The call goes through the JDK's foreign function API, looked up reflectively because the plugin is
 * compiled for Java 21, where that API is a preview; on Java 21, on other systems, or when the file
 * system refuses (EOPNOTSUPP), {@link #open} returns empty and the sink simply does without. Uses its own
 * file descriptor (the reservation applies to the file, whichever descriptor asks). Not thread-safe: the
 * sink's background thread alone uses it.
 */
final class Preallocator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Preallocator.class.getName());
    private static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;
    private static final int FALLOC_FL_KEEP_SIZE = 1;

    private static final MethodHandle OPEN;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle CLOSE;
    /** {@code Arena.ofConfined()} and {@code SegmentAllocator.allocateFrom(String)}, for the path argument. */
    private static final Method OF_CONFINED;
    private static final Method ALLOCATE_FROM;

    static {
        MethodHandle open = null;
        MethodHandle fallocate = null;
        MethodHandle close = null;
        Method ofConfined = null;
        Method allocateFrom = null;
        if (Runtime.version().feature() >= 22 && System.getProperty("os.name", "").startsWith("Linux")) {
            try {
                Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
                Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
                Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
                Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
                Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
                Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
                Object lookup = linkerClass.getMethod("defaultLookup").invoke(linker);
                Object jint = valueLayout.getField("JAVA_INT").get(null);
                Object jlong = valueLayout.getField("JAVA_LONG").get(null);
                Object address = valueLayout.getField("ADDRESS").get(null);
                var of = descriptorClass.getMethod("of", layoutClass, layoutClass.arrayType());
                var downcall = linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass,
                        optionClass.arrayType());
                var find = Class.forName("java.lang.foreign.SymbolLookup").getMethod("find", String.class);
                Object noOptions = Array.newInstance(optionClass, 0);
                open = (MethodHandle) downcall.invoke(linker, symbol(find, lookup, "open"),
                        of.invoke(null, jint, layouts(layoutClass, address, jint)), noOptions);
                fallocate = (MethodHandle) downcall.invoke(linker, symbol(find, lookup, "fallocate"),
                        of.invoke(null, jint, layouts(layoutClass, jint, jint, jlong, jlong)), noOptions);
                close = (MethodHandle) downcall.invoke(linker, symbol(find, lookup, "close"),
                        of.invoke(null, jint, layouts(layoutClass, jint)), noOptions);
                Class<?> arena = Class.forName("java.lang.foreign.Arena");
                ofConfined = arena.getMethod("ofConfined");
                allocateFrom = arena.getMethod("allocateFrom", String.class);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.DEBUG, "fallocate not available: {0}", e.toString());
                open = null;
            }
        }
        OPEN = open;
        FALLOCATE = fallocate;
        CLOSE = close;
        OF_CONFINED = ofConfined;
        ALLOCATE_FROM = allocateFrom;
    }

    private static Object symbol(Method find, Object lookup, String name)
            throws ReflectiveOperationException {
        return ((Optional<?>) find.invoke(lookup, name)).orElseThrow(() -> new IllegalStateException("no " + name));
    }

    private static Object layouts(Class<?> layoutClass, Object... layouts) {
        Object array = Array.newInstance(layoutClass, layouts.length);
        for (int i = 0; i < layouts.length; i++) {
            Array.set(array, i, layouts[i]);
        }
        return array;
    }

    private final Path path;
    private final int fd;
    private boolean failed;

    private Preallocator(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Whether {@code fallocate} can be called here. Its first call initializes this class, whose downcall
     * handles take the JDK ~0.1-0.3 s of CPU to generate: {@link FileAuditSinkFactory#warmUp} calls it on
     * core's warm-up thread so that this happens while the vault opens its storage (issue 19).
     */
    static boolean available() {
        return OPEN != null;
    }

    /** A preallocator for the file, or empty where {@code fallocate} cannot be called. */
    static Optional<Preallocator> open(Path path) {
        if (OPEN == null) {
            return Optional.empty();
        }
        try (AutoCloseable arena = (AutoCloseable) OF_CONFINED.invoke(null)) {
            Object cPath = ALLOCATE_FROM.invoke(arena, path.toString());
            int fd = (int) OPEN.invoke(cPath, O_WRONLY | O_CLOEXEC);
            return fd < 0 ? Optional.empty() : Optional.of(new Preallocator(path, fd));
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.DEBUG, "fallocate not available for {0}: {1}", path, e.toString());
            return Optional.empty();
        }
    }

    /**
     * Reserves {@code [offset, offset + length)} without changing the file's size.
     *
     * @return false if the file system refused; later calls then do nothing
     */
    boolean reserve(long offset, long length) {
        if (failed) {
            return false;
        }
        int rc;
        try {
            rc = (int) FALLOCATE.invoke(fd, FALLOC_FL_KEEP_SIZE, offset, length);
        } catch (Throwable e) {
            rc = -1;
        }
        if (rc != 0) {
            failed = true;
            LOG.log(System.Logger.Level.INFO, "audit file {0}: the file system does not reserve blocks ahead "
                    + "(fallocate failed); appends go on without", path);
            return false;
        }
        return true;
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invoke(fd);
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.DEBUG, "close failed: {0}", e.toString());
        }
    }
}
