package dev.animavault.core.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Notices a listener that stopped accepting while the process lives. Helidon ends its listener for good
 * on any accept() error (and its listener thread then blocks forever waiting for itself, so the thread
 * does not end either); what is observable is that the port refuses connections. One virtual thread
 * connects to the port every {@code interval} and closes at once; a refusal while the server is not
 * being closed runs the action. A timeout or any other error is inconclusive (a full accept queue drops
 * the SYN; a process out of descriptors cannot open the probe socket) and the probe tries again.
 */
final class ListenerWatch {
    private static final System.Logger LOG = System.getLogger(ListenerWatch.class.getName());

    private final InetSocketAddress address;
    private final Duration interval;
    private final AtomicBoolean closing = new AtomicBoolean();

    ListenerWatch(InetSocketAddress address, Duration interval) {
        this.address = address;
        this.interval = interval;
    }

    /** Watches {@code host:port}; a wildcard host is probed on the loopback address. */
    static ListenerWatch of(String host, int port, Duration interval) {
        InetAddress target;
        try {
            target = InetAddress.getByName(host);
        } catch (IOException e) {
            target = InetAddress.getLoopbackAddress();
        }
        if (target.isAnyLocalAddress()) {
            target = InetAddress.getLoopbackAddress();
        }
        return new ListenerWatch(new InetSocketAddress(target, port), interval);
    }

    /** Starts watching; {@code action} runs at most once. */
    void onDeath(Runnable action) {
        Thread.ofVirtual().name("listener-watch").start(() -> {
            while (!closing.get()) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                if (refused() && !closing.get()) {
                    LOG.log(System.Logger.Level.ERROR, "The HTTP listener on " + address + " refuses connections");
                    action.run();
                    return;
                }
            }
        });
    }

    private boolean refused() {
        try (Socket probe = new Socket()) {
            probe.connect(address, (int) Math.max(100, interval.toMillis()));
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    void closing() {
        closing.set(true);
    }
}
