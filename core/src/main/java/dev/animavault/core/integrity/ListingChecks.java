package dev.animavault.core.integrity;

import dev.animavault.spi.Page;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import java.util.List;

/**
 * The check of listed rows (pages of secrets and of identities): every row gets {@link RowChecks}' full MAC
 * check unless it is equal, field by field, to a row that passed it lately ({@link VerifiedRows}, issue 19: a
 * page listed again hashes only the rows that changed). Tamper evidence is that of the full check: an equal
 * row under the same MAC field would pass it again ({@code ListingTamperTest}). Listings do not consult the
 * replay guard (a page is not a read at an item's latest). Thread-safe.
 */
final class ListingChecks {
    private final RowChecks checks;
    /**
     * Listed rows that passed their MAC check lately, so a page listed again hashes only rows that changed
     * (4,096 of each kind: a few MB at most).
     */
    private final VerifiedRows<SecretMetadata, SecretMetadata> secrets = new VerifiedRows<>(4096);
    private final VerifiedRows<Identity, Identity> identities = new VerifiedRows<>(4096);

    ListingChecks(RowChecks checks) {
        this.checks = checks;
    }

    /** The page with every identity checked and its {@code _mac} label removed; throws at the first that fails. */
    Page<Identity> identities(Page<Identity> p) {
        List<Identity> items = p.items();
        Identity[] out = new Identity[items.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = listed(items.get(k));
        }
        return new Page<>(List.of(out), p.nextCursor());
    }

    /** {@link RowChecks#verified(Identity)}, skipped for a row equal to one that passed it lately. */
    private Identity listed(Identity i) {
        String field = i.metadata().get(IntegrityStorage.FIELD);
        if (field == null) {
            return checks.verified(i);
        }
        Identity served = identities.served(i, field);
        if (served == null) {
            served = checks.verified(i);
            identities.remember(i, field, served);
        }
        return served;
    }

    /** The page as it is, once every secret's metadata checked out; throws at the first that fails. */
    Page<SecretMetadata> secrets(Page<SecretMetadata> p) {
        if (!checks.secretsEditedOutside()) {
            try (RowChecks.Hashers batch = checks.hashers()) {
                for (SecretMetadata m : p.items()) {
                    listed(m, batch);
                }
            }
        }
        return p;
    }

    /** {@link RowChecks#verified(SecretMetadata)}, skipped for a row equal to one that passed it lately. */
    private void listed(SecretMetadata m, RowChecks.Hashers batch) {
        String field = m.attributes().get(IntegrityStorage.FIELD);
        if (field == null) {
            checks.verified(m, null, batch);
        } else if (secrets.served(m, field) == null) {
            checks.verified(m, FieldMac.parse(field), batch);
            secrets.remember(m, field, m);
        }
    }

    /** Forgets every row remembered as checked (their MACs may name a key about to go). */
    void clear() {
        secrets.clear();
        identities.clear();
    }
}
