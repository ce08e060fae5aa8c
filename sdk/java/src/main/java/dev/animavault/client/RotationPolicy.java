package dev.animavault.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A rotation policy given with {@link Secrets#create} or {@link Secrets#put} (README "Rotation"). Durations
 * are {@code 30d}, {@code 12h} or ISO-8601 ({@code P30D}); {@code mode}, {@code leadTime},
 * {@code gracePeriod} and {@code retiredVersions} may be null for the vault's defaults.
 *
 * @param interval        how often the secret rotates
 * @param webhookUrl      the https receiver of rotation deliveries
 * @param mode            {@code generate}, {@code webhook} or {@code notify}; null for the default
 * @param leadTime        how long before expiry the rotation starts; null for a tenth of the interval
 * @param gracePeriod     how long the previous version stays readable; null for the vault's default
 * @param retiredVersions {@code keep} (the default when null) or {@code destroy}: retired versions (older
 *                        than current, except the previous one during its grace period) are deleted from
 *                        storage, and a read of one fails with 410 {@code version_destroyed}
 */
public record RotationPolicy(String interval, String webhookUrl, String mode, String leadTime, String gracePeriod,
                             String retiredVersions) {
    /** {@code retiredVersions: keep}, the default. */
    public static final String KEEP = "keep";
    /** {@code retiredVersions: destroy}. */
    public static final String DESTROY = "destroy";

    public RotationPolicy {
        Objects.requireNonNull(interval, "interval is null");
        Objects.requireNonNull(webhookUrl, "webhookUrl is null");
    }

    /** A policy with the vault's default for {@code retiredVersions} (as before the field existed). */
    public RotationPolicy(String interval, String webhookUrl, String mode, String leadTime, String gracePeriod) {
        this(interval, webhookUrl, mode, leadTime, gracePeriod, null);
    }

    /** Rotate every {@code interval} through {@code webhookUrl}, with the vault's defaults otherwise. */
    public static RotationPolicy of(String interval, String webhookUrl) {
        return new RotationPolicy(interval, webhookUrl, null, null, null, null);
    }

    public RotationPolicy withMode(String mode) {
        return new RotationPolicy(interval, webhookUrl, mode, leadTime, gracePeriod, retiredVersions);
    }

    public RotationPolicy withLeadTime(String leadTime) {
        return new RotationPolicy(interval, webhookUrl, mode, leadTime, gracePeriod, retiredVersions);
    }

    public RotationPolicy withGracePeriod(String gracePeriod) {
        return new RotationPolicy(interval, webhookUrl, mode, leadTime, gracePeriod, retiredVersions);
    }

    /** {@link #KEEP} or {@link #DESTROY}; the vault refuses anything else with 400 {@code invalid_argument}. */
    public RotationPolicy withRetiredVersions(String retiredVersions) {
        return new RotationPolicy(interval, webhookUrl, mode, leadTime, gracePeriod, retiredVersions);
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("interval", interval);
        m.put("webhookUrl", webhookUrl);
        if (mode != null) {
            m.put("mode", mode);
        }
        if (leadTime != null) {
            m.put("leadTime", leadTime);
        }
        if (gracePeriod != null) {
            m.put("gracePeriod", gracePeriod);
        }
        if (retiredVersions != null) {
            m.put("retiredVersions", retiredVersions);
        }
        return m;
    }
}
