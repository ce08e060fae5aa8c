package dev.animavault.core.plugin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class EgressPolicyTest {
    @Test
    void internalAddressesAreDeniedUnlessAllowListed() {
        EgressPolicy none = new EgressPolicy(List.of());
        for (String url : List.of("http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/",
                "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://0.0.0.0/",
                "http://[fd00::1]/", "http://100.64.0.1/")) {
            VaultException e = assertThrows(VaultException.class, () -> none.check(URI.create(url)), url);
            assertEquals(ErrorCode.EGRESS_DENIED, e.errorCode());
        }
        assertThrows(VaultException.class, () -> none.check(URI.create("file:///etc/passwd")));
        EgressPolicy allowed = new EgressPolicy(List.of("127.0.0.1", "10.0.0.0/8"));
        assertDoesNotThrow(() -> allowed.check(URI.create("http://127.0.0.1:9999/rotate")));
        assertDoesNotThrow(() -> allowed.check(URI.create("http://10.200.3.4/")));
        assertThrows(VaultException.class, () -> allowed.check(URI.create("http://192.168.1.1/")));
        assertDoesNotThrow(() -> new EgressPolicy(List.of()).check(URI.create("https://93.184.216.34/")));
    }
}
