package dev.animavault.plugin.audit.file;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Builds random {@link AuditEvent}s whose strings stress a JSON encoder: quotes, backslashes, every
 * control character, DEL, Latin-1, BMP characters (including U+2028/U+2029, U+FEFF, U+FFFF), emoji
 * (surrogate pairs), unpaired and reversed surrogates; null optional fields; details maps of 0..4
 * entries; timestamps with 0, 3, 6 and 9 fraction digits, also outside the years 1000..9999.
 *
 * <p>Deterministic for a given seed ({@link Random}'s algorithm is specified), so the compatibility
 * fixture's events can be rebuilt: see {@link LegacyFixture}.
 */
final class AuditEventGenerator {
    private static final String[] ORGS = {"org_a", "org_b", "org_\u00fc\u6771"};
    private static final String[] IDENTITIES = {"agent_1", "agent_2", "agent_\"q\"", null};
    private static final String[] ACTIONS = {"secret.read", "secret.create", "token.issue", "auth.denied"};
    private static final String[] PIECES = {
        "\"", "\\", "/", "\\\"", "\u007f", "\u00e9", "\u00fc", "\u00a0", "\u00ff", "\u0100", "\u6771\u4eac", "\u2013",
        "\u2028", "\u2029", "\ufeff", "\uffff", "\ufffd", "\ud83d\udd11", "\ud83d\ude00", "\ud800", "\udfff",
        "\udc00\ud800", "\ud83d", "{\"a\":[1,2]}", "</script>", "\\u0041", " ", "OPENAI_API_KEY", "req-",
    };

    private final Random random;
    private final boolean loneSurrogatesInKeys;

    /**
     * @param loneSurrogatesInKeys whether details keys may hold unpaired surrogates; Jackson's parser
     *                             refuses those in field names, so the line encoder cannot keep them
     */
    AuditEventGenerator(long seed, boolean loneSurrogatesInKeys) {
        this.random = new Random(seed);
        this.loneSurrogatesInKeys = loneSurrogatesInKeys;
    }

    private static final AuditOutcome[] FIXTURE_OUTCOMES = {AuditOutcome.SUCCESS, AuditOutcome.DENIED,
            AuditOutcome.FAILURE};

    AuditEvent next() {
        Instant ts = timestamp();
        String id = maybeWeird("ev_" + ts.toEpochMilli() + "_" + random.nextInt(1_000_000));
        String action = random.nextInt(8) == 0 ? string(12) : ACTIONS[random.nextInt(ACTIONS.length)];
        // the outcomes that existed when the legacy fixture was generated: the random sequence must not change
        AuditOutcome outcome = FIXTURE_OUTCOMES[random.nextInt(FIXTURE_OUTCOMES.length)];
        String org = random.nextInt(10) == 0 ? null : ORGS[random.nextInt(ORGS.length)];
        String identity = random.nextInt(10) == 0 ? string(10) : IDENTITIES[random.nextInt(IDENTITIES.length)];
        Map<String, String> details = new HashMap<>();
        int n = random.nextInt(3) == 0 ? 0 : random.nextInt(5);
        for (int i = 0; i < n; i++) {
            String key = random.nextInt(4) == 0 ? string(8) : "k" + random.nextInt(20);
            details.put(loneSurrogatesInKeys ? key : withoutLoneSurrogates(key), string(24));
        }
        return new AuditEvent(id, ts, action, outcome, org, identity, optional(16), version(), optional(20),
                optional(12), random.nextBoolean() ? "192.0.2." + random.nextInt(256) : optional(8), optional(10),
                details);
    }

    private Instant timestamp() {
        long seconds = switch (random.nextInt(20)) {
            case 0 -> -40_000_000_000L + random.nextInt(1_000_000); // year 702
            case 1 -> 300_000_000_000L + random.nextInt(1_000_000); // year 11476
            case 2 -> 0;
            default -> 1_700_000_000L + random.nextInt(100_000_000);
        };
        int nanos = switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1000;
            default -> random.nextInt(1_000_000_000);
        };
        return Instant.ofEpochSecond(seconds, nanos);
    }

    private Integer version() {
        return switch (random.nextInt(6)) {
            case 0 -> null;
            case 1 -> Integer.MAX_VALUE;
            case 2 -> Integer.MIN_VALUE;
            case 3 -> -random.nextInt(100);
            default -> random.nextInt(1000);
        };
    }

    private String optional(int maxPieces) {
        return random.nextInt(4) == 0 ? null : string(maxPieces);
    }

    private String maybeWeird(String plain) {
        return random.nextInt(5) == 0 ? plain + string(4) : plain;
    }

    /** Unpaired surrogates replaced by {@code x}. */
    static String withoutLoneSurrogates(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? 'x' : c);
            }
        }
        return sb.toString();
    }

    /** 0..maxPieces pieces: ASCII runs, control characters, and the awkward {@link #PIECES}. */
    String string(int maxPieces) {
        StringBuilder sb = new StringBuilder();
        int pieces = random.nextInt(maxPieces + 1);
        for (int i = 0; i < pieces; i++) {
            switch (random.nextInt(4)) {
                case 0 -> sb.append((char) random.nextInt(0x20));
                case 1 -> sb.append(PIECES[random.nextInt(PIECES.length)]);
                case 2 -> sb.append((char) random.nextInt(0x10000));
                default -> {
                    int len = 1 + random.nextInt(8);
                    for (int k = 0; k < len; k++) {
                        sb.append((char) (0x20 + random.nextInt(0x5f)));
                    }
                }
            }
        }
        return sb.toString();
    }
}
