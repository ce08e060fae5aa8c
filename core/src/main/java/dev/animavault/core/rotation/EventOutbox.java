package dev.animavault.core.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Events waiting to be delivered ({@code secret.rotation.succeeded}, {@code secret.rotation.failed},
 * {@code secret.expiring}): one record per event and attempt in namespace {@value #NAMESPACE}, keyed
 * {@code <due epoch millis, 15 digits>/<webhook-id>} so, like the {@link RotationSchedule}, a poll reads
 * only what is due. The webhook-id is derived from what the event is about (the rotation id and the
 * event; the secret and its expiry), so writing the entry twice (a step redone after a crash) stores it
 * once. An entry is written <i>before</i> the state change it announces and is delivered only once that
 * change is visible in the secret (see {@code RotationEngine}); a retry replaces it by an entry due later.
 * Holds no secret values.
 */
final class EventOutbox {
    static final String NAMESPACE = "rotation-events";
    static final String SUCCEEDED = "secret.rotation.succeeded";
    static final String FAILED = "secret.rotation.failed";
    static final String EXPIRING = "secret.expiring";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One event. {@code subject} is what the secret must show for the event to be delivered: the
     * {@code rotation.lastOutcome} ({@code <rotation id> succeeded|failed}) or, for {@code secret.expiring},
     * the {@code expiresAt}. {@code confirmed} once it was seen (retries need no second check).
     */
    record Event(String key, SecretRef ref, String type, String webhookId, String subject, int attempt,
                 boolean confirmed, String createdAt, JsonNode data, Instant written) {
    }

    private final StorageBackend storage;

    EventOutbox(StorageBackend storage) {
        this.storage = storage;
    }

    /** Writes an event due at {@code due} (idempotent per due time and webhook-id); returns its key. */
    String put(SecretRef ref, String type, String webhookId, String subject, int attempt, boolean confirmed,
               String createdAt, Map<String, Object> data, Instant due) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("org", ref.organizationId());
        doc.put("identity", ref.identityId());
        doc.put("key", ref.key());
        doc.put("type", type);
        doc.put("webhookId", webhookId);
        doc.put("subject", subject);
        doc.put("attempt", attempt);
        doc.put("confirmed", confirmed);
        doc.put("createdAt", createdAt);
        doc.set("data", JSON.valueToTree(data));
        String key = String.format("%015d/%s", Math.max(0, due.toEpochMilli()), webhookId);
        try {
            storage.putRecord(NAMESPACE, key, JSON.writeValueAsBytes(doc), 0);
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return key;
    }

    /** A retry of {@code e}, due at {@code due}, replacing it. */
    void retry(Event e, Instant due) {
        Map<String, Object> data = JSON.convertValue(e.data(), JSON.getTypeFactory()
                .constructMapType(java.util.LinkedHashMap.class, String.class, Object.class));
        String next = put(e.ref(), e.type(), e.webhookId(), e.subject(), e.attempt() + 1, true, e.createdAt(), data, due);
        if (!next.equals(e.key())) {
            remove(e.key());
        }
    }

    void remove(String key) {
        Optional<StoredRecord> r = storage.getRecord(NAMESPACE, key);
        if (r.isEmpty()) {
            return;
        }
        try {
            storage.deleteRecord(NAMESPACE, key, r.get().revision());
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.NOT_FOUND && e.errorCode() != ErrorCode.REVISION_CONFLICT) {
                throw e;
            }
        }
    }

    /** Events due at {@code now}, oldest first, at most {@code max}. */
    List<Event> due(Instant now, int max) {
        List<Event> out = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        int pageSize = Math.min(16, max);
        while (out.size() < max) {
            Page<StoredRecord> page = storage.listRecords(NAMESPACE, new PageRequest(pageSize, cursor));
            pageSize = Math.min(200, max);
            for (StoredRecord r : page.items()) {
                if (r.key().length() < 17 || r.key().charAt(15) != '/') {
                    continue;
                }
                long due;
                try {
                    due = Long.parseLong(r.key().substring(0, 15));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (due > now.toEpochMilli() || out.size() >= max) {
                    return out;
                }
                Event e = parse(r);
                if (e != null) {
                    out.add(e);
                }
            }
            if (page.nextCursor().isEmpty()) {
                return out;
            }
            cursor = page.nextCursor();
        }
        return out;
    }

    private static Event parse(StoredRecord r) {
        try {
            JsonNode n = JSON.readTree(r.value());
            return new Event(r.key(), new SecretRef(n.get("org").asText(), n.get("identity").asText(),
                    n.get("key").asText()), n.get("type").asText(), n.get("webhookId").asText(),
                    n.get("subject").asText(), n.get("attempt").asInt(), n.get("confirmed").asBoolean(),
                    n.get("createdAt").asText(), n.get("data"), r.updatedAt());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The Standard Webhooks body of an event: {@code {type, timestamp, data}}. */
    static byte[] body(Event e) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("type", e.type());
        doc.put("timestamp", e.createdAt());
        doc.set("data", e.data());
        try {
            return JSON.writeValueAsBytes(doc);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }
}
