package dev.animavault.core.http;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * Keeps the connection limit below the process's descriptor limit. Helidon's listener ends for good when
 * accept() fails ("Too many open files"), so the limit must leave room for everything else the process
 * opens (jars, plugin class paths, the database, audit files, outbound connections).
 */
final class ConnectionLimits {
    private static final System.Logger LOG = System.getLogger(ConnectionLimits.class.getName());
    /** Descriptors kept for everything but client connections. */
    static final long RESERVED_DESCRIPTORS = 256;

    private ConnectionLimits() {
    }

    /** The configured limit, lowered (with a warning) to what the descriptor limit allows. */
    static int effectiveMaxConnections(int configured) {
        long descriptors = maxDescriptors();
        if (descriptors <= 0) {
            return configured;
        }
        return effectiveMaxConnections(configured, descriptors);
    }

    static int effectiveMaxConnections(int configured, long descriptors) {
        long room = descriptors - RESERVED_DESCRIPTORS;
        if (configured <= room) {
            return configured;
        }
        int lowered = (int) Math.max(16, room);
        LOG.log(System.Logger.Level.WARNING, "server.max-connections is " + configured + " but the process may open "
                + "only " + descriptors + " files; serving at most " + lowered + " connections at once (raise "
                + "'ulimit -n', which bin/anima-vault raises to the hard limit)");
        return lowered;
    }

    /** The process's open-files limit, or -1 where the platform does not tell. */
    static long maxDescriptors() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return -1;
    }
}
