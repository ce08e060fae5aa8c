package dev.animavault.core.rotation;

import static dev.animavault.core.rotation.LifecycleAttributes.EXPIRES_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.LAST_OUTCOME;
import static dev.animavault.core.rotation.LifecycleAttributes.ROTATION_ID;

import dev.animavault.core.config.RotationConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.StorageBackend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Delivers the events of the {@link EventOutbox} for the {@link RotationEngine} (which polls the outbox
 * and runs one task per secret at a time on this node). Thread-safe.
 */
final class EventDelivery {
    private final RotationEngine engine;
    private final StorageBackend storage;
    private final RotationConfig config;
    private final Clock clock;
    private final WebhookClient webhooks;
    private final String nodeId;
    private final Duration leaseTtl;

    EventDelivery(RotationEngine engine, StorageBackend storage, RotationConfig config, Clock clock,
                  WebhookClient webhooks, String nodeId, Duration leaseTtl) {
        this.engine = engine;
        this.storage = storage;
        this.config = config;
        this.clock = clock;
        this.webhooks = webhooks;
        this.nodeId = nodeId;
        this.leaseTtl = leaseTtl;
    }

    /**
     * Delivers one event of the outbox under the secret's lease. An event not yet confirmed is delivered
     * only when the secret shows what it announces (the rotation's outcome, the expiry); while the
     * rotation it belongs to is still in progress (a promotion cut off before its write) it waits; else it
     * is dropped. Every attempt carries the event's webhook-id; the entry is removed after a 2xx or the
     * last attempt, or replaced by a retry due later.
     */
    void process(EventOutbox.Event e) {
        Optional<Lease> lease = storage.tryAcquireLease("rotation/" + RotationSchedule.refHash(e.ref()), nodeId,
                leaseTtl);
        if (lease.isEmpty()) {
            return;
        }
        try {
            Instant now = clock.instant();
            SecretMetadata m = storage.getSecretMetadata(e.ref()).orElse(null);
            boolean expiring = e.type().equals(EventOutbox.EXPIRING);
            java.net.URI url = null;
            boolean wait = false;
            if (expiring) {
                boolean shows = m != null && !LifecycleAttributes.hasPolicy(m.attributes())
                        && e.subject().equals(m.attributes().get(EXPIRES_AT));
                url = e.confirmed() || shows ? config.expiringWebhookUrl() : null;
                // the write that sets this expiry may still be in flight
                wait = e.written().isAfter(now.minus(RotationEngine.STALE_AFTER));
            } else if (m != null) {
                RotationPolicy p = RotationPolicy.from(m.attributes());
                boolean shows = e.subject().equals(m.attributes().get(LAST_OUTCOME));
                url = p != null && (e.confirmed() || shows) ? p.webhookUrl() : null;
                wait = url == null && p != null && e.webhookId().equals(m.attributes().get(ROTATION_ID) + "."
                        + e.type().substring("secret.rotation.".length()));
            }
            if (url == null) {
                if (!wait) {
                    engine.events.remove(e.key());
                }
                return;
            }
            String rid = expiring ? null : e.webhookId().substring(0, e.webhookId().lastIndexOf('.'));
            int attempt = e.attempt() + 1;
            byte[] body = EventOutbox.body(e);
            WebhookClient.Result r = webhooks.deliver(url, e.webhookId(), body,
                    engine.signing.current(e.ref().organizationId(), now).signingAt(now));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("webhookId", e.webhookId());
            d.put("event", e.type());
            d.put("attempt", attempt);
            d.put("at", LifecycleAttributes.iso(now));
            d.put("status", r.status());
            d.put("error", r.error());
            d.put("durationMs", r.millis());
            d.put("url", url.toString());
            engine.deliveries.append(e.ref(), d);
            Map<String, String> details = new LinkedHashMap<>();
            details.put("event", e.type());
            details.put("webhookId", e.webhookId());
            details.put("attempt", Integer.toString(attempt));
            details.put("status", Integer.toString(r.status()));
            if (r.error() != null) {
                details.put("error", r.error());
            }
            engine.auditEvent("secret.event.deliver",
                    r.ok() ? AuditOutcome.SUCCESS : AuditOutcome.FAILURE, e.ref(), null, rid,
                    r.ok() ? null : ErrorCode.UPSTREAM_ERROR.code(), details);
            HaltPoints.reach(HaltPoints.EVENT_DELIVERED);
            if (r.ok() || attempt >= config.maxAttempts()) {
                engine.events.remove(e.key());
            } else {
                Duration delay = RotationEngine.jitter(config.retrySchedule().get(attempt - 1));
                engine.events.retry(e, clock.instant().plus(delay));
            }
        } finally {
            storage.releaseLease(lease.get());
        }
    }

}
