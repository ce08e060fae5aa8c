package dev.animavault.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugin loading through PF4J: bundled zips, a zip built outside the reactor, and every way it can fail. */
class PluginLoadingTest {
    @TempDir
    Path tmp;

    @Test
    void bundledPluginsRegisterTheirFactories() {
        try (PluginRegistry registry = PluginRegistry.load(TestVault.pluginsDir(tmp))) {
            assertTrue(registry.storageBackends().containsKey("jdbc"));
            assertTrue(registry.credentialTypes().containsKey("api_key"));
            assertTrue(registry.auditSinks().containsKey("file"));
            assertEquals("storage-jdbc", registry.storageBackends().get("jdbc").pluginId());
        }
    }

    @Test
    void aPluginBuiltOutsideTheReactorLoadsAndIsUsed() throws Exception {
        Path zip = TestPluginBuilder.licensePlugin("license-plugin").buildInto(Files.createDirectories(tmp.resolve("built")));
        Path flag = tmp.resolve("audit-off");
        try (TestVault vault = TestVault.start(tmp, b -> b
                .credentialTypes(List.of("api_key", "license_key"))
                .audit(List.of(new ProviderSpec("file", Map.of()),
                        new ProviderSpec("switchable", Map.of("fail-flag", flag.toString())))), zip)) {
            String owner = TestVault.OWNER_TOKEN;
            vault.post("/v1/identities", owner, "{\"id\":\"agent_1\"}");
            TestVault.Response bad = vault.post("/v1/vault/secrets", owner, "{\"identityId\":\"agent_1\",\"key\":\"L\","
                    + "\"value\":\"nope\",\"type\":\"license_key\"}");
            assertEquals(422, bad.status(), bad.body());
            assertEquals("a license key looks like LIC-1234", bad.json().get("detail").asText());
            assertEquals(201, vault.post("/v1/vault/secrets", owner, "{\"identityId\":\"agent_1\",\"key\":\"L\","
                    + "\"value\":\"LIC-2026\",\"type\":\"license_key\"}").status());
            assertEquals("LIC-2026", vault.get("/v1/vault/secrets/agent_1/L", owner).json().get("value").asText());
        }
    }

    @Test
    void secretReadFailsClosedWhenNoSinkRecordsIt() throws Exception {
        Path zip = TestPluginBuilder.licensePlugin("license-plugin").buildInto(Files.createDirectories(tmp.resolve("built")));
        Path flag = tmp.resolve("audit-off");
        try (TestVault vault = TestVault.start(tmp, b -> b
                .audit(List.of(new ProviderSpec("switchable", Map.of("fail-flag", flag.toString()))))
                .auditTimeout(java.time.Duration.ofSeconds(2)), zip)) {
            String owner = TestVault.OWNER_TOKEN;
            vault.post("/v1/identities", owner, "{\"id\":\"agent_1\"}");
            assertEquals(201, vault.post("/v1/vault/secrets", owner, "{\"identityId\":\"agent_1\",\"key\":\"K\","
                    + "\"value\":\"fail-closed-value\",\"type\":\"api_key\"}").status());
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", owner).status());
            Files.createFile(flag);
            TestVault.Response r = vault.get("/v1/vault/secrets/agent_1/K", owner);
            assertEquals(503, r.status(), r.body());
            assertEquals("audit_unavailable", r.code());
            assertTrue(!r.body().contains("fail-closed-value"), "no value without an audit record");
            Files.delete(flag);
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", owner).status());
        }
    }

    /**
     * PF4J unpacks a zip again only when it is newer than the directory it unpacked before; a release
     * unpacked over an installation brings zips older than that directory.
     */
    @Test
    void aReplacedZipIsUnpackedAgainEvenWhenOlderThanItsDirectory() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        Path zip = credentialTypePlugin("upgraded-plugin", "type_v1").buildInto(plugins);
        try (PluginRegistry registry = PluginRegistry.load(plugins)) {
            assertTrue(registry.credentialTypes().containsKey("type_v1"));
        }
        Path dir = plugins.resolve("upgraded-plugin");
        assertTrue(Files.isRegularFile(dir.resolve(UnpackedPlugins.STAMP)), "unpacked directory stamped");
        Files.writeString(dir.resolve("sentinel"), "x");
        try (PluginRegistry registry = PluginRegistry.load(plugins)) {
            assertTrue(registry.credentialTypes().containsKey("type_v1"));
        }
        assertTrue(Files.exists(dir.resolve("sentinel")), "an unchanged zip is not unpacked again");

