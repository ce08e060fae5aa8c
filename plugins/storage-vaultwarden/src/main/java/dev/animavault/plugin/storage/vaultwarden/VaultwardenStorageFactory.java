package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.CryptoException;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Creates the {@code vaultwarden} storage backend: logs in with the service account's API key, unlocks
 * its keys with the master password, decrypts the configured organization's key, builds the item index
 * and makes sure the system collection exists. Fails with {@code CONFIGURATION} for a wrong API key,
 * master password or organization, and {@code STORAGE_UNAVAILABLE} when Vaultwarden cannot be reached.
 * Stateless and thread-safe.
 */
public final class VaultwardenStorageFactory implements StorageBackendFactory {
    /** The provider name configuration uses. */
    public static final String NAME = "vaultwarden";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Vaultwarden/Bitwarden organization; values end-to-end encrypted with Bitwarden's scheme";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return VaultwardenSettings.properties();
    }

    @Override
    public StorageBackend create(ProviderConfig config, PluginContext context) {
        Objects.requireNonNull(config, "config is null");
        Objects.requireNonNull(context, "context is null");
        VaultwardenSettings settings = VaultwardenSettings.from(config, context.dataDirectory());
        OutboundHttpClient http = settings.caCertificate().isPresent()
                ? context.http(sslContext(settings.caCertificate().get())) : context.http();
        VaultwardenApi api = new VaultwardenApi(settings.url(), http, settings.requestTimeout(), context.clock(),
                settings.clientId(), settings.clientSecret(), settings.resolveDeviceIdentifier(context.dataDirectory()));
        AccountKeys keys = null;
        try {
            JsonNode grant;
            try {
                grant = api.login();
            } catch (VaultwardenApi.LoginRejectedException e) {
                throw new VaultException(ErrorCode.CONFIGURATION, "configuration keys 'client-id'/'client-secret' of "
                        + "storage backend 'vaultwarden': " + e.getMessage());
            }
            keys = AccountKeys.unlock(grant, settings.email(), settings.masterPassword(),
                    () -> api.prelogin(settings.email()));
            VaultwardenApi.Response sync = api.call("GET", "/sync?excludeDomains=true", null);
            if (!sync.ok() || sync.body() == null) {
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "Vaultwarden sync answered HTTP " + sync.status());
            }
            JsonNode org = organization(sync.body(), settings.organizationId());
            SymmetricKey orgKey;
            try {
                orgKey = keys.organizationKey(Json.text(org, "key"));
            } catch (CryptoException e) {
                throw new VaultException(ErrorCode.CONFIGURATION, "the key of organization '" + settings.organizationId()
                        + "' does not decrypt with the account's private key: " + e.getMessage());
            }
            VaultwardenStorageBackend backend = new VaultwardenStorageBackend(api, settings.organizationId(),
                    Json.text(org, "organizationUserId"), orgKey, context.clock(), settings.syncInterval());
            backend.start(sync.body());
            return backend;
        } catch (RuntimeException e) {
            api.close();
            throw e;
        } finally {
            if (keys != null) {
                keys.wipe();
            }
            java.util.Arrays.fill(settings.masterPassword(), '\0');
        }
    }

    private static JsonNode organization(JsonNode sync, String organizationId) {
        JsonNode orgs = Json.get(Json.get(sync, "profile"), "organizations");
        if (orgs != null) {
            for (JsonNode o : orgs) {
                if (organizationId.equals(Json.text(o, "id"))) {
                    if (Json.integer(o, "status", -1) != 2 || Json.text(o, "key") == null) {
                        throw new VaultException(ErrorCode.CONFIGURATION, "configuration key 'organization-id': the "
                                + "account is not a confirmed member of organization '" + organizationId + "'");
                    }
                    return o;
                }
            }
        }
        throw new VaultException(ErrorCode.CONFIGURATION, "configuration key 'organization-id': the account is not a "
                + "member of organization '" + organizationId + "'");
    }

    /** A TLS context that trusts exactly the CA certificates of a PEM file. */
    static SSLContext sslContext(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new VaultException(ErrorCode.CONFIGURATION, "configuration key 'ca-certificate': " + pem
                        + " holds no certificate");
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "configuration key 'ca-certificate': cannot read CA "
                    + "certificates from " + pem + ": " + e.getMessage(), e);
        }
    }
}
