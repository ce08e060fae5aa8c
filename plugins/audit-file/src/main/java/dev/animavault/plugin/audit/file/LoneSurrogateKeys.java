package dev.animavault.plugin.audit.file;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Details keys holding an unpaired surrogate, which Jackson's parser refuses in field names: each
 * unpaired surrogate becomes U+FFFD (see {@link AuditLineCodec}). The encoder checks each details key
 * with {@link #hasLoneSurrogate}; {@link #replaced} runs only for a map where one has.
 */
final class LoneSurrogateKeys {
    private LoneSurrogateKeys() {
    }

    static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The entries with U+FFFD for each unpaired surrogate in a key; a replaced key that equals another
     * key gets U+FFFD appended until it is unique (keys without unpaired surrogates never change).
     */
    static List<Map.Entry<String, String>> replaced(List<Map.Entry<String, String>> entries) {
        List<Map.Entry<String, String>> out = new ArrayList<>(entries.size());
        Set<String> taken = new HashSet<>();
        List<Map.Entry<String, String>> replaced = new ArrayList<>();
        for (Map.Entry<String, String> d : entries) {
            if (hasLoneSurrogate(d.getKey())) {
                replaced.add(d);
            } else {
                out.add(d);
                taken.add(d.getKey());
            }
        }
        // In key order, so that collisions resolve the same way whatever the map's iteration order.
        replaced.sort(Map.Entry.comparingByKey());
        for (Map.Entry<String, String> d : replaced) {
            String k = d.getKey();
            StringBuilder sb = new StringBuilder(k.length() + 1);
            for (int i = 0; i < k.length(); i++) {
                char c = k.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < k.length() && Character.isLowSurrogate(k.charAt(i + 1))) {
                    sb.append(c).append(k.charAt(++i));
                } else {
                    sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
                }
            }
            while (!taken.add(sb.toString())) {
                sb.append('\uFFFD');
            }
            out.add(Map.entry(sb.toString(), d.getValue()));
        }
        return out;
    }
}
