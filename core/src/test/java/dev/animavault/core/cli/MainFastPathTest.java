package dev.animavault.core.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which command lines start the server without picocli (issue 19); every other one goes through picocli. */
class MainFastPathTest {
    @Test
    void onlyThePlainServerCommandLinesSkipPicocli() {
        assertTrue(Main.plainServer(new String[] {"server"}));
        assertTrue(Main.plainServer(new String[] {"server", "--passphrase-stdin"}));
        assertFalse(Main.plainServer(new String[] {}));
        assertFalse(Main.plainServer(new String[] {"server", "--help"}));
        assertFalse(Main.plainServer(new String[] {"server", "-V"}));
        assertFalse(Main.plainServer(new String[] {"server", "--passphrase-stdin", "extra"}));
        assertFalse(Main.plainServer(new String[] {"server", "--passphrase"}));
        assertFalse(Main.plainServer(new String[] {"init"}));
        assertFalse(Main.plainServer(new String[] {"--passphrase-stdin", "server"}));
    }
}