        credentialTypePlugin("upgraded-plugin", "type_v2").buildInto(plugins);
        FileTime older = FileTime.fromMillis(Files.getLastModifiedTime(dir).toMillis() - 3_600_000);
        Files.setLastModifiedTime(zip, older);
        try (PluginRegistry registry = PluginRegistry.load(plugins)) {
            assertTrue(registry.credentialTypes().containsKey("type_v2"), registry.credentialTypes().keySet().toString());
            assertFalse(registry.credentialTypes().containsKey("type_v1"));
        }
        assertFalse(Files.exists(dir.resolve("sentinel")), "the stale directory was replaced");
    }

    /** A directory beside a zip that this vault did not unpack is someone's: it is never deleted. */
    @Test
    void anUnstampedDirectoryIsNeverDeleted() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        Path zip = credentialTypePlugin("own-plugin", "type_zip").buildInto(plugins);
        Path dir = plugins.resolve("own-plugin");
        try (PluginRegistry registry = PluginRegistry.load(plugins)) {
            assertTrue(registry.credentialTypes().containsKey("type_zip"));
        }
        Files.delete(dir.resolve(UnpackedPlugins.STAMP)); // as if unpacked by PF4J alone
        Files.writeString(dir.resolve("sentinel"), "x");
        Files.setLastModifiedTime(zip, FileTime.fromMillis(Files.getLastModifiedTime(dir).toMillis() - 3_600_000));
        try (PluginRegistry registry = PluginRegistry.load(plugins)) {
            assertTrue(registry.credentialTypes().containsKey("type_zip"));
        }
        assertTrue(Files.exists(dir.resolve("sentinel")), "kept");
        assertFalse(Files.exists(dir.resolve(UnpackedPlugins.STAMP)), "not adopted: PF4J did not unpack it");
    }

    /** A plugin with one credential type of that name (its factory creates nothing). */
    private static TestPluginBuilder credentialTypePlugin(String id, String typeName) {
        return TestPluginBuilder.plugin(id).source("org.example.types.TypePlugin", """
                package org.example.types;
                import dev.animavault.spi.*;
                import dev.animavault.spi.credential.*;
                import java.util.List;
                @org.pf4j.Extension
                public class TypePlugin implements VaultPlugin {
                    public List<CredentialTypeFactory> credentialTypes() {
                        return List.of(new CredentialTypeFactory() {
                            public String name() { return "%s"; }
                            public List<ConfigProperty> configProperties() { return List.of(); }
                            public CredentialType create(ProviderConfig c, PluginContext x) { return null; }
                        });
                    }
                }
                """.formatted(typeName));
    }

    @Test
    void unknownStorageBackendStopsStartupListingWhatExists() {
        VaultException e = assertThrows(VaultException.class, () -> TestVault.start(tmp, b -> b
                .storage(ProviderSpec.of("nosuch"))));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("'nosuch'"), e.getMessage());
        assertTrue(e.getMessage().contains("jdbc"), e.getMessage());
    }

    @Test
    void unknownCredentialTypeAndAuditSinkStopStartup() {
        VaultException type = assertThrows(VaultException.class, () -> TestVault.start(tmp, b -> b
                .credentialTypes(List.of("api_key", "kerberos"))));
        assertTrue(type.getMessage().contains("kerberos") && type.getMessage().contains("api_key"), type.getMessage());
        VaultException sink = assertThrows(VaultException.class, () -> TestVault.start(tmp, b -> b
                .audit(List.of(ProviderSpec.of("syslog")))));
        assertTrue(sink.getMessage().contains("syslog") && sink.getMessage().contains("file"), sink.getMessage());
    }

    @Test
    void unknownProviderConfigKeyStopsStartup() {
        VaultException e = assertThrows(VaultException.class, () -> TestVault.start(tmp, b -> b
                .storage(new ProviderSpec("jdbc", Map.of("urll", "jdbc:sqlite:x.db")))));
        assertTrue(e.getMessage().contains("urll") && e.getMessage().contains("known keys"), e.getMessage());
    }

    @Test
    void incompatiblePluginStopsStartup() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        TestPluginBuilder.licensePlugin("future-plugin").requires(">=2.0.0").buildInto(plugins);
        VaultException e = assertThrows(VaultException.class, () -> PluginRegistry.load(plugins).close());
        assertTrue(e.getMessage().contains("future-plugin") && e.getMessage().contains(">=2.0.0"), e.getMessage());
    }

    /** "x.zip" unpacks to "x/": for ".zip", "..zip" and "...zip" that would be the plugins directory or its parent. */
    @Test
    void zipWithoutABaseNameStopsStartupAndNothingIsDeleted() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        Path keepHere = Files.writeString(plugins.resolve("keep-me"), "x");
        Path keepAbove = Files.writeString(plugins.getParent().resolve("keep-me-too"), "x");
        for (String name : new String[] {".zip", "..zip", "...zip"}) {
            Path zip = Files.write(plugins.resolve(name), new byte[] {1, 2, 3, 4});
            VaultException e = assertThrows(VaultException.class, () -> PluginRegistry.load(plugins).close());
            assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
            assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains("no name before .zip"),
                    e.getMessage());
            assertTrue(Files.exists(keepHere) && Files.exists(keepAbove), name);
            Files.delete(zip);
        }
        assertThrows(VaultException.class, () -> UnpackedPlugins.unpackedDir(plugins.resolve("...zip")));
    }

    @Test
    void brokenZipStopsStartup() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        Files.write(plugins.resolve("broken.zip"), new byte[] {1, 2, 3, 4});
        VaultException e = assertThrows(VaultException.class, () -> PluginRegistry.load(plugins).close());
        assertTrue(e.getMessage().contains("broken"), e.getMessage());
    }

    @Test
    void duplicateProviderNamesStopStartup() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        TestPluginBuilder.licensePlugin("license-a").buildInto(plugins);
        credentialTypePlugin("license-c", "license_key").buildInto(plugins);
        VaultException e = assertThrows(VaultException.class, () -> PluginRegistry.load(plugins).close());
        assertTrue(e.getMessage().contains("license_key") && e.getMessage().contains("license-c"), e.getMessage());
    }

    // --- issue 19: a start loads only the plugins whose declared providers its configuration uses ---

    private static final PluginRegistry.Selection DEFAULT_SELECTION = new PluginRegistry.Selection(
            java.util.Set.of("jdbc"), java.util.Set.of("api_key"), java.util.Set.of("file"));

    @Test
    void aStartLoadsOnlyTheSelectedPluginsAndListsTheOthers() throws Exception {
        try (PluginRegistry registry = PluginRegistry.load(TestVault.pluginsDir(tmp), DEFAULT_SELECTION)) {
            assertEquals(java.util.Set.of("jdbc"), registry.storageBackends().keySet());
            assertEquals(java.util.Set.of("api_key"), registry.credentialTypes().keySet());
            assertEquals(java.util.Set.of("file"), registry.auditSinks().keySet());
            // root key providers are always loaded: a keyring rotated elsewhere may name any of them
            assertTrue(registry.rootKeyProviders().containsKey("pkcs11"), registry.rootKeyProviders().toString());
            Map<String, PluginRegistry.PluginInfo> byId = new java.util.TreeMap<>();
            registry.plugins().forEach(p -> byId.put(p.id(), p));
            assertEquals(bundledCount(), byId.size(), byId.toString());
            assertTrue(byId.get("storage-jdbc").loaded());
            PluginRegistry.PluginInfo fileStorage = byId.get("storage-file");
            assertFalse(fileStorage.loaded());
            assertEquals(List.of("file"), fileStorage.storageBackends());
            assertFalse(byId.get("audit-otel").loaded());
            assertEquals(List.of("otel"), byId.get("audit-otel").auditSinks());
            assertFalse(byId.get("credential-oauth-refresh").loaded());
            assertTrue(byId.get("rootkey-pkcs11").loaded());
        }
    }

    /** Loading every plugin checks each declaration against what the plugin really provides. */
    @Test
    void everyBundledPluginDeclaresExactlyWhatItProvides() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        try (PluginRegistry registry = PluginRegistry.load(plugins)) {
            assertEquals(bundledCount(), registry.plugins().size());
            assertTrue(registry.plugins().stream().allMatch(PluginRegistry.PluginInfo::loaded));
        }
        try (java.util.stream.Stream<Path> dirs = Files.list(plugins)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                assertTrue(DeclaredProvides.read(dir) != null, dir + " has no plugin.provides");
            }
        }
    }

    @Test
    void aPluginWithoutADeclarationIsAlwaysLoaded() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        TestPluginBuilder.licensePlugin("license-plugin").buildInto(plugins);
        try (PluginRegistry registry = PluginRegistry.load(plugins, DEFAULT_SELECTION)) {
            assertTrue(registry.credentialTypes().containsKey("license_key"), registry.credentialTypes().toString());
            assertTrue(registry.auditSinks().containsKey("switchable"));
        }
    }

    @Test
    void aDeclaredPluginIsLoadedWhenTheConfigurationUsesOneOfItsProviders() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        TestPluginBuilder.licensePlugin("license-plugin").provides("credential-type:license_key, audit-sink:switchable")
                .buildInto(plugins);
        try (PluginRegistry registry = PluginRegistry.load(plugins, DEFAULT_SELECTION)) {
            assertFalse(registry.credentialTypes().containsKey("license_key"));
            assertFalse(registry.plugins().stream().filter(p -> p.id().equals("license-plugin")).findFirst()
                    .orElseThrow().loaded());
        }
        PluginRegistry.Selection withSink = new PluginRegistry.Selection(java.util.Set.of("jdbc"),
                java.util.Set.of("api_key"), java.util.Set.of("file", "switchable"));
        try (PluginRegistry registry = PluginRegistry.load(plugins, withSink)) {
            assertTrue(registry.auditSinks().containsKey("switchable"));
            assertTrue(registry.credentialTypes().containsKey("license_key"), "the whole plugin is loaded");
        }
    }

    @Test
    void aDeclarationThatDoesNotMatchStopsStartup() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        TestPluginBuilder.licensePlugin("license-plugin").provides("credential-type:license_key").buildInto(plugins);
        VaultException e = assertThrows(VaultException.class, () -> PluginRegistry.load(plugins).close());
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("license-plugin") && e.getMessage().contains("switchable")
                && e.getMessage().contains("plugin.provides"), e.getMessage());
        Files.delete(plugins.resolve("license-plugin.zip"));
        TestPluginBuilder.licensePlugin("license-plugin").provides("credential-type license_key").buildInto(plugins);
        Files.setLastModifiedTime(plugins.resolve("license-plugin.zip"), FileTime.fromMillis(1_000_000L));
        VaultException malformed = assertThrows(VaultException.class,
                () -> PluginRegistry.load(plugins, DEFAULT_SELECTION).close());
        assertTrue(malformed.getMessage().contains("not kind:name"), malformed.getMessage());
    }

    @Test
    void aConfiguredNameNoLoadedPluginHasLoadsEveryPluginSoTheErrorListsThem() {
        PluginRegistry.Selection unknown = new PluginRegistry.Selection(java.util.Set.of("nosuch"),
                java.util.Set.of("api_key"), java.util.Set.of("file"));
        try (PluginRegistry registry = PluginRegistry.load(TestVault.pluginsDir(tmp), unknown)) {
            assertEquals(java.util.Set.of("file", "jdbc"), registry.storageBackends().keySet());
            assertTrue(registry.plugins().stream().allMatch(PluginRegistry.PluginInfo::loaded));
        }
    }

    @Test
    void duplicateDeclaredNamesOfPluginsNotLoadedStopStartup() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        TestPluginBuilder.licensePlugin("license-a").provides("credential-type:license_key, audit-sink:switchable")
                .buildInto(plugins);
        TestPluginBuilder.licensePlugin("license-b").provides("credential-type:license_key, audit-sink:switchable")
                .buildInto(plugins);
        VaultException e = assertThrows(VaultException.class, () -> PluginRegistry.load(plugins, DEFAULT_SELECTION)
                .close());
        assertTrue(e.getMessage().contains("two plugins provide") && e.getMessage().contains("license-a")
                && e.getMessage().contains("license-b"), e.getMessage());
    }

    private static long bundledCount() throws java.io.IOException {
        try (java.util.stream.Stream<Path> zips = Files.list(Path.of(System.getProperty("anima.test.plugins")))) {
            return zips.filter(z -> z.toString().endsWith(".zip")).count();
        }
    }
}
