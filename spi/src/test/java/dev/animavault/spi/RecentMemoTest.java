package dev.animavault.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentMemoTest {

    private static String find(RecentMemo<String> memo, String text) {
        int h = text.hashCode();
        for (int way = 0; way < 2; way++) {
            String e = memo.candidate(h, way);
            if (text.equals(e)) {
                return e;
            }
        }
        return null;
    }

    private static void offer(RecentMemo<String> memo, String text) {
        if (memo.admit(text.hashCode())) {
            memo.keep(text.hashCode(), text);
        }
    }

    @Test
    void slotsMustBeAPowerOfTwoOfAtLeastTwo() {
        for (int bad : new int[] {-2, 0, 1, 3, 6, 1000}) {
            assertThrows(IllegalArgumentException.class, () -> new RecentMemo<String>(bad), "slots " + bad);
        }
        new RecentMemo<String>(2);
        new RecentMemo<String>(4096);
    }

    @Test
    void theDoorkeeperAdmitsAHashOnlyTheSecondTime() {
        RecentMemo<String> memo = new RecentMemo<>(64);
        assertFalse(memo.admit(12345), "first time: only noted");
        assertTrue(memo.admit(12345), "second time: admitted");
        assertTrue(memo.admit(12345), "still noted");

        String row = new String("row-a");
        offer(memo, row);
        assertNull(find(memo, "row-a"), "offered once: not kept");
        offer(memo, row);
        assertSame(row, find(memo, "row-a"), "offered twice: kept");
    }

    @Test
    void aCandidateUnderAnotherHashIsNotReturned() {
        RecentMemo<String> memo = new RecentMemo<>(2); // one pair: every hash maps to it
        memo.keep(1, "one");
        memo.keep(2, "two");
        assertEquals("one", memo.candidate(1, 0) != null ? memo.candidate(1, 0) : memo.candidate(1, 1));
        assertEquals("two", memo.candidate(2, 0) != null ? memo.candidate(2, 0) : memo.candidate(2, 1));
        assertNull(memo.candidate(3, 0));
        assertNull(memo.candidate(3, 1));
    }

    @Test
    void aPairHoldsTwoEntriesBeforeItReplacesOne() {
        RecentMemo<String> memo = new RecentMemo<>(2);
        memo.keep(7, "first");
        memo.keep(9, "second");
        // both ways taken: each entry is found under its own hash
        assertTrue("first".equals(memo.candidate(7, 0)) || "first".equals(memo.candidate(7, 1)));
        assertTrue("second".equals(memo.candidate(9, 0)) || "second".equals(memo.candidate(9, 1)));
        memo.keep(11, "third");
        // a full pair: the third replaced one of the two, so exactly two of the three are kept
        int kept = 0;
        int[] hashes = {7, 9, 11};
        for (int h : hashes) {
            if (memo.candidate(h, 0) != null || memo.candidate(h, 1) != null) {
                kept++;
            }
        }
        assertEquals(2, kept);
        assertTrue(memo.candidate(11, 0) != null || memo.candidate(11, 1) != null, "the newest is kept");
    }

    @Test
    void memoryStaysBoundedOnAWalkThroughManyMoreEntriesThanSlots() {
        RecentMemo<String> memo = new RecentMemo<>(16);
        List<String> walked = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 10_000; i++) {
                String t = "row-" + i;
                offer(memo, t);
                if (round == 0) {
                    walked.add(t);
                }
            }
        }
        int found = 0;
        for (String t : walked) {
            if (find(memo, t) != null) {
                found++;
            }
        }
        assertTrue(found <= 16, "at most one entry per slot is kept, found " + found);
    }

    @Test
    void clearForgetsEntriesAndNotedHashes() {
        RecentMemo<String> memo = new RecentMemo<>(8);
        offer(memo, "x");
        offer(memo, "x");
        assertEquals("x", find(memo, "x"));
        memo.clear();
        assertNull(find(memo, "x"));
        assertFalse(memo.admit("x".hashCode()), "the doorkeeper forgot the hash too");
    }
}
