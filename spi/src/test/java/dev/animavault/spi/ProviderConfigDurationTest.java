package dev.animavault.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProviderConfigDurationTest {
    private static ProviderConfig config(String value) {
        return ProviderConfig.of("p", Map.of("d", value), Set.of());
    }

    @Test
    void parsesShortAndIsoFormsAndFallsBackToTheDefault() {
        assertEquals(Duration.ofMillis(500), config("500ms").getDuration("d", Duration.ZERO));
        assertEquals(Duration.ofDays(30), config("30d").getDuration("d", Duration.ZERO));
        assertEquals(Duration.ofSeconds(30), config("PT30S").getDuration("d", Duration.ZERO));
        assertEquals(Duration.ZERO, config("0s").getDuration("d", Duration.ofSeconds(1)));
        assertEquals(Duration.ofSeconds(7), config("1s").getDuration("other", Duration.ofSeconds(7)));
    }

    @Test
    void refusesNegativeAndMalformedValuesAsConfigurationErrorsNamingTheKey() {
        for (String bad : new String[] {"-1s", "PT-5S", "soon"}) {
            VaultException e = assertThrows(VaultException.class, () -> config(bad).getDuration("d", Duration.ZERO));
            assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
            assertTrue(e.getMessage().contains("'d'") && e.getMessage().contains("'p'"), e.getMessage());
        }
        assertTrue(assertThrows(VaultException.class, () -> config("PT-5S").getDuration("d", Duration.ZERO))
                .getMessage().contains("must not be negative"));
    }
}
