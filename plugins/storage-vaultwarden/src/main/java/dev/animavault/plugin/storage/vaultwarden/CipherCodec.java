package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.BitwardenCrypto;
import dev.animavault.plugin.storage.vaultwarden.crypto.EncString;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * Converts between Bitwarden cipher JSON (EncStrings) and decrypted {@link Item}s with an organization
 * key. Reads per-item keys ({@code cipher.key}) and EncString types 0 and 2; writes type 2, keeps an
 * existing per-item key (encrypting under it), and writes {@code uriChecksum} for every URI. Thread-safe.
 */
final class CipherCodec {
    private CipherCodec() {
    }

    /**
     * Decrypts a cipher of the organization.
     *
     * @throws dev.animavault.plugin.storage.vaultwarden.crypto.CryptoException when a value does not
     *                                                                          decrypt or verify
     */
    static Item decrypt(JsonNode cipher, SymmetricKey orgKey) {
        Objects.requireNonNull(cipher, "cipher is null");
        Objects.requireNonNull(orgKey, "orgKey is null");
        Item item = new Item();
        item.id = Json.text(cipher, "id");
        item.revisionDate = Json.text(cipher, "revisionDate");
        item.organizationId = Json.text(cipher, "organizationId");
        item.type = Json.integer(cipher, "type", Item.SECURE_NOTE);
        item.deleted = Json.get(cipher, "deletedDate") != null;
        JsonNode cols = Json.get(cipher, "collectionIds");
        if (cols != null) {
            cols.forEach(c -> item.collectionIds.add(c.asText()));
        }
        item.itemKey = Json.text(cipher, "key");
        SymmetricKey key = itemKey(item.itemKey, orgKey);
        try {
            item.name = orEmpty(dec(Json.text(cipher, "name"), key));
            item.notes = dec(Json.text(cipher, "notes"), key);
            JsonNode login = Json.get(cipher, "login");
            if (login != null) {
                item.username = dec(Json.text(login, "username"), key);
                item.password = dec(Json.text(login, "password"), key);
                JsonNode uris = Json.get(login, "uris");
                if (uris != null) {
                    for (JsonNode u : uris) {
                        String uri = dec(Json.text(u, "uri"), key);
                        if (uri != null) {
                            item.uris.add(uri);
                        }
                    }
                }
            }
            JsonNode fields = Json.get(cipher, "fields");
            if (fields != null) {
                for (JsonNode f : fields) {
                    String n = dec(Json.text(f, "name"), key);
                    if (n != null) {
                        item.fields.add(new Item.Field(n, dec(Json.text(f, "value"), key),
                                Json.integer(f, "type", Item.FIELD_TEXT)));
                    }
                }
            }
            JsonNode history = Json.get(cipher, "passwordHistory");
            if (history != null) {
                for (JsonNode h : history) {
                    String p = dec(Json.text(h, "password"), key);
                    if (p != null) {
                        item.passwordHistory.add(new Item.History(p, orEmpty(Json.text(h, "lastUsedDate"))));
                    }
                }
            }
        } finally {
            if (key != orgKey) {
                key.wipe();
            }
        }
        return item;
    }

    /** Encrypts an item to cipher JSON (for create, or for a full-replace PUT with lastKnownRevisionDate). */
    static ObjectNode encrypt(Item item, SymmetricKey orgKey) {
        Objects.requireNonNull(item, "item is null");
        Objects.requireNonNull(orgKey, "orgKey is null");
        SymmetricKey key = itemKey(item.itemKey, orgKey);
        try {
            ObjectNode c = Json.object();
            c.put("type", item.type);
            c.put("organizationId", item.organizationId);
            c.putNull("folderId");
            c.put("key", item.itemKey);
            c.put("name", enc(item.name, key));
            c.put("notes", item.notes == null ? null : enc(item.notes, key));
            c.put("favorite", false);
            c.put("reprompt", 0);
            ArrayNode fields = c.putArray("fields");
            for (Item.Field f : item.fields) {
                ObjectNode fn = fields.addObject();
                fn.put("type", f.type());
                fn.put("name", enc(f.name(), key));
                fn.put("value", enc(f.value(), key));
                fn.putNull("linkedId");
            }
            if (item.type == Item.LOGIN) {
                ObjectNode login = c.putObject("login");
                login.put("username", item.username == null ? null : enc(item.username, key));
                login.put("password", item.password == null ? null : enc(item.password, key));
                login.putNull("totp");
                login.putNull("passwordRevisionDate");
                ArrayNode uris = login.putArray("uris");
                for (String uri : item.uris) {
                    ObjectNode un = uris.addObject();
                    un.put("uri", enc(uri, key));
                    // Clients drop URIs of keyed items whose checksum does not verify; always write it.
                    String checksum = Base64.getEncoder().encodeToString(
                            BitwardenCrypto.sha256(uri.getBytes(StandardCharsets.UTF_8)));
                    un.put("uriChecksum", enc(checksum, key));
                    un.putNull("match");
                }
                login.putArray("fido2Credentials");
            } else {
                c.putObject("secureNote").put("type", 0);
            }
            ArrayNode history = c.putArray("passwordHistory");
            for (Item.History h : item.passwordHistory) {
                history.addObject().put("password", enc(h.password(), key)).put("lastUsedDate", h.lastUsedDate());
            }
            if (item.revisionDate != null) {
                c.put("lastKnownRevisionDate", item.revisionDate);
            }
            return c;
        } finally {
            if (key != orgKey) {
                key.wipe();
            }
        }
    }

    private static SymmetricKey itemKey(String itemKey, SymmetricKey orgKey) {
        if (itemKey == null || itemKey.isEmpty()) {
            return orgKey;
        }
        byte[] raw = BitwardenCrypto.decrypt(EncString.parse(itemKey), orgKey);
        try {
            return SymmetricKey.fromBytes(raw);
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    private static String dec(String encString, SymmetricKey key) {
        if (encString == null || encString.isEmpty()) {
            return null;
        }
        return BitwardenCrypto.decryptString(EncString.parse(encString), key);
    }

    private static String enc(String plaintext, SymmetricKey key) {
        return BitwardenCrypto.encryptString(plaintext, key).toString();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
