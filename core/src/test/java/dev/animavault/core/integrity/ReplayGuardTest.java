package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageChange;
import org.junit.jupiter.api.Test;

/**
 * The replay guard's memory of secrets, now kept under keyed digests of their references (issue 19): each
 * secret still has its own entry, found again from an equal reference made anew, and an identity's deletion
 * still drops exactly that identity's secrets.
 */
class ReplayGuardTest {
    // fresh strings each time, as a request's parsed body gives them
    private static SecretRef ref(String org, String identity, String key) {
        return new SecretRef(new String(org), new String(identity), new String(key));
    }

    @Test
    void eachSecretHasItsOwnEntryFoundAgainFromAnEqualReference() {
        ReplayGuard g = new ReplayGuard();
        g.wrote(ref("org", "agent", "K"), 3, 33);
        g.wrote(ref("org", "agent", "L"), 1, 11);
        assertEquals(3, g.before(ref("org", "agent", "K")).revision());
        assertEquals(1, g.before(ref("org", "agent", "L")).revision());
        assertNull(g.before(ref("org", "agentK", "")));
        assertNull(g.before(ref("other", "agent", "K")));

        long retired = g.retiredSoFar();
        // an older row, or the same revision under another MAC, is suspect; the current one is not
        assertTrue(g.suspect(2, 22, g.before(ref("org", "agent", "K")), retired));
        assertTrue(g.suspect(3, 34, g.before(ref("org", "agent", "K")), retired));
        assertFalse(g.suspect(3, 33, g.before(ref("org", "agent", "K")), retired));

        // a newer row retires the one it supersedes
        g.saw(ref("org", "agent", "K"), 4, 44);
        assertTrue(g.suspect(3, 33, null, g.retiredSoFar()));
        // another node's change: the revision no longer orders reads of that secret
        g.changed(StorageChange.secret(ref("org", "agent", "K")));
        assertFalse(g.suspect(1, 99, g.before(ref("org", "agent", "K")), g.retiredSoFar()));
        assertTrue(g.suspect(1, 99, g.before(ref("org", "agent", "L")), g.retiredSoFar()), "L still ordered");

        // deleted: its last MAC may never come back
        g.deleted(ref("org", "agent", "L"));
        assertNull(g.before(ref("org", "agent", "L")));
        assertTrue(g.suspect(1, 11, null, g.retiredSoFar()));
    }

    @Test
    void anIdentitysDeletionDropsItsSecretsAndNoOthers() {
        ReplayGuard g = new ReplayGuard();
        for (int i = 0; i < 50; i++) {
            g.wrote(ref("org", "agent", "K" + i), 1, 1000 + i);
            g.wrote(ref("org", "agent2", "K" + i), 1, 2000 + i);
            g.wrote(ref("org2", "agent", "K" + i), 1, 3000 + i);
        }
        g.saw(ref("org", "agent", "K0"), 2, 5000); // an entry replaced keeps its identity
        g.identityDeleted("org", "agent");
        for (int i = 0; i < 50; i++) {
            assertNull(g.before(ref("org", "agent", "K" + i)), "K" + i);
            assertNotNull(g.before(ref("org", "agent2", "K" + i)));
            assertNotNull(g.before(ref("org2", "agent", "K" + i)));
        }
        g.changed(StorageChange.identity("org2", "agent"));
        assertNull(g.before(ref("org2", "agent", "K7")), "another node's identity change drops its secrets too");
        assertNotNull(g.before(ref("org", "agent2", "K7")));
    }

    @Test
    void aReadOfTheRowAlreadyKnownChangesNothingAndANewerOneIsStillLearned() {
        ReplayGuard g = new ReplayGuard();
        SecretRef k = ref("org", "agent", "K");
        // nothing known: the read is remembered
        g.sawRead(k, 2, 22, g.before(k));
        assertEquals(2, g.before(k).revision());
        long retired = g.retiredSoFar();

        // the same row again: nothing retired, the entry unchanged
        g.sawRead(k, 2, 22, g.before(k));
        assertEquals(retired, g.retiredSoFar());
        assertEquals(22, g.before(k).tag());

        // a newer row read (written by another writer): learned, and the row it supersedes retired
        g.sawRead(k, 3, 33, g.before(k));
        assertEquals(3, g.before(k).revision());
        assertTrue(g.suspect(2, 22, null, g.retiredSoFar()), "the superseded row is now a replay");

        // after a foreign change the entry is not trusted as it was: the next read records its row again
        g.changed(StorageChange.secret(k));
        ReplayGuard.Seen foreign = g.before(k);
        assertTrue(foreign.foreign());
        g.sawRead(k, 3, 33, foreign);
        assertFalse(g.before(k).foreign(), "recorded again, ordered again");
        assertTrue(g.suspect(2, 29, g.before(k), g.retiredSoFar()));

        // removed while a read ran (its snapshot still shows the row): skipped, the next read adds it again
        ReplayGuard.Seen snapshot = g.before(k);
        g.deleted(k);
        g.sawRead(k, 3, 33, snapshot);
        assertNull(g.before(k));
        g.sawRead(k, 4, 44, g.before(k));
        assertEquals(4, g.before(k).revision());
    }
}
