package dev.animavault.core.rotation;

import dev.animavault.core.config.RotationConfig;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.spi.Durations;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A validated rotation policy: {@code {interval, webhookUrl, leadTime?, gracePeriod?, mode?,
 * retiredVersions?}}.
 *
 * @param interval    how long a value lives
 * @param webhookUrl  where deliveries go (https, or http to an allow-listed host)
 * @param leadTime    how long before expiry the rotation starts (default: a tenth of the interval)
 * @param gracePeriod how long the previous value stays readable by agents after a rotation
 * @param mode        how the next value is obtained
 * @param destroyRetired {@code retiredVersions: destroy}: versions are destroyed in storage once retired
 *                       (default {@code keep}: kept, unreadable by identity tokens)
 */
public record RotationPolicy(Duration interval, URI webhookUrl, Duration leadTime, Duration gracePeriod,
                             RotationMode mode, boolean destroyRetired) {
    static final Set<String> FIELDS = Set.of("interval", "webhookUrl", "leadTime", "gracePeriod", "mode",
            "retiredVersions");
    static final String KEEP = "keep";
    static final String DESTROY = "destroy";

    /** Validates what a client sent; {@code canGenerate} decides the default mode. */
    static RotationPolicy parse(Map<String, String> in, RotationConfig config, List<String> egressAllow,
                                EgressPolicy egress, boolean canGenerate) {
        for (String f : in.keySet()) {
            if (!FIELDS.contains(f)) {
                throw bad("unknown field 'rotation." + (f.length() > 64 ? f.substring(0, 64) + "..." : f)
                        + "'; allowed: " + new TreeSet<>(FIELDS));
            }
        }
        String intervalText = in.get("interval");
        if (intervalText == null) {
            throw bad("field 'rotation.interval' is required (e.g. 30d, 12h or ISO-8601 P30D)");
        }
        Duration interval = duration(intervalText, "rotation.interval");
        if (interval.compareTo(config.minInterval()) < 0) {
            throw bad("rotation.interval " + intervalText + " is shorter than the minimum "
                    + config.minInterval().toString().substring(2).toLowerCase(Locale.ROOT)
                    + " (vault.rotation.min-interval)");
        }
        Duration lead = in.containsKey("leadTime") ? duration(in.get("leadTime"), "rotation.leadTime")
                : interval.dividedBy(10);
        if (lead.compareTo(interval) >= 0) {
            throw bad("rotation.leadTime must be shorter than rotation.interval");
        }
        Duration grace = in.containsKey("gracePeriod") ? duration(in.get("gracePeriod"), "rotation.gracePeriod")
                : config.defaultGracePeriod();
        RotationMode mode = in.containsKey("mode") ? RotationMode.parse(in.get("mode"))
                : canGenerate ? RotationMode.GENERATE : RotationMode.WEBHOOK;
        if (mode == RotationMode.GENERATE && !canGenerate) {
            throw bad("rotation.mode generate needs a credential type that can generate values; use webhook or "
                    + "notify");
        }
        String retired = in.getOrDefault("retiredVersions", KEEP);
        if (!retired.equals(KEEP) && !retired.equals(DESTROY)) {
            throw bad("rotation.retiredVersions must be 'keep' or 'destroy'");
        }
        String url = in.get("webhookUrl");
        if (url == null) {
            throw bad("field 'rotation.webhookUrl' is required");
        }
        return new RotationPolicy(interval, webhookUrl(url, egressAllow, egress), lead, grace, mode,
                retired.equals(DESTROY));
    }

    /**
     * Checks a webhook URL at create time: absolute https (http only to a host listed in
     * {@code vault.egress.allow}, by name or by every address it resolves to), no user info, and not resolving to a private or loopback address
     * unless allow-listed. A host that does not resolve now is accepted (checked again at delivery).
     */
    static URI webhookUrl(String text, List<String> egressAllow, EgressPolicy egress) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw bad("rotation.webhookUrl is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost();
        if (!uri.isAbsolute() || host == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw bad("rotation.webhookUrl must be an absolute https URL with a host, without user info or fragment");
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        boolean allowListed = egressAllow.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).anyMatch(h::equals);
        // http to a host named in the allow-list, or one whose every address is (checked again at delivery)
        if (scheme.equals("http") && !allowListed && !egress.isAllowListed(h)) {
            throw bad("rotation.webhookUrl must use https (http only to hosts listed in vault.egress.allow)");
        }
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw bad("rotation.webhookUrl must use https");
        }
        try {
            egress.check(uri);
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.EGRESS_DENIED) {
                throw bad("rotation.webhookUrl is refused: " + e.getMessage());
            }
            // not resolvable right now: checked again at every delivery
        }
        return uri;
    }

    /** The attributes of this policy. */
    void writeTo(Map<String, String> a) {
        a.put(LifecycleAttributes.INTERVAL, interval.toString());
        a.put(LifecycleAttributes.WEBHOOK_URL, webhookUrl.toString());
        a.put(LifecycleAttributes.LEAD_TIME, leadTime.toString());
        a.put(LifecycleAttributes.GRACE_PERIOD, gracePeriod.toString());
        a.put(LifecycleAttributes.MODE, mode.wire());
        a.put(LifecycleAttributes.RETIRED_VERSIONS, destroyRetired ? DESTROY : KEEP);
    }

    /** The policy stored in attributes, or null when there is none. */
    static RotationPolicy from(Map<String, String> a) {
        if (!LifecycleAttributes.hasPolicy(a)) {
            return null;
        }
        return new RotationPolicy(Duration.parse(a.get(LifecycleAttributes.INTERVAL)),
                URI.create(a.get(LifecycleAttributes.WEBHOOK_URL)), Duration.parse(a.get(LifecycleAttributes.LEAD_TIME)),
                Duration.parse(a.get(LifecycleAttributes.GRACE_PERIOD)),
                RotationMode.parse(a.get(LifecycleAttributes.MODE)), destroysRetired(a));
    }

    /** Whether the stored policy destroys retired versions (absent: {@code keep}, as before the field existed). */
    static boolean destroysRetired(Map<String, String> a) {
        return DESTROY.equals(a.get(LifecycleAttributes.RETIRED_VERSIONS));
    }

    /** The stored policy as the client's fields (for merging a PATCH). */
    static Map<String, String> fields(Map<String, String> a) {
        Map<String, String> f = new java.util.HashMap<>();
        if (LifecycleAttributes.hasPolicy(a)) {
            f.put("interval", a.get(LifecycleAttributes.INTERVAL));
            f.put("webhookUrl", a.get(LifecycleAttributes.WEBHOOK_URL));
            f.put("leadTime", a.get(LifecycleAttributes.LEAD_TIME));
            f.put("gracePeriod", a.get(LifecycleAttributes.GRACE_PERIOD));
            f.put("mode", a.get(LifecycleAttributes.MODE));
            f.put("retiredVersions", a.getOrDefault(LifecycleAttributes.RETIRED_VERSIONS, KEEP));
        }
        return f;
    }

    static void removeFrom(Map<String, String> a) {
        a.remove(LifecycleAttributes.INTERVAL);
        a.remove(LifecycleAttributes.WEBHOOK_URL);
        a.remove(LifecycleAttributes.LEAD_TIME);
        a.remove(LifecycleAttributes.GRACE_PERIOD);
        a.remove(LifecycleAttributes.MODE);
        a.remove(LifecycleAttributes.RETIRED_VERSIONS);
    }

    private static Duration duration(String text, String field) {
        try {
            Duration d = Durations.parse(text);
            if (d.isNegative()) {
                throw bad(field + " must not be negative");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw bad(field + ": " + e.getMessage());
        } catch (ArithmeticException e) {
            throw bad(field + " is too long");
        }
    }

    static VaultException bad(String message) {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
