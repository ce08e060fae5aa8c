package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Splitting SQLite's packed secrets page ({@link Listing#unpacked(String, int, Listing.PackedRow)}): rows in key
 * order come back in order; rows out of order, repeated keys or more rows than asked answer null, which makes
 * the listing fall back to its row-by-row query (SQLite does not promise {@code group_concat}'s order, and no
 * test can make it break it, so the fallback's trigger is tested here).
 */
class ListingUnpackTest {
    private static final char ROW = '\u001e';
    private static final Listing.PackedRow<String> FIRST_FIELD = text ->
            new Listing.KeyedRow<>(text.substring(0, text.indexOf('\u001f')), text);

    private static List<String> unpack(String packed, int max) throws SQLException {
        return Listing.unpacked(packed, max, FIRST_FIELD);
    }

    @Test
    void rowsInKeyOrderComeBackInOrder() throws SQLException {
        String packed = "A\u001f1" + ROW + "B\u001f2" + ROW + "C\u001f3";
        assertEquals(List.of("A\u001f1", "B\u001f2", "C\u001f3"), unpack(packed, 3));
        assertEquals(List.of("only\u001fx"), unpack("only\u001fx", 1));
        assertEquals(List.of(), unpack(null, 101), "no rows: SQLite's group_concat gives NULL");
    }

    @Test
    void rowsOutOfOrderOrRepeatedAnswerNullForTheRowByRowQuery() throws SQLException {
        assertNull(unpack("B\u001f2" + ROW + "A\u001f1", 10), "descending");
        assertNull(unpack("A\u001f1" + ROW + "C\u001f3" + ROW + "B\u001f2", 10), "out of order at the end");
        assertNull(unpack("A\u001f1" + ROW + "A\u001f1", 10), "a key twice");
    }

    @Test
    void moreRowsThanAskedAnswerNull() throws SQLException {
        assertNull(unpack("A\u001f1" + ROW + "B\u001f2" + ROW + "C\u001f3", 2));
    }
}
