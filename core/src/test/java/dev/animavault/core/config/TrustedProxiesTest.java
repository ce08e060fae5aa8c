package dev.animavault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which address is the client's, given the peer, X-Forwarded-For and the trusted proxies. */
class TrustedProxiesTest {
    private final TrustedProxies proxies = TrustedProxies.of(List.of("10.0.0.0/8", "192.0.2.7", "::1"));

    @Test
    void theHeaderIsBelievedOnlyFromATrustedPeer() {
        assertEquals("198.51.100.9", TrustedProxies.NONE.clientAddress("198.51.100.9", "203.0.113.5"));
        assertEquals("198.51.100.9", proxies.clientAddress("198.51.100.9", "203.0.113.5"), "untrusted peer");
        assertEquals("203.0.113.5", proxies.clientAddress("10.1.2.3", "203.0.113.5"));
        assertEquals("203.0.113.5", proxies.clientAddress("::1", " 203.0.113.5 "));
        assertEquals("10.1.2.3", proxies.clientAddress("10.1.2.3", null), "no header: the proxy itself");
    }

    @Test
    void theWalkGoesFromTheRightPastTrustedProxiesOnly() {
        // a client cannot pick its address by sending its own X-Forwarded-For: the rightmost untrusted hop wins
        assertEquals("203.0.113.5", proxies.clientAddress("10.0.0.1", "1.1.1.1, 203.0.113.5, 192.0.2.7"));
        assertEquals("203.0.113.5", proxies.clientAddress("10.0.0.1", "1.1.1.1,203.0.113.5,10.9.9.9"));
        // garbage stops the walk at the last hop a trusted proxy vouched for
        assertEquals("10.9.9.9", proxies.clientAddress("10.0.0.1", "203.0.113.5, evil.example, 10.9.9.9"));
        assertEquals("10.0.0.1", proxies.clientAddress("10.0.0.1", "not-an-address"));
        assertEquals("2001:db8::1", proxies.clientAddress("::1", "2001:db8::1"));
        // all trusted: the leftmost
        assertEquals("10.0.0.5", proxies.clientAddress("10.0.0.1", "10.0.0.5, 10.0.0.6"));
    }

    @Test
    void entriesMustBeAddressLiteralsOrCidrs() {
        for (String bad : List.of("proxy.example", "10.0.0.0/33", "10.0.0.0/x", "300.1.1.1", "")) {
            VaultException e = assertThrows(VaultException.class, () -> TrustedProxies.of(List.of(bad)), bad);
            assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        }
    }

    @Test
    void theLoaderReadsTheFileKeyAndTheEnvironmentVariableWins(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("vault.yaml");
        Files.writeString(file, "server:\n  trusted-proxies: [\"10.0.0.0/8\", \"::1\"]\n");
        VaultConfig fromFile = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString(),
                "ANIMA_VAULT_HOME", tmp.toString())).load();
        assertEquals(List.of("10.0.0.0/8", "::1"), fromFile.trustedProxies().entries());
        VaultConfig fromEnv = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString(),
                "ANIMA_VAULT_HOME", tmp.toString(), "ANIMA_VAULT_HTTP_TRUSTED_PROXIES", "127.0.0.1, 192.0.2.0/24"))
                .load();
        assertEquals(List.of("127.0.0.1", "192.0.2.0/24"), fromEnv.trustedProxies().entries());
        assertEquals(List.of(), new VaultConfigLoader(Map.of("ANIMA_VAULT_HOME", tmp.toString())).load()
                .trustedProxies().entries(), "none by default");
    }
}
