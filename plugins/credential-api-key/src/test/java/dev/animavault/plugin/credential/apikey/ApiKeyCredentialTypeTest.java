package dev.animavault.plugin.credential.apikey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.CredentialTypeFactory;
import dev.animavault.spi.testkit.CredentialSample;
import dev.animavault.spi.testkit.CredentialTypeContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyCredentialTypeTest extends CredentialTypeContract {
    private static final String OPENAI_LIKE = "sk-proj-4fJ9xQ2mLr8TzV1bN6cW0yH3kP7sD5gA";

    @TempDir
    Path dataDirectory;

    @Override
    protected CredentialTypeFactory factory() {
        return new ApiKeyCredentialTypeFactory();
    }

    @Override
    protected CredentialType newType() {
        return create(Map.of());
    }

    private CredentialType create(Map<String, String> config) {
        return factory().create(ProviderConfig.validate(factory(), config, "the test configuration"),
                TestPluginContext.denyingEgress(dataDirectory));
    }

    @Override
    protected List<CredentialSample> validValues() {
        return List.of(
                CredentialSample.of("an OpenAI-style key", OPENAI_LIKE),
                CredentialSample.of("a Stripe-style key", "sk_live_51HxQ2mLr8TzV1bN6cW0yH3kP7"),
                CredentialSample.of("a GitHub token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
                CredentialSample.of("a single character", "x"),
                CredentialSample.of("inner spaces", "Bearer abc.def.ghi"),
                CredentialSample.of("non-ASCII letters", "clé-Zürich-東京-\uD83D\uDD11"),
                CredentialSample.of("a JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"),
                CredentialSample.of("exactly 8192 bytes", "k".repeat(8192)));
    }

    @Override
    protected List<CredentialSample> invalidValues() {
        return List.of(
                CredentialSample.of("empty", ""),
                CredentialSample.of("a trailing newline", OPENAI_LIKE + "\n"),
                CredentialSample.of("a trailing CRLF", OPENAI_LIKE + "\r\n"),
                CredentialSample.of("a newline inside", "sk-proj-4fJ9xQ2m\nLr8TzV1bN6cW0yH3"),
                CredentialSample.of("a NUL inside", "sk-proj-4fJ9xQ2m\u0000Lr8TzV1bN6cW0yH3"),
                CredentialSample.of("a tab inside", "sk-proj-4fJ9xQ2m\tLr8TzV1bN6cW0yH3"),
                CredentialSample.of("a leading space", " " + OPENAI_LIKE),
                CredentialSample.of("a trailing space", OPENAI_LIKE + " "),
                CredentialSample.of("a trailing no-break space", OPENAI_LIKE + "\u00A0"),
                CredentialSample.of("a zero-width space inside", "sk-proj-4fJ9xQ2m\u200BLr8TzV1bN6cW0yH3"),
                CredentialSample.of("a leading byte order mark", "\uFEFF" + OPENAI_LIKE),
                CredentialSample.of("a line separator inside", "sk-proj-4fJ9xQ2m\u2028Lr8TzV1bN6cW0yH3"),
                CredentialSample.of("only whitespace", "   "),
                CredentialSample.ofBytes("invalid UTF-8", new byte[] {'s', 'k', '-', 'a', 'b', 'c', 'd', 'e', 'f',
                        (byte) 0xC3, (byte) 0x28, 'g', 'h', 'i', 'j', 'k', 'l'}),
                CredentialSample.ofBytes("a UTF-8 encoded surrogate", new byte[] {'s', 'k', '-', 'a', 'b', 'c', 'd',
                        (byte) 0xED, (byte) 0xA0, (byte) 0x80, 'e', 'f', 'g', 'h', 'i'}),
                CredentialSample.of("one byte over 8 KiB", "k".repeat(8193)));
    }

    @Override
    protected List<Map<String, String>> generatePolicies() {
        return List.of(Map.of(), Map.of("prefix", "sk_live_"), Map.of("length", "22"),
                Map.of("prefix", "av:", "length", "1024"));
    }

    @Test
    void generatesFortyEightBase62CharactersByDefault() {
        SecretValue v = newType().generate(Map.of()).orElseThrow();
        assertTrue(v.asUtf8().matches("[0-9A-Za-z]{48}"), "48 base62 characters");
    }

    @Test
    void generatesPrefixAndLengthAsAsked() {
        SecretValue v = newType().generate(Map.of("prefix", "sk_test_", "length", "30")).orElseThrow();
        assertTrue(v.asUtf8().matches("sk_test_[0-9A-Za-z]{30}"), "prefix plus 30 base62 characters");
    }

    @Test
    void generatedCharactersAreRoughlyUniform() {
        CredentialType type = newType();
        int[] counts = new int[128];
        int total = 0;
        for (int i = 0; i < 200; i++) {
            for (char c : type.generate(Map.of("length", "1024")).orElseThrow().asUtf8().toCharArray()) {
                counts[c]++;
                total++;
            }
        }
        double expected = total / 62.0;
        for (char c : "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray()) {
            // 3300 expected per character; 15% covers chance by a wide margin and catches a biased alphabet.
            assertTrue(Math.abs(counts[c] - expected) < expected * 0.15, "character frequency of " + c);
        }
    }

    @Test
    void badPoliciesNameTheKey() {
        CredentialType type = newType();
        VaultException unknown = assertThrows(VaultException.class, () -> type.generate(Map.of("charset", "hex")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, unknown.errorCode());
        assertTrue(unknown.getMessage().contains("'charset'"));
        for (String length : List.of("21", "1025", "forty", "")) {
            VaultException e = assertThrows(VaultException.class, () -> type.generate(Map.of("length", length)));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.errorCode());
            assertTrue(e.getMessage().contains("'length'"));
        }
        for (String prefix : List.of("has space", "x".repeat(65), "new\nline")) {
            VaultException e = assertThrows(VaultException.class, () -> type.generate(Map.of("prefix", prefix)));
            assertTrue(e.getMessage().contains("'prefix'"));
        }
    }

    @Test
    void maxLengthIsConfigurable() {
        CredentialType small = create(Map.of("max-length", "64"));
        assertEquals(64, small.maxValueBytes());
        small.validate(SecretValue.ofUtf8("k".repeat(64)));
        VaultException tooLarge = assertThrows(VaultException.class, () -> small.validate(SecretValue.ofUtf8("k".repeat(65))));
        assertEquals(ErrorCode.VALUE_TOO_LARGE, tooLarge.errorCode());
        VaultException tooLong = assertThrows(VaultException.class,
                () -> small.generate(Map.of("prefix", "p_", "length", "63")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, tooLong.errorCode());
    }

    @Test
    void badMaxLengthStopsStartupNamingTheKey() {
        for (String bad : List.of("0", "65537", "big")) {
            VaultException e = assertThrows(VaultException.class, () -> create(Map.of("max-length", bad)));
            assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
            assertTrue(e.getMessage().contains("'max-length'"), e.getMessage());
        }
    }

    @Test
    void messagesSayWhatIsWrong() {
        CredentialType type = newType();
        String msg = assertThrows(VaultException.class,
                () -> type.validate(SecretValue.ofUtf8(OPENAI_LIKE + "\n"))).getMessage();
        assertTrue(msg.contains("U+000A") && msg.contains("copy-paste"), msg);
        assertFalse(msg.contains("sk-proj"), msg);
    }

    @Test
    void thePluginContributesTheFactory() {
        List<CredentialTypeFactory> factories = new ApiKeyPlugin().credentialTypes();
        assertEquals(1, factories.size());
        assertEquals("api_key", factories.get(0).name());
        assertEquals(List.of(), new ApiKeyPlugin().auditSinks());
        assertEquals(List.of(), new ApiKeyPlugin().storageBackends());
    }

    @Test
    void formatsApplyToSecretsLabelledWithTheirProvider() {
        CredentialType type = create(Map.of("formats", "openai=sk-(proj-)?[A-Za-z0-9_-]{20,};;github=gh[pousr]_[A-Za-z0-9]{36}"));
        type.validate(SecretValue.ofUtf8(OPENAI_LIKE), Map.of("provider", "openai"));
        type.validate(SecretValue.ofUtf8("ghp_16C7e42F292c6912E7710c838347Ae178B4a"), Map.of("provider", "github"));
        type.validate(SecretValue.ofUtf8("anything-goes"), Map.of("provider", "unknown-provider"));
        type.validate(SecretValue.ofUtf8("anything-goes"), Map.of());
        VaultException e = assertThrows(VaultException.class,
                () -> type.validate(SecretValue.ofUtf8("ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
                        Map.of("provider", "openai")));
        assertEquals(ErrorCode.INVALID_VALUE, e.errorCode());
        assertTrue(e.getMessage().contains("openai"), e.getMessage());
        assertFalse(e.getMessage().contains("16C7e42F"), e.getMessage());

        VaultException bad = assertThrows(VaultException.class, () -> create(Map.of("formats", "openai=sk-[")));
        assertEquals(ErrorCode.CONFIGURATION, bad.errorCode());
        assertTrue(bad.getMessage().contains("'formats'") && bad.getMessage().contains("openai"), bad.getMessage());
    }

    @Test
    void hintsShowAtMostFourAndFourAndNothingOfShortValues() {
        CredentialType type = newType();
        assertEquals(java.util.Optional.of("sk-p...x7Qa"), type.hint(SecretValue.ofUtf8("sk-proj-abcdefghij0123456789x7Qa")));
        assertEquals(java.util.Optional.of("ab...yz"), type.hint(SecretValue.ofUtf8("ab" + "0".repeat(12) + "yz")));
        assertEquals(java.util.Optional.empty(), type.hint(SecretValue.ofUtf8("0123456789abcde")));
        assertEquals(java.util.Optional.empty(), create(Map.of("hints", "false"))
                .hint(SecretValue.ofUtf8("sk-proj-abcdefghij0123456789x7Qa")));
    }
}
