package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SqliteClassWarmUpTest {

    @Test
    void runsTwiceWithoutFailingAndTouchesNoFile() throws Exception {
        Path cwd = Path.of(System.getProperty("user.dir"));
        List<Path> before = list(cwd);
        SqliteNativeLibrary.prepare();
        org.sqlite.SQLiteJDBCLoader.initialize();
        SqliteClassWarmUp.run();
        SqliteClassWarmUp.run(); // the warm-up and a second node's in one JVM
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
