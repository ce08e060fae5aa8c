package dev.animavault.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The rotation engine's settings ({@code vault.rotation.*}).
 *
 * @param enabled            whether this node runs due rotations (policies are accepted either way, so a
 *                           node may serve the API while others rotate)
 * @param pollInterval       how often the due schedule is read
 * @param minInterval        the shortest rotation interval a policy may ask for
 * @param retrySchedule      delays before the 2nd, 3rd, ... delivery attempt (Standard Webhooks' schedule
 *                           by default); after the last one the rotation ends {@code failed}
 * @param webhookTimeout     connect and response timeout of one delivery
 * @param defaultGracePeriod how long the previous version stays readable by agents when a policy names
 *                           no {@code gracePeriod}
 * @param expiringWebhookUrl where {@code secret.expiring} events of secrets with a plain {@code expiresAt}
 *                           (no rotation policy) are delivered; null: none are sent
 * @param expiringLeadTime   how long before {@code expiresAt} the {@code secret.expiring} event is sent
 */
public record RotationConfig(boolean enabled, Duration pollInterval, Duration minInterval, List<Duration> retrySchedule,
                             Duration webhookTimeout, Duration defaultGracePeriod, java.net.URI expiringWebhookUrl,
                             Duration expiringLeadTime) {

    /** Without {@code secret.expiring} deliveries. */
    public RotationConfig(boolean enabled, Duration pollInterval, Duration minInterval, List<Duration> retrySchedule,
                          Duration webhookTimeout, Duration defaultGracePeriod) {
        this(enabled, pollInterval, minInterval, retrySchedule, webhookTimeout, defaultGracePeriod, null,
                DEFAULT_EXPIRING_LEAD_TIME);
    }

    /** The default {@code vault.rotation.expiring-lead-time}: 7 days. */
    public static final Duration DEFAULT_EXPIRING_LEAD_TIME = Duration.ofDays(7);

    /** These settings with {@code secret.expiring} deliveries to {@code url}, {@code leadTime} ahead. */
    public RotationConfig withExpiring(java.net.URI url, Duration leadTime) {
        return new RotationConfig(enabled, pollInterval, minInterval, retrySchedule, webhookTimeout, defaultGracePeriod,
                url, leadTime);
    }

    /** Standard Webhooks' retry schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h. */
    public static final List<Duration> STANDARD_RETRIES = List.of(Duration.ofSeconds(5), Duration.ofMinutes(5),
            Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10));

    /** The defaults. */
    public static final RotationConfig DEFAULTS = new RotationConfig(true, Duration.ofSeconds(5), Duration.ofHours(1),
            STANDARD_RETRIES, Duration.ofSeconds(10), Duration.ofHours(24));

    public RotationConfig {
        Objects.requireNonNull(pollInterval, "pollInterval is null");
        Objects.requireNonNull(minInterval, "minInterval is null");
        retrySchedule = List.copyOf(retrySchedule);
        Objects.requireNonNull(webhookTimeout, "webhookTimeout is null");
        Objects.requireNonNull(defaultGracePeriod, "defaultGracePeriod is null");
        Objects.requireNonNull(expiringLeadTime, "expiringLeadTime is null");
        if (expiringLeadTime.isNegative()) {
            throw VaultConfig.configError("vault.rotation.expiring-lead-time must not be negative");
        }
        if (expiringWebhookUrl != null && (expiringWebhookUrl.getHost() == null
                || !List.of("http", "https").contains(String.valueOf(expiringWebhookUrl.getScheme())))) {
            throw VaultConfig.configError("vault.rotation.expiring-webhook-url must be an absolute http(s) URL");
        }
        if (pollInterval.toMillis() < 10) {
            throw VaultConfig.configError("vault.rotation.poll-interval must be at least 10ms");
        }
        if (minInterval.toMillis() < 1000) {
            throw VaultConfig.configError("vault.rotation.min-interval must be at least 1s");
        }
        if (retrySchedule.size() > 20) {
            throw VaultConfig.configError("vault.rotation.retry-schedule has at most 20 entries");
        }
        if (webhookTimeout.toMillis() < 100 || webhookTimeout.toSeconds() > 60) {
            throw VaultConfig.configError("vault.rotation.webhook-timeout must be between 100ms and 60s");
        }
    }

    /** Delivery attempts before a rotation fails. */
    public int maxAttempts() {
        return retrySchedule.size() + 1;
    }
}
