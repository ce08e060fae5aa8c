package dev.animavault.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.CredentialTypeFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The behaviour every {@link CredentialType} shows. A plugin's test extends this class, names its
 * factory, creates the type, and supplies valid and invalid sample values.
 *
 * <p>What is checked:
 * <ul>
 *   <li>The factory name is a lower-case identifier, config property names are unique lower-case
 *       words joined by dashes, and {@code id()} is stable and equals the factory name.</li>
 *   <li>{@code maxValueBytes()} is positive and every valid sample fits in it.</li>
 *   <li>{@code validate} accepts every valid sample (without changing it) and rejects every invalid one
 *       with {@code INVALID_VALUE} (or {@code VALUE_TOO_LARGE} for a sample above
 *       {@code maxValueBytes()}), with a message that does not quote the value.</li>
 *   <li>{@code generate}, for types that generate, yields values that validate, fit, and differ between
 *       calls, also when called from several threads; 10<sup>4</sup> draws never repeat; every
 *       {@link #generationCases() generation case} (a policy and what its values must look like: a length,
 *       character classes) holds for many draws.</li>
 *   <li>A plain type's {@code materialize} returns the stored bytes and stores nothing. A transforming
 *       type, given a {@link #materializableValue() value it can materialize} (e.g. a refresh token its
 *       test's authorization server issued), returns something else, twice in a row (a refresh after a
 *       refresh, rotation included), and every value it asks to store instead validates.</li>
 *   <li>No {@code toString()} of the type, the factory, a generated or materialized value, or an
 *       exception (with its causes and stack trace) contains a sample value.</li>
 *   <li>{@code validate} is thread-safe; {@code close} is idempotent.</li>
 * </ul>
 */
public abstract class CredentialTypeContract {
    private static final Pattern FACTORY_NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern PROPERTY_NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    /** Fragments shorter than this are too common to count as a leak (e.g. "a" in any message). */
    private static final int MIN_LEAK_FRAGMENT = 6;

    private final List<CredentialType> created = new ArrayList<>();

    /** The factory under test. */
    protected abstract CredentialTypeFactory factory();

    /** A new type instance, created through {@link #factory()} with a representative configuration. */
    protected abstract CredentialType newType();

    /** Values the type must accept; at least one. */
    protected abstract List<CredentialSample> validValues();

    /** Values the type must reject with {@code INVALID_VALUE}; at least one. */
    protected abstract List<CredentialSample> invalidValues();

    /** Policies {@code generate} is called with; the default is only the empty policy. */
    protected List<Map<String, String>> generatePolicies() {
        return List.of(Map.of());
    }

    /**
     * Policies with a property every value generated under them has (e.g. {@code length=40} gives 40
     * characters; {@code classes=digit} gives only digits, and at least one). Empty by default.
     */
    protected List<GenerationCase> generationCases() {
        return List.of();
    }

    /**
     * A generation policy and a check every generated value must pass.
     *
     * @param description names the case (never a value)
     * @param policy      the policy handed to {@code generate}
     * @param check       what each generated value (as text) must satisfy
     */
    public record GenerationCase(String description, Map<String, String> policy,
                                 java.util.function.Predicate<String> check) {
    }

    /**
     * For a type whose {@code materialize} transforms the value: a stored value it can materialize in
     * this test (its dependencies running). Empty by default, which skips the check.
     */
    protected Optional<CredentialSample> materializableValue() {
        return Optional.empty();
    }

    /** Whether {@code materialize} returns the stored value unchanged (true for plain types). */
    protected boolean materializesUnchanged() {
        return true;
    }

    @AfterEach
    final void closeCreatedTypes() {
        created.forEach(CredentialType::close);
    }

    // ------------------------------------------------------------------ identity

    @Test
    void factoryNameAndPropertiesAreWellFormed() {
        CredentialTypeFactory factory = factory();
        assertNotNull(factory.name(), "factory name");
        assertTrue(FACTORY_NAME.matcher(factory.name()).matches(), "factory name must match " + FACTORY_NAME);
        assertNotNull(factory.description(), "description");
        Set<String> names = new HashSet<>();
        for (ConfigProperty p : factory.configProperties()) {
            assertTrue(PROPERTY_NAME.matcher(p.name()).matches(), "property '" + p.name() + "' must match " + PROPERTY_NAME);
            assertTrue(names.add(p.name()), "property '" + p.name() + "' is declared twice");
            assertFalse(p.description().isBlank(), "property '" + p.name() + "' has no description");
        }
    }

