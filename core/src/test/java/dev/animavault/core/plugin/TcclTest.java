package dev.animavault.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TcclTest {

    /** A sink that remembers the context class loader of each call and can fail. */
    static final class Sink implements QueryableAuditSink {
        final AtomicReference<ClassLoader> seen = new AtomicReference<>();

        @Override
        public void probe() {
            seen.set(Thread.currentThread().getContextClassLoader());
        }

        @Override
        public void write(List<AuditEvent> events) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "down");
        }

        @Override
        public Page<AuditEvent> query(AuditQuery query) {
            seen.set(Thread.currentThread().getContextClassLoader());
            return Page.last(List.of());
        }

        @Override
        public void close() {
        }
    }

    @Test
    void callsRunWithThePluginLoaderAsTcclAndExceptionsPassUnwrapped() throws Exception {
        try (URLClassLoader pluginLoader = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
            Sink target = new Sink();
            AuditSink proxy = Tccl.wrap(AuditSink.class, target, pluginLoader);
            ClassLoader before = Thread.currentThread().getContextClassLoader();
            for (int i = 0; i < 3; i++) { // later calls take the cached unchecked method
                proxy.probe();
                assertSame(pluginLoader, target.seen.get());
                assertSame(before, Thread.currentThread().getContextClassLoader(), "restored");
            }
            VaultException e = assertThrows(VaultException.class, () -> proxy.write(List.of()));
            assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
            assertSame(before, Thread.currentThread().getContextClassLoader(), "restored after a throw");
            assertTrue(proxy instanceof QueryableAuditSink, "optional SPI capabilities stay visible");
            target.seen.set(null);
            ((QueryableAuditSink) proxy).query(null);
            assertSame(pluginLoader, target.seen.get());
            assertTrue(proxy.toString().contains("plugin:"));
        }
    }
}
