package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How identities, secrets and core's records are laid out in Bitwarden items (the mapping humans see in
 * their Bitwarden apps):
 *
 * <ul>
 *   <li><b>Secret</b>: one item named by the secret key. A <i>Login</i> item for {@code password} and
 *       {@code api_key} (the current value is the login password), a <i>Secure Note</i> for every other
 *       type (the current value is the hidden field {@code value}). Every version's value is a hidden field
 *       {@code anima:value:<n>}; {@code anima:versions} lists version numbers, creation times and authors;
 *       previous versions are mirrored into {@code passwordHistory}. User labels are text fields
 *       {@code label:<name>}, core's attributes {@code attr:<name>}; {@code anima:type},
 *       {@code anima:current-version}, {@code anima:created}, {@code anima:updated} and
 *       {@code anima:revision} hold the rest. Fields outside these names (added by humans) are kept.</li>
 *   <li><b>Human edits</b>: when the login password (or the {@code value} field) differs from the stored
 *       current version, a person changed it in a Bitwarden client: it is read as a new current version
 *       (number max+1, author {@value #HUMAN_AUTHOR}) and the revision counts one more, so a conditional
 *       write based on the old state fails with {@code REVISION_CONFLICT}. The next write persists it.</li>
 *   <li><b>Identity</b>: a Secure Note {@code Anima identity: <id>} in the identity's collection.</li>
 *   <li><b>Record</b> (core's own state): a Secure Note {@code Anima record: <namespace>/<key>} in the system
 *       collection, the value base64 in the hidden field {@code anima:value}.</li>
 * </ul>
 *
 * Values that are not valid UTF-8 are stored base64-encoded (flagged per version). Stateless.
 */
final class ItemMapper {
    static final String HUMAN_AUTHOR = "vaultwarden:human-edit";
    static final String KIND = "anima:kind";
    static final String REVISION = "anima:revision";
    static final String ORG = "anima:organization";
    static final String IDENTITY = "anima:identity";
    static final String KEY = "anima:key";
    static final String TYPE = "anima:type";
    static final String CURRENT = "anima:current-version";
    static final String CREATED = "anima:created";
    static final String UPDATED = "anima:updated";
    static final String VERSIONS = "anima:versions";
    static final String VALUE_PREFIX = "anima:value:";
    static final String RECORD_VALUE = "anima:value";
    static final String NAME = "anima:name";
    static final String DISABLED = "anima:disabled";
    static final String NAMESPACE = "anima:namespace";
    static final String LABEL = "label:";
    static final String ATTR = "attr:";
    static final String NOTE_VALUE = "value";
    static final Set<String> LOGIN_TYPES = Set.of("password", "api_key");
    private static final String MANAGED_NOTE = "Managed by Anima Vault. Change the password (or the 'value' "
            + "field) to set a new current version; fields named anima:* are internal, label:* and attr:* are "
            + "the secret's labels and settings.";

    private ItemMapper() {
    }

    /** A secret as stored: metadata (with the effective revision) and all versions, oldest first. */
    record SecretState(SecretMetadata metadata, List<SecretVersion> versions, boolean humanEdited) {
        int maxVersion() {
            return versions.isEmpty() ? 0 : versions.get(versions.size() - 1).version();
        }

        SecretVersion version(int n) {
            for (SecretVersion v : versions) {
                if (v.version() == n) {
                    return v;
                }
            }
            return null;
        }
    }

    private record VersionInfo(int version, Instant createdAt, String createdBy, boolean base64) {
    }

    static String kind(Item item) {
        return item.field(KIND).orElse("");
    }

    // ------------------------------------------------------------------ secrets

    /**
     * Reads a secret item. {@code fallbackRef} addresses items a person created in an identity's collection
     * without Anima's fields: they read as a {@code password} secret named like the item.
     */
    static SecretState decodeSecret(Item item, SecretRef fallbackRef) {
        SecretRef ref = new SecretRef(item.field(ORG).orElse(fallbackRef.organizationId()),
                item.field(IDENTITY).orElse(fallbackRef.identityId()), item.field(KEY).orElse(item.name));
        Instant itemTime = instant(item.revisionDate, Instant.EPOCH);
        List<VersionInfo> infos = parseVersions(item.field(VERSIONS).orElse("[]"));
        List<SecretVersion> versions = new ArrayList<>();
        for (VersionInfo vi : infos) {
            String text = item.field(VALUE_PREFIX + vi.version()).orElse(null);
            if (text == null) {
                continue;
            }
            versions.add(new SecretVersion(ref, vi.version(), fromText(text, vi.base64()), vi.createdAt(), vi.createdBy()));
        }
        versions.sort(Comparator.comparingInt(SecretVersion::version));
        long revision = parseLong(item.field(REVISION).orElse("0"));
        int max = versions.isEmpty() ? 0 : versions.get(versions.size() - 1).version();
        int current = (int) parseLong(item.field(CURRENT).orElse(Integer.toString(Math.max(max, 1))));
        String slot = item.type == Item.LOGIN ? item.password : item.field(NOTE_VALUE).orElse(null);
        String slotText = slot == null ? "" : slot;
        VersionInfo currentInfo = infos.stream().filter(v -> v.version() == current).findFirst().orElse(null);
        String storedText = currentInfo == null ? null : item.field(VALUE_PREFIX + current).orElse(null);
        boolean human = storedText == null || !storedText.equals(slotText);
        Instant updated = instant(item.field(UPDATED).orElse(null), itemTime);
        if (human) {
            int n = max + 1;
            versions.add(new SecretVersion(ref, n, slotText.getBytes(StandardCharsets.UTF_8), itemTime, HUMAN_AUTHOR));
            revision = revision + 1;
            updated = itemTime.isAfter(updated) ? itemTime : updated;
            SecretMetadata md = new SecretMetadata(ref, item.field(TYPE).orElse("password"), n,
                    prefixed(item, LABEL), prefixed(item, ATTR), instant(item.field(CREATED).orElse(null), itemTime),
                    updated, revision);
            return new SecretState(md, List.copyOf(versions), true);
        }
        SecretMetadata md = new SecretMetadata(ref, item.field(TYPE).orElse("password"), current,
                prefixed(item, LABEL), prefixed(item, ATTR), instant(item.field(CREATED).orElse(null), itemTime),
                updated, revision);
        return new SecretState(md, List.copyOf(versions), false);
    }

    /** Whether a new secret of this type becomes a Login item (else a Secure Note). */
    static boolean isLoginType(String type) {
        return LOGIN_TYPES.contains(type);
    }

    /** Writes a secret's state into an item (a fresh one for create, the re-read one for updates). */
    static void encodeSecret(SecretMetadata md, List<SecretVersion> versions, Item item) {
        SecretRef ref = md.ref();
        item.name = ref.key();
        if (item.notes == null) {
            item.notes = MANAGED_NOTE;
        }
        List<Item.Field> kept = foreignFields(item);
        List<Item.Field> fields = new ArrayList<>();
        fields.add(new Item.Field(KIND, "secret", Item.FIELD_TEXT));
        fields.add(new Item.Field(ORG, ref.organizationId(), Item.FIELD_TEXT));
        fields.add(new Item.Field(IDENTITY, ref.identityId(), Item.FIELD_TEXT));
        fields.add(new Item.Field(KEY, ref.key(), Item.FIELD_TEXT));
        fields.add(new Item.Field(TYPE, md.type(), Item.FIELD_TEXT));
        fields.add(new Item.Field(CURRENT, Integer.toString(md.currentVersion()), Item.FIELD_TEXT));
        fields.add(new Item.Field(CREATED, md.createdAt().toString(), Item.FIELD_TEXT));
        fields.add(new Item.Field(UPDATED, md.updatedAt().toString(), Item.FIELD_TEXT));
        fields.add(new Item.Field(REVISION, Long.toString(md.revision()), Item.FIELD_TEXT));
        ArrayNode infos = Json.MAPPER.createArrayNode();
        String currentText = "";
        List<Item.History> history = new ArrayList<>();
        List<SecretVersion> sorted = new ArrayList<>(versions);
        sorted.sort(Comparator.comparingInt(SecretVersion::version));
        for (int i = 0; i < sorted.size(); i++) {
            SecretVersion v = sorted.get(i);
            byte[] value = v.value();
            String utf8 = utf8OrNull(value);
            String text = utf8 != null ? utf8 : Base64.getEncoder().encodeToString(value);
            infos.addObject().put("version", v.version()).put("createdAt", v.createdAt().toString())
                    .put("createdBy", v.createdBy()).put("encoding", utf8 != null ? "utf8" : "base64");
            fields.add(new Item.Field(VALUE_PREFIX + v.version(), text, Item.FIELD_HIDDEN));
            if (v.version() == md.currentVersion()) {
                currentText = text;
            } else if (v.version() < md.currentVersion()) {
                Instant replacedAt = i + 1 < sorted.size() ? sorted.get(i + 1).createdAt() : v.createdAt();
                history.add(new Item.History(text, replacedAt.toString()));
            }
        }
        fields.add(new Item.Field(VERSIONS, infos.toString(), Item.FIELD_TEXT));
        md.metadata().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> fields.add(new Item.Field(LABEL + e.getKey(), e.getValue(), Item.FIELD_TEXT)));
        md.attributes().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> fields.add(new Item.Field(ATTR + e.getKey(), e.getValue(), Item.FIELD_TEXT)));
        if (item.type == Item.LOGIN) {
            item.password = currentText;
            String uri = "anima-vault://" + ref.organizationId() + "/" + ref.identityId() + "/" + ref.key();
            item.uris = new ArrayList<>(List.of(uri));
        } else {
            kept.removeIf(f -> f.name().equals(NOTE_VALUE));
            fields.add(new Item.Field(NOTE_VALUE, currentText, Item.FIELD_HIDDEN));
        }
        fields.addAll(kept);
        item.fields = fields;
        java.util.Collections.reverse(history); // newest previous version first, as Bitwarden clients list it
        item.passwordHistory = history;
    }

    // ------------------------------------------------------------------ identities

    static Identity decodeIdentity(Item item) {
        Instant itemTime = instant(item.revisionDate, Instant.EPOCH);
        return new Identity(item.field(ORG).orElse(""), item.field(IDENTITY).orElse(""),
                item.field(NAME).orElse(""), prefixed(item, LABEL), Boolean.parseBoolean(item.field(DISABLED).orElse("false")),
                instant(item.field(CREATED).orElse(null), itemTime), instant(item.field(UPDATED).orElse(null), itemTime),
                parseLong(item.field(REVISION).orElse("1")));
    }

    static void encodeIdentity(Identity identity, Item item) {
        item.type = Item.SECURE_NOTE;
        item.name = "Anima identity: " + identity.id();
        if (item.notes == null) {
            item.notes = "Anima Vault identity record. The other items of this collection are its secrets.";
        }
        List<Item.Field> kept = foreignFields(item);
        List<Item.Field> fields = new ArrayList<>();
        fields.add(new Item.Field(KIND, "identity", Item.FIELD_TEXT));
        fields.add(new Item.Field(ORG, identity.organizationId(), Item.FIELD_TEXT));
        fields.add(new Item.Field(IDENTITY, identity.id(), Item.FIELD_TEXT));
        fields.add(new Item.Field(NAME, identity.name(), Item.FIELD_TEXT));
        fields.add(new Item.Field(DISABLED, Boolean.toString(identity.disabled()), Item.FIELD_TEXT));
        fields.add(new Item.Field(CREATED, identity.createdAt().toString(), Item.FIELD_TEXT));
        fields.add(new Item.Field(UPDATED, identity.updatedAt().toString(), Item.FIELD_TEXT));
        fields.add(new Item.Field(REVISION, Long.toString(identity.revision()), Item.FIELD_TEXT));
        identity.metadata().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> fields.add(new Item.Field(LABEL + e.getKey(), e.getValue(), Item.FIELD_TEXT)));
        fields.addAll(kept);
        item.fields = fields;
    }

    // ------------------------------------------------------------------ records

    static StoredRecord decodeRecord(Item item) {
        Instant itemTime = instant(item.revisionDate, Instant.EPOCH);
        byte[] value;
        try {
            value = Base64.getDecoder().decode(item.field(RECORD_VALUE).orElse(""));
        } catch (IllegalArgumentException e) {
            value = new byte[0];
        }
        return new StoredRecord(item.field(NAMESPACE).orElse(""), item.field(KEY).orElse(""), value,
                parseLong(item.field(REVISION).orElse("1")), instant(item.field(UPDATED).orElse(null), itemTime));
    }

    static void encodeRecord(StoredRecord record, Item item) {
        item.type = Item.SECURE_NOTE;
        item.name = "Anima record: " + record.namespace() + "/" + record.key();
        if (item.notes == null) {
            item.notes = "Anima Vault's own state (tokens, schedules, keyring). Do not edit.";
        }
        List<Item.Field> fields = new ArrayList<>();
        fields.add(new Item.Field(KIND, "record", Item.FIELD_TEXT));
        fields.add(new Item.Field(NAMESPACE, record.namespace(), Item.FIELD_TEXT));
        fields.add(new Item.Field(KEY, record.key(), Item.FIELD_TEXT));
        fields.add(new Item.Field(REVISION, Long.toString(record.revision()), Item.FIELD_TEXT));
        fields.add(new Item.Field(UPDATED, record.updatedAt().toString(), Item.FIELD_TEXT));
        fields.add(new Item.Field(RECORD_VALUE, Base64.getEncoder().encodeToString(record.value()), Item.FIELD_HIDDEN));
        item.fields = fields;
    }

    // ------------------------------------------------------------------ helpers

    private static List<Item.Field> foreignFields(Item item) {
        List<Item.Field> kept = new ArrayList<>();
        for (Item.Field f : item.fields) {
            String n = f.name();
            if (!n.startsWith("anima:") && !n.startsWith(LABEL) && !n.startsWith(ATTR)) {
                kept.add(f);
            }
        }
        return kept;
    }

    private static Map<String, String> prefixed(Item item, String prefix) {
        Map<String, String> out = new TreeMap<>();
        for (Item.Field f : item.fields) {
            if (f.name().startsWith(prefix)) {
                out.putIfAbsent(f.name().substring(prefix.length()), f.value());
            }
        }
        return out;
    }

    private static List<VersionInfo> parseVersions(String json) {
        List<VersionInfo> out = new ArrayList<>();
        try {
            JsonNode arr = Json.parse(json.getBytes(StandardCharsets.UTF_8));
            if (arr != null && arr.isArray()) {
                for (JsonNode n : arr) {
                    int v = Json.integer(n, "version", 0);
                    if (v >= 1) {
                        out.add(new VersionInfo(v, instant(Json.text(n, "createdAt"), Instant.EPOCH),
                                orDefault(Json.text(n, "createdBy"), "unknown"), "base64".equals(Json.text(n, "encoding"))));
                    }
                }
            }
        } catch (IOException e) {
            // A field damaged by hand: read no versions; the current slot then reads as a human edit.
        }
        return out;
    }

    private static byte[] fromText(String text, boolean base64) {
        if (base64) {
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                return text.getBytes(StandardCharsets.UTF_8);
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String utf8OrNull(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static Instant instant(String text, Instant fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return fallback;
        }
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String orDefault(String s, String d) {
        return s == null ? d : s;
    }
}