    @Test
    void idIsStableAndEqualsTheFactoryName() {
        CredentialType type = type();
        assertEquals(factory().name(), type.id());
        assertEquals(type.id(), type.id());
        assertEquals(type.id(), type().id(), "another instance has another id");
    }

    @Test
    void maxValueBytesIsPositiveAndFitsEveryValidSample() {
        CredentialType type = type();
        int max = type.maxValueBytes();
        assertTrue(max > 0, "maxValueBytes must be positive");
        for (CredentialSample sample : validValues()) {
            assertTrue(sample.value().length() <= max, "valid sample '" + sample.description() + "' exceeds maxValueBytes");
        }
    }

    @Test
    void samplesAreSupplied() {
        assertFalse(validValues().isEmpty(), "validValues() is empty");
        assertFalse(invalidValues().isEmpty(), "invalidValues() is empty");
    }

    // ------------------------------------------------------------------ validate

    @TestFactory
    Stream<DynamicTest> validValuesAreAccepted() {
        CredentialType type = type();
        return validValues().stream().map(sample -> DynamicTest.dynamicTest("accepts " + sample.description(), () -> {
            byte[] before = sample.value().bytes();
            assertDoesNotThrow(() -> type.validate(sample.value()));
            assertArrayEquals(before, sample.value().bytes(), "validate changed the caller's value");
            assertNoLeak(type.toString(), sample, "the type's toString()");
        }));
    }

    @TestFactory
    Stream<DynamicTest> invalidValuesAreRejectedWithoutQuotingThem() {
        CredentialType type = type();
        return invalidValues().stream().map(sample -> DynamicTest.dynamicTest("rejects " + sample.description(), () -> {
            VaultException e = assertThrows(VaultException.class, () -> type.validate(sample.value()));
            if (sample.value().length() > type.maxValueBytes()) {
                assertTrue(e.errorCode() == ErrorCode.INVALID_VALUE || e.errorCode() == ErrorCode.VALUE_TOO_LARGE,
                        "an oversized value is refused with INVALID_VALUE or VALUE_TOO_LARGE, not " + e.errorCode());
            } else {
                assertEquals(ErrorCode.INVALID_VALUE, e.errorCode());
            }
            assertNotNull(e.getMessage(), "the message says what is wrong");
            assertFalse(e.getMessage().isBlank(), "the message says what is wrong");
            assertNoLeak(stackTrace(e), sample, "the exception");
            assertNoLeak(type.toString(), sample, "the type's toString()");
        }));
    }

