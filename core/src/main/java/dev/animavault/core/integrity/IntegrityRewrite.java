package dev.animavault.core.integrity;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.util.ArrayList;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The re-MAC pass of {@link IntegrityStorage#rewriteStale()} (and of its one-time upgrade): every row of
 * core's namespaces, every identity and every secret's metadata whose MAC is missing or under another
 * data key is checked, then written again through the integrity layer (conditionally, so a row changed
 * meanwhile is left to that writer).
 */
final class IntegrityRewrite {
    private final IntegrityStorage storage;

    IntegrityRewrite(IntegrityStorage storage) {
        this.storage = storage;
    }

    private StorageBackend raw() {
        return storage.delegate();
    }

    long run() {
        int active = storage.macs().activeKeyId();
        long[] n = {0};
        for (String ns : storage.namespaces()) {
            if (!IntegrityStorage.covered(ns)) {
                continue;
            }
            each(p -> raw().listRecords(ns, p), raw -> {
                byte[] v = raw.value();
                if (RowChecks.enveloped(v) && Bytes.getInt(v, 4) == active) {
                    return;
                }
                StoredRecord r;
                try {
                    r = storage.verified(raw);
                } catch (VaultException e) {
                    return;
                }
                n[0] += conditional(() -> storage.putRecord(ns, r.key(), r.value(), r.revision()));
            });
        }
        each(p -> raw().listRecords("orgs", p), org -> each(p -> raw().listIdentities(org.key(), p), raw -> {
            FieldMac f = FieldMac.parse(raw.metadata().get(IntegrityStorage.FIELD));
            if (f == null || f.keyId() != active) {
                try {
                    Identity i = storage.verified(raw);
                    n[0] += conditional(() -> storage.updateIdentity(i, i.revision()));
                } catch (VaultException e) {
                    // refused rows stay refused
                }
            }
            each(p -> raw().listSecrets(org.key(), raw.id(), p), m -> {
                FieldMac g = FieldMac.parse(m.attributes().get(IntegrityStorage.FIELD));
                if (g != null && g.keyId() == active) {
                    return;
                }
                try {
                    storage.verified(m);
                } catch (VaultException e) {
                    return;
                }
                n[0] += conditional(() -> storage.updateSecretMetadata(m, m.revision()));
            });
        }));
        return n[0];
    }

    private static int conditional(Runnable write) {
        try {
            write.run();
            return 1;
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.NOT_FOUND
                    || e.errorCode() == ErrorCode.SECRET_NOT_FOUND || e.errorCode() == ErrorCode.IDENTITY_NOT_FOUND) {
                return 0; // written meanwhile (with a MAC) or gone
            }
            throw e;
        }
    }

    private static <T> void each(java.util.function.Function<PageRequest, Page<T>> list, Consumer<T> each) {
        Optional<String> cursor = Optional.empty();
        do {
            Page<T> p = list.apply(cursor.isEmpty() ? PageRequest.first(200) : PageRequest.after(200, cursor.get()));
            new ArrayList<>(p.items()).forEach(each);
            cursor = p.nextCursor();
        } while (cursor.isPresent());
    }
}
