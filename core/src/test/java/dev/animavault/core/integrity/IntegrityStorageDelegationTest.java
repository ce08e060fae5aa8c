package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.spi.storage.StorageBackend;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The integrity layer wraps every storage plugin, so a default method of the SPI it does not override
 * would silently bypass the plugin (the SPI default refuses or does nothing). A merge once left
 * {@code destroyVersion} out, and retired versions were never destroyed: every default method must be
 * overridden here, delegating or checking.
 */
class IntegrityStorageDelegationTest {

    @Test
    void everyDefaultMethodOfTheStorageSpiIsOverridden() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Method m : StorageBackend.class.getMethods()) {
            if (!m.isDefault()) {
                continue;
            }
            Method impl = IntegrityStorage.class.getMethod(m.getName(), m.getParameterTypes());
            if (impl.getDeclaringClass() != IntegrityStorage.class) {
                missing.add(m.getName());
            }
        }
        assertEquals(List.of(), missing, "StorageBackend default methods IntegrityStorage does not override");
    }
}