    @Test
    void validateIsThreadSafe() throws Exception {
        CredentialType type = type();
        List<CredentialSample> valid = validValues();
        List<CredentialSample> invalid = invalidValues();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 250; i++) {
                        type.validate(valid.get(i % valid.size()).value());
                        CredentialSample bad = invalid.get(i % invalid.size());
                        assertThrows(VaultException.class, () -> type.validate(bad.value()), bad.description());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ generate

    @Test
    void generatedValuesValidateAndDiffer() {
        CredentialType type = type();
        assumeTrue(type.generate(Map.of()).isPresent(), "the type does not generate values");
        for (Map<String, String> policy : generatePolicies()) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                SecretValue value = type.generate(policy).orElseThrow(
                        () -> new AssertionError("generate returned empty for policy keys " + policy.keySet()));
                assertTrue(value.length() > 0, "a generated value is empty");
                assertTrue(value.length() <= type.maxValueBytes(), "a generated value exceeds maxValueBytes");
                assertDoesNotThrow(() -> type.validate(value), "a generated value does not validate");
                CredentialSample asSample = new CredentialSample("generated", value);
                assertNoLeak(value.toString(), asSample, "a generated value's toString()");
                assertNoLeak(type.toString(), asSample, "the type's toString()");
                assertTrue(seen.add(asSample.text()), "generate returned the same value twice");
            }
        }
    }

    @Test
    void generateIsThreadSafe() throws Exception {
        CredentialType type = type();
        assumeTrue(type.generate(Map.of()).isPresent(), "the type does not generate values");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        SecretValue v = type.generate(Map.of()).orElseThrow();
                        type.validate(v);
                        assertTrue(seen.add(v.asUtf8()), "generate returned the same value twice");
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(400, seen.size());
    }

    @Test
    void tenThousandGeneratedValuesNeverRepeat() {
        CredentialType type = type();
        assumeTrue(type.generate(Map.of()).isPresent(), "the type does not generate values");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            SecretValue v = type.generate(Map.of()).orElseThrow();
            assertTrue(seen.add(v.asUtf8()), "generate repeated a value after " + i + " draws");
            v.wipe();
        }
    }

    @TestFactory
    Stream<DynamicTest> generationCasesHold() {
        CredentialType type = type();
        return generationCases().stream().map(c -> DynamicTest.dynamicTest(c.description(), () -> {
            for (int i = 0; i < 500; i++) {
                SecretValue v = type.generate(c.policy()).orElseThrow(
                        () -> new AssertionError("generate returned empty for " + c.description()));
                assertDoesNotThrow(() -> type.validate(v), "a generated value does not validate");
                assertTrue(c.check().test(v.asUtf8()), "a value generated for '" + c.description()
                        + "' does not have the expected shape");
            }
        }));
    }

    // ------------------------------------------------------------------ materialize, close

    @Test
    void materializeOfAPlainTypeReturnsTheStoredBytes() {
        assumeTrue(materializesUnchanged(), "the type transforms stored values");
        CredentialType type = type();
        RecordingMaterializationContext context = new RecordingMaterializationContext();
        for (CredentialSample sample : validValues()) {
            SecretValue result = type.materialize(sample.value(), context);
            assertNotNull(result, "materialize returned null");
            assertArrayEquals(sample.value().bytes(), result.bytes(), sample.description());
            assertNoLeak(result.toString(), sample, "a materialized value's toString()");
        }
        assertEquals(List.of(), context.replacedValues(), "a plain type must not replace the stored value");
    }

    @Test
    void materializeOfATransformingTypeRefreshesAndStoresOnlyValidValues() {
        assumeTrue(!materializesUnchanged() && materializableValue().isPresent(),
                "no materializable value for a transforming type");
        CredentialType type = type();
        CredentialSample stored = materializableValue().get();
        type.validate(stored.value());
        RecordingMaterializationContext context = new RecordingMaterializationContext();
        SecretValue current = stored.value();
        for (int i = 0; i < 2; i++) {
            SecretValue result = type.materialize(current, context);
            assertNotNull(result, "materialize returned null");
            assertFalse(java.util.Arrays.equals(current.bytes(), result.bytes()), "materialize returned the stored value");
            assertNoLeak(result.asUtf8(), stored, "the materialized value");
            assertNoLeak(result.toString(), stored, "a materialized value's toString()");
            List<SecretValue> replaced = context.replacedValues();
            if (!replaced.isEmpty()) {
                current = replaced.get(replaced.size() - 1); // a rotated value: the next refresh must use it
            }
        }
        for (SecretValue v : context.replacedValues()) {
            assertDoesNotThrow(() -> type.validate(v), "a value handed to replaceStoredValue does not validate");
        }
    }

    @Test
    void toStringsNeverContainValues() {
        CredentialType type = type();
        for (CredentialSample sample : validValues()) {
            type.validate(sample.value());
            assertNoLeak(type.toString(), sample, "the type's toString()");
            assertNoLeak(factory().toString(), sample, "the factory's toString()");
        }
    }

    @Test
    void closeIsIdempotent() {
        CredentialType type = newType();
        type.close();
        assertDoesNotThrow(type::close);
    }

    // ------------------------------------------------------------------ helpers

    private CredentialType type() {
        CredentialType type = newType();
        assertNotNull(type, "newType() returned null");
        created.add(type);
        return type;
    }

    private static String stackTrace(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    /**
     * Fails when the text contains the sample's value, its trimmed form, or any run of at least
     * {@value #MIN_LEAK_FRAGMENT} characters of it between whitespace or control characters.
     */
    private static void assertNoLeak(String text, CredentialSample sample, String where) {
        if (text == null) {
            return;
        }
        String value = sample.text();
        List<String> fragments = new ArrayList<>();
        fragments.add(value);
        fragments.add(value.strip());
        for (String part : value.split("[\\s\\p{Cc}\\p{Cf}\\p{Z}\\uFFFD]+")) {
            fragments.add(part);
        }
        Optional<String> leaked = fragments.stream()
                .filter(f -> f.length() >= MIN_LEAK_FRAGMENT)
                .filter(text::contains)
                .findFirst();
        assertTrue(leaked.isEmpty(), where + " contains (part of) the value of sample '" + sample.description() + "'");
    }
}
