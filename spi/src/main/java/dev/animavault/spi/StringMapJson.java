package dev.animavault.spi;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes label maps ({@code Map<String, String>}) as a JSON object for a text column, and back. Keys
 * are written in sorted order so equal maps encode equally. Control characters and every UTF-16
 * surrogate are written as {@code \\uXXXX} escapes: the stored text is valid in any encoding and any
 * Java string (even one holding a lone surrogate or NUL, which PostgreSQL text refuses) round-trips
 * exactly. Hand-written because a JSON library in the plugin for flat string maps is not worth its
 * weight.
 */
public final class StringMapJson {

    private StringMapJson() {
    }

    /** The map as a JSON object, keys sorted. */
    public static String encode(Map<String, String> map) {
        requireNonNull(map, "map is null");
        if (map.isEmpty()) {
            return "{}"; // most label maps: no builder, no sorted copy
        }
        StringBuilder sb = new StringBuilder(16 + map.size() * 16).append('{');
        boolean first = true;
        // one entry is sorted as it is (a create's attributes: the hint): no sorted copy
        for (Map.Entry<String, String> e : (map.size() == 1 ? map : new TreeMap<>(map)).entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            quote(sb, e.getKey());
            sb.append(':');
            quote(sb, e.getValue());
        }
        return sb.append('}').toString();
    }

    /**
     * A JSON object written by {@link #encode} back into a map.
     *
     * @throws IllegalStateException when the text is not such an object (the message never quotes it)
     */
    public static Map<String, String> decode(String json) {
        requireNonNull(json, "json is null");
        if (json.equals("{}")) {
            return Map.of(); // most label maps are empty: no parser, no map to copy later
        }
        return new Parser(json).object();
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** A parser for exactly what {@link #encode} writes (and any JSON object of strings). */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        Map<String, String> object() {
            skipSpace();
            expect('{');
            skipSpace();
            if (peek() == '}') {
                pos++;
                return end(Map.of());
            }
            String[] kv = new String[4];
            int n = 0;
            while (true) {
                skipSpace();
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                String value = string();
                if (n == kv.length) {
                    kv = java.util.Arrays.copyOf(kv, n * 2);
                }
                kv[n++] = key;
                kv[n++] = value;
                skipSpace();
                char c = next();
                if (c == '}') {
                    return end(map(kv, n / 2));
                }
                if (c != ',') {
                    throw corrupt("',' or '}' expected");
                }
            }
        }

        /**
         * The {@code entries} key/value pairs of {@code kv} as an immutable map, which the records'
         * {@code Map.copyOf} keeps as it is (issue 19: a listed secret's attributes are its MAC and often a
         * hint); a key given twice keeps its last value.
         */
        private static Map<String, String> map(String[] kv, int entries) {
            if (entries == 1) {
                return Map.of(kv[0], kv[1]);
            }
            for (int i = 0; i < entries; i++) {
                for (int j = i + 1; j < entries; j++) {
                    if (kv[2 * i].equals(kv[2 * j])) {
                        Map<String, String> out = new LinkedHashMap<>();
                        for (int k = 0; k < entries; k++) {
                            out.put(kv[2 * k], kv[2 * k + 1]);
                        }
                        return Map.copyOf(out);
                    }
                }
                if (entries > 16) {
                    break; // the quadratic scan only for small maps; Map.ofEntries refuses duplicates below
                }
            }
            if (entries == 2) {
                return Map.of(kv[0], kv[1], kv[2], kv[3]);
            }
            @SuppressWarnings("unchecked")
            Map.Entry<String, String>[] e = new Map.Entry[entries];
            for (int k = 0; k < entries; k++) {
                e[k] = Map.entry(kv[2 * k], kv[2 * k + 1]);
            }
            try {
                return Map.ofEntries(e);
            } catch (IllegalArgumentException duplicate) {
                Map<String, String> out = new LinkedHashMap<>();
                for (Map.Entry<String, String> x : e) {
                    out.put(x.getKey(), x.getValue());
                }
                return Map.copyOf(out);
            }
        }

        private Map<String, String> end(Map<String, String> out) {
            skipSpace();
            if (pos != s.length()) {
                throw corrupt("trailing characters");
            }
            return out;
        }

        private String string() {
            expect('"');
            // the common case, a string without escapes: one substring, no builder (issue 19: listings
            // decode two maps per row)
            int close = s.indexOf('"', pos);
            if (close >= 0 && s.indexOf('\\', pos, close) < 0) {
                String plain = s.substring(pos, close);
                pos = close + 1;
                return plain;
            }
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (pos + 4 > s.length()) {
                            throw corrupt("truncated \\u escape");
                        }
                        try {
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw corrupt("bad \\u escape");
                        }
                        pos += 4;
                    }
                    default -> throw corrupt("bad escape");
                }
            }
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            if (pos >= s.length()) {
                throw corrupt("unexpected end");
            }
            return s.charAt(pos);
        }

        private char next() {
            char c = peek();
            pos++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw corrupt("'" + c + "' expected");
            }
        }

        private IllegalStateException corrupt(String what) {
            return new IllegalStateException("stored string map is not a JSON object of strings: " + what
                    + " at offset " + pos);
        }
    }
}
