package dev.animavault.plugin.storage.vaultwarden;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A decrypted Bitwarden cipher (only what this backend reads or writes). Mutable, confined to one
 * thread while it is built or changed. Holds plaintext secret values: never logged, and
 * {@link #toString()} shows only the id.
 */
final class Item {
    /** Cipher type 1. */
    static final int LOGIN = 1;
    /** Cipher type 2. */
    static final int SECURE_NOTE = 2;
    /** Custom field type 0. */
    static final int FIELD_TEXT = 0;
    /** Custom field type 1. */
    static final int FIELD_HIDDEN = 1;

    /** A custom field. */
    record Field(String name, String value, int type) {
        Field {
            Objects.requireNonNull(name, "name is null");
            value = value == null ? "" : value;
        }

        @Override
        public String toString() {
            return "Field[" + name + "]";
        }
    }

    /** A password history entry. */
    record History(String password, String lastUsedDate) {
        History {
            Objects.requireNonNull(password, "password is null");
            Objects.requireNonNull(lastUsedDate, "lastUsedDate is null");
        }

        @Override
        public String toString() {
            return "History[" + lastUsedDate + "]";
        }
    }

    String id;
    /** The server's revisionDate exactly as read (echoed as lastKnownRevisionDate). */
    String revisionDate;
    String organizationId;
    List<String> collectionIds = new ArrayList<>();
    int type = SECURE_NOTE;
    String name = "";
    String notes;
    String username;
    String password;
    List<String> uris = new ArrayList<>();
    List<Field> fields = new ArrayList<>();
    List<History> passwordHistory = new ArrayList<>();
    /** The item's own key as stored (an EncString under the organization key), or null. */
    String itemKey;
    boolean deleted;

    /** The value of the first field with that name. */
    Optional<String> field(String fieldName) {
        for (Field f : fields) {
            if (f.name().equals(fieldName)) {
                return Optional.of(f.value());
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "Item[" + id + "]";
    }
}
