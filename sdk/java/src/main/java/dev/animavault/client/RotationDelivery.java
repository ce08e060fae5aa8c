package dev.animavault.client;

import java.time.Instant;

/**
 * One rotation webhook delivery attempt of a secret ({@link Secrets#deliveries}).
 *
 * @param status the receiver's HTTP status; 0 when it was not reached
 * @param error  why the attempt failed, or null
 */
public record RotationDelivery(String webhookId, String event, int attempt, Instant at, int status, String error,
                               long durationMs, String url) {
}
