package dev.animavault.core.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.authz.Role;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Admin accounts (records {@value #ACCOUNTS}/{@code <org>/<username>}) and custom roles (records
 * {@value #ROLES}/{@code <org>/<name>}), each a JSON document sealed by the barrier with the record's
 * namespace and key as associated data: storage sees neither TOTP secrets nor hashes, and a record moved
 * or edited there fails to open. Writes compare revisions, so two nodes changing one account (a code
 * used on each at once) cannot both win. Thread-safe (stateless over the storage).
 */
public final class AdminStore {
    /** Record namespace of admin accounts. */
    public static final String ACCOUNTS = "admins";
    /** Record namespace of custom roles. */
    public static final String ROLES = "admin-roles";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern ROLE_NAME = java.util.regex.Pattern.compile("[a-z][a-z0-9_-]{0,63}");

    private final StorageBackend storage;
    private final Barrier barrier;

    /** A value with the storage revision it was read at. */
    public record Versioned<T>(T value, long revision) {
    }

    /** A custom role: a named set of permissions. */
    public record CustomRole(String organizationId, String name, Set<Permission> permissions, Instant updatedAt) {
        public CustomRole {
            permissions = Set.copyOf(permissions);
        }
    }

    public AdminStore(StorageBackend storage, Barrier barrier) {
        this.storage = storage;
        this.barrier = barrier;
    }

    // ------------------------------------------------------------------ accounts

    /** The account, if it exists. */
    public Optional<Versioned<AdminAccount>> account(String org, String username) {
        String key = org + "/" + username;
        return storage.getRecord(ACCOUNTS, key).map(r -> new Versioned<>(decodeAccount(open(ACCOUNTS, r)), r.revision()));
    }

    /** Creates an account; {@code ALREADY_EXISTS} when the username is taken in the organization. */
    public void create(AdminAccount a) {
        try {
            storage.putRecord(ACCOUNTS, key(a), seal(ACCOUNTS, key(a), encode(a)), 0);
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.ALREADY_EXISTS) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "admin " + a.username() + " already exists");
            }
            throw e;
        }
    }

    /** Replaces an account read at {@code revision}; {@code REVISION_CONFLICT} when it changed meanwhile. */
    public long replace(AdminAccount a, long revision) {
        return storage.putRecord(ACCOUNTS, key(a), seal(ACCOUNTS, key(a), encode(a)), revision).revision();
    }

    /** Deletes an account read at {@code revision}; {@code REVISION_CONFLICT} when it changed meanwhile. */
    public void deleteAccount(AdminAccount a, long revision) {
        storage.deleteRecord(ACCOUNTS, key(a), revision);
    }

    /** The organization's accounts ordered by username (scans the namespace: an operator's call). */
    public List<AdminAccount> accounts(String org) {
        List<AdminAccount> out = new ArrayList<>();
        scan(ACCOUNTS, org, r -> out.add(decodeAccount(open(ACCOUNTS, r))));
        return out;
    }

    // ------------------------------------------------------------------ roles

    /** Validates a role name for a custom role (not a built-in one). */
    public static String customRoleName(String name) {
        if (name == null || !ROLE_NAME.matcher(name).matches()) {
            throw new VaultException(ErrorCode.INVALID_NAME, "role names match [a-z][a-z0-9_-]{0,63}");
        }
        if (builtIn(name).isPresent()) {
            throw new VaultException(ErrorCode.INVALID_NAME, "role " + name + " is built in and cannot be redefined");
        }
        return name;
    }

    /** The built-in role of that wire name, if it is one. */
    public static Optional<Role> builtIn(String name) {
        return Arrays.stream(Role.values()).filter(r -> r.wire().equals(name)).findFirst();
    }

    /** The permissions of a role name: a built-in role's, a custom role's, or none when it does not exist. */
    public Set<Permission> permissions(String org, String role) {
        Optional<Role> b = builtIn(role);
        if (b.isPresent()) {
            return b.get().permissions();
        }
        return role(org, role).map(v -> v.value().permissions()).orElse(Set.of());
    }

    /** Whether a role name resolves in the organization. */
    public boolean roleExists(String org, String role) {
        return builtIn(role).isPresent() || role(org, role).isPresent();
    }

    public Optional<Versioned<CustomRole>> role(String org, String name) {
        String key = org + "/" + name;
        return storage.getRecord(ROLES, key).map(r -> new Versioned<>(decodeRole(open(ROLES, r)), r.revision()));
    }

    /** Creates or replaces a custom role. */
    public void putRole(CustomRole role) {
        String key = role.organizationId() + "/" + role.name();
        ObjectNode json = JSON.createObjectNode();
        json.put("organizationId", role.organizationId());
        json.put("name", role.name());
        role.permissions().stream().map(Permission::wire).sorted().forEach(json.putArray("permissions")::add);
        json.put("updatedAt", role.updatedAt().toString());
        long revision = storage.getRecord(ROLES, key).map(StoredRecord::revision).orElse(0L);
        storage.putRecord(ROLES, key, seal(ROLES, key, bytes(json)), revision);
    }

    /** Deletes a custom role read at {@code revision}; {@code REVISION_CONFLICT} when it changed meanwhile. */
    public void deleteRole(String org, String name, long revision) {
        storage.deleteRecord(ROLES, org + "/" + name, revision);
    }

    /** The organization's custom roles ordered by name. */
    public List<CustomRole> roles(String org) {
        List<CustomRole> out = new ArrayList<>();
        scan(ROLES, org, r -> out.add(decodeRole(open(ROLES, r))));
        return out;
    }

    /** Parses wire permission names, refusing unknown ones with the list of known ones. */
    public static Set<Permission> parsePermissions(List<String> names) {
        Set<Permission> out = EnumSet.noneOf(Permission.class);
        for (String n : names) {
            out.add(Permission.fromWire(n).orElseThrow(() -> new VaultException(ErrorCode.INVALID_ARGUMENT,
                    "unknown permission '" + (n.length() > 64 ? n.substring(0, 64) : n) + "'; known: "
                            + Arrays.stream(Permission.values()).map(Permission::wire).toList())));
        }
        return out;
    }

    // ------------------------------------------------------------------ encoding

    private void scan(String ns, String org, java.util.function.Consumer<StoredRecord> each) {
        String prefix = org + "/";
        Optional<String> cursor = Optional.empty();
        do {
            Page<StoredRecord> page = storage.listRecords(ns, new PageRequest(500, cursor));
            for (StoredRecord r : page.items()) {
                if (r.key().startsWith(prefix)) {
                    each.accept(r);
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
    }

    private static String key(AdminAccount a) {
        return a.organizationId() + "/" + a.username();
    }

    private byte[] seal(String ns, String key, byte[] plain) {
        return SealedJson.seal(barrier, ns, key, plain);
    }

    private JsonNode open(String ns, StoredRecord r) {
        return SealedJson.open(barrier, ns, r);
    }

    private static byte[] bytes(ObjectNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encode(AdminAccount a) {
        ObjectNode json = JSON.createObjectNode();
        json.put("organizationId", a.organizationId());
        json.put("username", a.username());
        json.put("role", a.role());
        json.put("disabled", a.disabled());
        json.put("passwordHash", a.passwordHash());
        byte[] secret = a.totpSecret();
        if (secret != null) {
            json.put("totpSecret", Base64.getEncoder().encodeToString(secret));
            Arrays.fill(secret, (byte) 0);
        }
        json.put("lastTotpStep", a.lastTotpStep());
        a.recoveryCodes().forEach(json.putArray("recoveryCodes")::add);
        json.put("mfaFailures", a.mfaFailures());
        if (a.lockedUntil() != null) {
            json.put("lockedUntil", a.lockedUntil().toString());
        }
        json.put("createdAt", a.createdAt().toString());
        json.put("updatedAt", a.updatedAt().toString());
        return bytes(json);
    }

    private static AdminAccount decodeAccount(JsonNode j) {
        List<String> codes = new ArrayList<>();
        j.path("recoveryCodes").forEach(c -> codes.add(c.asText()));
        String secret = j.path("totpSecret").asText(null);
        String locked = j.path("lockedUntil").asText(null);
        return new AdminAccount(j.path("organizationId").asText(), j.path("username").asText(), j.path("role").asText(),
                j.path("disabled").asBoolean(), j.path("passwordHash").asText(),
                secret == null ? null : Base64.getDecoder().decode(secret), j.path("lastTotpStep").asLong(-1), codes,
                j.path("mfaFailures").asInt(), locked == null ? null : Instant.parse(locked),
                Instant.parse(j.path("createdAt").asText()), Instant.parse(j.path("updatedAt").asText()));
    }

    private static CustomRole decodeRole(JsonNode j) {
        List<String> names = new ArrayList<>();
        j.path("permissions").forEach(p -> names.add(p.asText()));
        Set<Permission> perms = new TreeSet<>();
        for (String n : names) {
            Permission.fromWire(n.toLowerCase(Locale.ROOT)).ifPresent(perms::add); // a retired permission grants nothing
        }
        return new CustomRole(j.path("organizationId").asText(), j.path("name").asText(), perms,
                Instant.parse(j.path("updatedAt").asText()));
    }
}
