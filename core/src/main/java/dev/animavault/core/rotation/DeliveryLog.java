package dev.animavault.core.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last {@value #KEEP} delivery attempts of each secret, newest last, as one record per secret in
 * {@value #NAMESPACE} (keyed by the ref hash), updated with conditional writes. Holds no values.
 */
final class DeliveryLog {
    static final String NAMESPACE = "rotation-deliveries";
    static final int KEEP = 50;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageBackend storage;

    DeliveryLog(StorageBackend storage) {
        this.storage = storage;
    }

    void append(SecretRef ref, Map<String, Object> delivery) {
        String key = RotationSchedule.refHash(ref);
        for (int attempt = 0; attempt < 5; attempt++) {
            Optional<StoredRecord> r = storage.getRecord(NAMESPACE, key);
            ArrayNode items = r.map(x -> (ArrayNode) read(x.value()).get("items")).orElseGet(JSON::createArrayNode);
            items.add(JSON.valueToTree(delivery));
            while (items.size() > KEEP) {
                items.remove(0);
            }
            ObjectNode doc = JSON.createObjectNode();
            doc.put("ref", ref.organizationId() + "/" + ref.identityId() + "/" + ref.key());
            doc.set("items", items);
            try {
                storage.putRecord(NAMESPACE, key, JSON.writeValueAsBytes(doc), r.map(StoredRecord::revision).orElse(0L));
                return;
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                    throw e;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Forgets a secret's deliveries (the secret was deleted). */
    void clear(SecretRef ref) {
        String key = RotationSchedule.refHash(ref);
        storage.getRecord(NAMESPACE, key).ifPresent(r -> {
            try {
                storage.deleteRecord(NAMESPACE, key, r.revision());
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.NOT_FOUND && e.errorCode() != ErrorCode.REVISION_CONFLICT) {
                    throw e;
                }
            }
        });
    }

    /** The deliveries of a secret, oldest first. */
    List<JsonNode> list(SecretRef ref) {
        Optional<StoredRecord> r = storage.getRecord(NAMESPACE, RotationSchedule.refHash(ref));
        List<JsonNode> out = new ArrayList<>();
        r.ifPresent(x -> read(x.value()).get("items").forEach(out::add));
        return out;
    }

    private static JsonNode read(byte[] b) {
        try {
            return JSON.readTree(b);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "delivery log record is not valid JSON");
        }
    }
}
