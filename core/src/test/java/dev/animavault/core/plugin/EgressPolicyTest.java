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

    @Test
    void pluginHttpClientsEnforceThePolicyBeforeConnecting() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        try {
            URI target = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
            java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(target).GET().build();
            CorePluginContext denied = new CorePluginContext(java.time.Clock.systemUTC(), java.nio.file.Path.of("."),
                    new EgressPolicy(List.of()), "dep");
            assertEquals(ErrorCode.EGRESS_DENIED, assertThrows(VaultException.class,
                    () -> denied.http().send(req)).errorCode());
            assertEquals(ErrorCode.EGRESS_DENIED, assertThrows(VaultException.class,
                    () -> denied.http(javax.net.ssl.SSLContext.getDefault()).send(req)).errorCode());
            CorePluginContext allowed = new CorePluginContext(java.time.Clock.systemUTC(), java.nio.file.Path.of("."),
                    new EgressPolicy(List.of("127.0.0.1")), "dep");
            assertEquals(204, allowed.http().send(req).statusCode());
        } finally {
            server.stop(0);
        }
    }
}
