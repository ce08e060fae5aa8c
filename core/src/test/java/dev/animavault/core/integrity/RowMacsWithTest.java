package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link RowMacs#with}: the {@code _mac} field set on maps of every size, without a copy the record would repeat. */
class RowMacsWithTest {

    @Test
    void setsTheFieldOnMapsOfEverySize() {
        assertEquals(Map.of("_mac", "m"), RowMacs.with(Map.of(), "_mac", "m"));
        assertEquals(Map.of("hint", "sk-b...cdef", "_mac", "m"), RowMacs.with(Map.of("hint", "sk-b...cdef"), "_mac", "m"));
        assertEquals(Map.of("_mac", "new"), RowMacs.with(Map.of("_mac", "old"), "_mac", "new"));
        Map<String, String> many = new HashMap<>(Map.of("a", "1", "b", "2", "_mac", "old"));
        assertEquals(Map.of("a", "1", "b", "2", "_mac", "new"), RowMacs.with(many, "_mac", "new"));
        assertEquals(Map.of("a", "1", "b", "2", "_mac", "old"), many, "the argument is not changed");
    }

    @Test
    void smallMapsAreImmutableSoTheRecordKeepsThemWithoutACopy() {
        Map<String, String> none = RowMacs.with(Map.of(), "_mac", "m");
        Map<String, String> one = RowMacs.with(Map.of("hint", "h"), "_mac", "m");
        assertSame(none, Map.copyOf(none));
        assertSame(one, Map.copyOf(one));
    }
}
