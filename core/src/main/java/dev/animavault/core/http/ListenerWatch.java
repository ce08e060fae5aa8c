package dev.animavault.core.http;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Watches Helidon's listener thread ({@code server-<socket>-listener}, the thread that accepts connections):
 * if it ends while the server is not being closed, the listener is gone and nothing will be served again.
 */
final class ListenerWatch {
    private static final System.Logger LOG = System.getLogger(ListenerWatch.class.getName());

    private final Thread listener;
    private final AtomicBoolean closing = new AtomicBoolean();

    private ListenerWatch(Thread listener) {
        this.listener = listener;
    }

    static ListenerWatch of(String socketName) {
        String name = "server-" + socketName + "-listener";
        Thread found = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name))
                .findFirst()
                .orElse(null);
        if (found == null) {
            LOG.log(System.Logger.Level.WARNING, "No thread named " + name + ": a listener that stops accepting "
                    + "connections will not be noticed");
        }
        return new ListenerWatch(found);
    }

    void onDeath(Runnable action) {
        if (listener == null) {
            return;
        }
        Thread.ofVirtual().name("listener-watch").start(() -> {
            try {
                listener.join();
            } catch (InterruptedException e) {
                return;
            }
            if (!closing.get()) {
                action.run();
            }
        });
    }

    void closing() {
        closing.set(true);
    }
}
