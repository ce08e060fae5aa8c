package dev.animavault.plugin.credential.password;

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

class PasswordCredentialTypeTest extends CredentialTypeContract {
    @TempDir
    Path dataDirectory;

    @Override
    protected CredentialTypeFactory factory() {
        return new PasswordCredentialTypeFactory();
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
                CredentialSample.of("a weak legacy password (checks are off by default)", "hunter2"),
                CredentialSample.of("a passphrase with spaces", "correct horse battery staple"),
                CredentialSample.of("non-ASCII", "pässwört-東京"),
                CredentialSample.of("exactly 1024 bytes", "p".repeat(1024)));
    }

    @Override
    protected List<CredentialSample> invalidValues() {
        return List.of(
                CredentialSample.of("empty", ""),
                CredentialSample.ofBytes("invalid UTF-8", new byte[] {'p', 'w', (byte) 0xC3, '(', 'x', 'y', 'z'}),
                CredentialSample.of("1025 bytes", "p".repeat(1025)));
    }

    @Override
    protected List<Map<String, String>> generatePolicies() {
        return List.of(Map.of(), Map.of("length", "40"), Map.of("classes", "lower,digit"),
                Map.of("exclude-lookalikes", "false"));
    }

    @Override
    protected List<GenerationCase> generationCases() {
        return List.of(
                new GenerationCase("default length 24, all four classes, no look-alikes", Map.of(),
                        s -> s.length() == 24 && s.chars().anyMatch(Character::isLowerCase)
                                && s.chars().anyMatch(Character::isUpperCase) && s.chars().anyMatch(Character::isDigit)
                                && s.chars().anyMatch(c -> !Character.isLetterOrDigit(c))
                                && s.chars().noneMatch(c -> "0O1lI|".indexOf(c) >= 0)),
                new GenerationCase("length 64", Map.of("length", "64"), s -> s.length() == 64),
                new GenerationCase("length 8 from digits only", Map.of("length", "8", "classes", "digit"),
                        s -> s.length() == 8 && s.chars().allMatch(Character::isDigit)),
                new GenerationCase("lower and upper only", Map.of("classes", "lower upper"),
                        s -> s.chars().allMatch(Character::isLetter) && s.chars().anyMatch(Character::isLowerCase)
                                && s.chars().anyMatch(Character::isUpperCase)),
                new GenerationCase("symbols are shell-safe", Map.of("classes", "symbol", "length", "100"),
                        s -> s.chars().noneMatch(c -> c == '"' || c == '\'' || c == '\\' || c == '`' || c == ' ')));
    }

    @Test
    void strengthChecksApplyWhenConfigured() {
        CredentialType type = create(Map.of("min-length", "12", "require-classes", "lower,upper,digit"));
        type.validate(SecretValue.ofUtf8("Tr0ub4dor&3xyz"));
        VaultException tooShort = assertThrows(VaultException.class, () -> type.validate(SecretValue.ofUtf8("Hunter2")));
        assertEquals(ErrorCode.INVALID_VALUE, tooShort.errorCode());
        assertTrue(tooShort.getMessage().contains("at least 12"), tooShort.getMessage());
        VaultException classes = assertThrows(VaultException.class,
                () -> type.validate(SecretValue.ofUtf8("alllowercaseletters")));
        assertTrue(classes.getMessage().contains("upper,digit"), classes.getMessage());
        assertFalse(classes.getMessage().contains("alllowercase"), classes.getMessage());
        // generated values always pass the configured checks
        for (int i = 0; i < 200; i++) {
            type.validate(type.generate(Map.of()).orElseThrow());
        }
        VaultException policy = assertThrows(VaultException.class, () -> type.generate(Map.of("classes", "digit")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, policy.errorCode());
    }

    @Test
    void badPoliciesAndConfigurationNameTheKey() {
        CredentialType type = newType();
        for (Map<String, String> bad : List.of(Map.of("length", "7"), Map.of("length", "x"), Map.of("charset", "a"),
                Map.of("classes", "emoji"), Map.of("exclude-lookalikes", "maybe"))) {
            VaultException e = assertThrows(VaultException.class, () -> type.generate(bad), bad.toString());
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.errorCode());
            assertTrue(e.getMessage().contains("'" + bad.keySet().iterator().next() + "'"), e.getMessage());
        }
        VaultException config = assertThrows(VaultException.class, () -> create(Map.of("require-classes", "lower,kanji")));
        assertEquals(ErrorCode.CONFIGURATION, config.errorCode());
        assertTrue(config.getMessage().contains("require-classes"), config.getMessage());
    }

    @Test
    void everyCharacterIsDrawnAboutEquallyOften() {
        // 20,000 digits-only draws of 8: each digit ~16,000 times (sigma ~120); the band is +-5 sigma, a
        // sanity check that no digit is left out or grossly favoured, not a proof of uniformity
        CredentialType type = newType();
        int[] counts = new int[10];
        for (int i = 0; i < 20_000; i++) {
            type.generate(Map.of("length", "8", "classes", "digit", "exclude-lookalikes", "false")).orElseThrow().asUtf8()
                    .chars().forEach(c -> counts[c - '0']++);
        }
        for (int d = 0; d < 10; d++) {
            assertTrue(counts[d] > 15_400 && counts[d] < 16_600, "digit " + d + " drawn " + counts[d] + " times");
        }
    }
}
