package dev.animavault.client;

import java.time.Instant;

/**
 * A secret's rotation policy and state as its metadata shows it (never a value). Fields the vault does
 * not send (e.g. {@code webhookUrl} on a secret with only an expiry) are null.
 *
 * @param status          {@code ok}, {@code due}, {@code rotating}, {@code failed} or {@code expired}
 * @param retiredVersions {@code keep} or {@code destroy}; null on a secret without a policy
 * @param destroyedBelow  every version below this one was destroyed ({@code retiredVersions: destroy});
 *                        null until one was
 */
public record RotationState(String interval, String webhookUrl, String mode, String leadTime, String gracePeriod,
                            Instant nextRotationAt, Instant expiresAt, Instant lastRotatedAt, String status,
                            String lastError, Integer pendingVersion, Integer previousVersion,
                            Instant previousReadableUntil, String retiredVersions, Integer destroyedBelow) {

    /** A state without the retired-versions fields (as before they existed). */
    public RotationState(String interval, String webhookUrl, String mode, String leadTime, String gracePeriod,
                         Instant nextRotationAt, Instant expiresAt, Instant lastRotatedAt, String status,
                         String lastError, Integer pendingVersion, Integer previousVersion,
                         Instant previousReadableUntil) {
        this(interval, webhookUrl, mode, leadTime, gracePeriod, nextRotationAt, expiresAt, lastRotatedAt, status,
                lastError, pendingVersion, previousVersion, previousReadableUntil, null, null);
    }
}
