package dev.animavault.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.Properties;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 (eleventh pass): {@link Main#configureLogging()} calls Helidon's JUL provider directly instead of going
 * through {@code LogConfig} (which looked the provider up with Helidon's service loader first); the outcome must be
 * the same: the class path's {@code logging.properties} read into the {@link LogManager}.
 */
class MainLoggingTest {
    @Test
    void configureLoggingReadsTheShippedLoggingProperties() throws Exception {
        Properties shipped = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("/logging.properties")) {
            assertNotNull(in, "core ships logging.properties");
            shipped.load(in);
        }
        String format = shipped.getProperty("java.util.logging.SimpleFormatter.format");
        assertNotNull(format);

        Main.configureLogging();

        LogManager logs = LogManager.getLogManager();
        assertEquals(format, logs.getProperty("java.util.logging.SimpleFormatter.format"));
        assertEquals(Level.WARNING, Logger.getLogger("org.pf4j").getLevel(), "org.pf4j.level=WARNING");
        assertEquals(Level.INFO, Logger.getLogger("").getLevel(), ".level=INFO");
        Handler[] root = Logger.getLogger("").getHandlers();
        assertTrue(root.length == 1 && root[0] instanceof ConsoleHandler, "handlers=java.util.logging.ConsoleHandler");
    }
}
