package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.plugin.storage.vaultwarden.crypto.Kdf;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A test server with one service account that owns one organization, and helpers to configure and
 * create the backend against it.
 */
final class TestVault implements AutoCloseable {
    static final String EMAIL = "Agents@Example.test ";
    static final String PASSWORD = "correct horse battery staple ✓";

    final BitwardenTestServer server;
    final BitwardenTestServer.Account account;
    final String organizationId;

    TestVault(Kdf kdf) throws IOException {
        this(kdf, BitwardenTestServer.Flavour.VAULTWARDEN);
    }

    TestVault(Kdf kdf, BitwardenTestServer.Flavour flavour) throws IOException {
        server = new BitwardenTestServer(flavour);
        account = server.createAccount(EMAIL.trim().toLowerCase(java.util.Locale.ROOT), PASSWORD, kdf);
        organizationId = server.createOrganization(account, "Agents");
    }

    TestVault() throws IOException {
        this(Kdf.pbkdf2(5000));
    }

    Map<String, String> config() {
        Map<String, String> m = new HashMap<>();
        m.put(VaultwardenSettings.URL, server.url() + "/");
        m.put(VaultwardenSettings.EMAIL, EMAIL);
        m.put(VaultwardenSettings.MASTER_PASSWORD, PASSWORD);
        m.put(VaultwardenSettings.CLIENT_ID, account.clientId());
        m.put(VaultwardenSettings.CLIENT_SECRET, account.apiKey);
        m.put(VaultwardenSettings.ORGANIZATION_ID, organizationId);
        m.put(VaultwardenSettings.CA_CERTIFICATE, TestTls.get().pem().toString());
        m.put(VaultwardenSettings.SYNC_INTERVAL, "30s");
        m.put(VaultwardenSettings.REQUEST_TIMEOUT, "5s");
        return m;
    }

    static ProviderConfig providerConfig(Map<String, String> values) {
        return ProviderConfig.of(VaultwardenStorageFactory.NAME, values,
                Set.of(VaultwardenSettings.MASTER_PASSWORD, VaultwardenSettings.CLIENT_SECRET));
    }

    VaultwardenStorageBackend backend(Path dataDir) {
        return backend(dataDir, config());
    }

    VaultwardenStorageBackend backend(Path dataDir, Map<String, String> config) {
        StorageBackend b = new VaultwardenStorageFactory().create(providerConfig(config),
                TestPluginContext.withHttp(dataDir));
        return (VaultwardenStorageBackend) b;
    }

    @Override
    public void close() {
        server.close();
    }
}
