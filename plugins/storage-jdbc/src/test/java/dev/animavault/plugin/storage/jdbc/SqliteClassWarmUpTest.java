package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SqliteClassWarmUpTest {

    @Test
    void runsTwiceWithoutFailingAndTouchesNoFile() throws Exception {
        Path cwd = Path.of(System.getProperty("user.dir"));
        List<Path> before = list(cwd);
        SqliteNativeLibrary.prepare();
        org.sqlite.SQLiteJDBCLoader.initialize();
        // run() never throws: a step that fails only logs at FINE; record those to see that every step worked
        Logger log = Logger.getLogger(SqliteClassWarmUp.class.getName());
        List<String> failures = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                failures.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(Level.ALL);
        Level previous = log.getLevel();
        log.setLevel(Level.FINE);
        log.addHandler(handler);
        try {
            SqliteClassWarmUp.run();
            SqliteClassWarmUp.run(); // the warm-up and a second node's in one JVM
        } finally {
            log.removeHandler(handler);
            log.setLevel(previous);
        }
        assertEquals(List.of(), failures, "a warm-up step failed");
        assertEquals(before, list(cwd));
        // what it initialised is usable: the closed-connection proxy HikariCP hands out after close()
        Class<?> closed = Class.forName("com.zaxxer.hikari.pool.ProxyConnection$ClosedConnection", false,
                SqliteClassWarmUp.class.getClassLoader());
        assertNotNull(closed);
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
