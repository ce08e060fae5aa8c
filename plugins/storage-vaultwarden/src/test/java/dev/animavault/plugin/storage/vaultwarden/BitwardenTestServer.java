package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.animavault.plugin.storage.vaultwarden.crypto.BitwardenCrypto;
import dev.animavault.plugin.storage.vaultwarden.crypto.EncString;
import dev.animavault.plugin.storage.vaultwarden.crypto.Kdf;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Bitwarden-API-compatible HTTPS server for tests (bound to 127.0.0.1), implementing what this plugin
 * and the official Bitwarden CLI call: prelogin (all three paths), the token endpoint (password,
 * client_credentials and refresh_token grants), config, sync, revision date, ciphers (personal and
 * organization: create, read, full replace with Vaultwarden's out-of-date check, partial, soft and hard
 * delete, restore, collections) and organization collections.
 *
 * <p>Accounts are made as Bitwarden clients make them ({@link #createAccount}): the fixture derives the
 * master key with the real KDF, sends the master password hash and the protected user and private keys;
 * the server stores only those. Organizations get a random key wrapped with RSA-OAEP for each member.
 *
 * <p>Failure injection for tests: {@link #rateLimitNext}, {@link #expireTokens}, {@link #outOfDateNext}.
 * Thread-safe (one lock around the state).
 *
 * <p>It answers a cipher that does not exist (or that the caller cannot see) as the chosen
 * {@link Flavour} does: Vaultwarden with 400 and its error body, Bitwarden's server with 404.
 */
final class BitwardenTestServer implements AutoCloseable {
    /** Whose answers to imitate where Vaultwarden and Bitwarden's official server differ. */
    enum Flavour {
        /**
         * Vaultwarden: {@code err!("Cipher doesn't exist")} / {@code err!("Cipher is not owned by user")} in
         * {@code src/api/core/ciphers.rs}; {@code err!} answers 400 with {@code _api_error}'s body
         * ({@code src/error.rs}).
         */
        VAULTWARDEN,
        /**
         * Bitwarden's server: the controllers throw {@code NotFoundException}, which
         * {@code ExceptionHandlerFilterAttribute} answers with 404 and "Resource not found.".
         */
        BITWARDEN
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final Pattern ORG_COLLECTIONS = Pattern.compile("/api/organizations/([^/]+)/collections(?:/([^/]+))?");
    private static final Pattern CIPHER = Pattern.compile("/api/ciphers/([0-9a-f-]{36})(?:/(\\w+))?");

    /** A user account as the server stores it, plus (for tests) the client-side secrets that made it. */
    static final class Account {
        final String id = UUID.randomUUID().toString();
        final String email;
        final Kdf kdf;
        final String masterPasswordHash;
        final String protectedUserKey;
        final String protectedPrivateKey;
        final String publicKey;
        final String apiKey;
        final String securityStamp = UUID.randomUUID().toString();
        final PublicKey rsaPublicKey;
        long revisionDate = System.currentTimeMillis();

        private Account(String email, Kdf kdf, String hash, String userKey, String privateKey, PublicKey publicKey,
                        String apiKey) {
            this.email = email;
            this.kdf = kdf;
            this.masterPasswordHash = hash;
            this.protectedUserKey = userKey;
            this.protectedPrivateKey = privateKey;
            this.rsaPublicKey = publicKey;
            this.publicKey = Base64.getEncoder().encodeToString(publicKey.getEncoded());
            this.apiKey = apiKey;
        }

        String clientId() {
            return "user." + id;
        }
    }

    private record Membership(String id, String orgId, String userId, String key) {
    }

    private record Collection(String id, String orgId, String name, String externalId) {
    }

    private record Session(String accountId, Instant expires) {
    }

    private final Flavour flavour;
    private final HttpsServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Account> accounts = new LinkedHashMap<>();
    private final Map<String, String> orgNames = new HashMap<>();
    private final Map<String, SymmetricKey> orgKeys = new HashMap<>();
    private final List<Membership> memberships = new ArrayList<>();
    private final Map<String, Collection> collections = new LinkedHashMap<>();
    private final Map<String, ObjectNode> ciphers = new LinkedHashMap<>();
    private final Map<String, Session> accessTokens = new HashMap<>();
    private final Map<String, String> refreshTokens = new HashMap<>();
    private final AtomicInteger rateLimited = new AtomicInteger();
    private final AtomicInteger outOfDate = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger tokenGrants = new AtomicInteger();
    private volatile int retryAfterSeconds = 1;
    private volatile long tokenLifetimeSeconds = 7200;
    private final List<String> unknownRoutes = new ArrayList<>();

    BitwardenTestServer() throws IOException {
        this(Flavour.VAULTWARDEN);
    }

    BitwardenTestServer(Flavour flavour) throws IOException {
        this.flavour = java.util.Objects.requireNonNull(flavour, "flavour is null");
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(TestTls.get().serverContext()));
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The base URL, e.g. {@code https://127.0.0.1:43123}. */
    String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    // ------------------------------------------------------------------ fixtures (client-side crypto)

    /**
     * Registers an account the way a Bitwarden client does: derives the master key, hashes it for the
     * server, generates a user key and an RSA key pair and protects them.
     */
    synchronized Account createAccount(String email, String password, Kdf kdf) {
        byte[] masterKey = BitwardenCrypto.masterKey(password.toCharArray(), email, kdf);
        String hash = BitwardenCrypto.masterPasswordHash(masterKey, password.toCharArray());
        SymmetricKey stretched = BitwardenCrypto.stretch(masterKey);
        SymmetricKey userKey = SymmetricKey.generate();
        KeyPair rsa = rsaKeyPair();
        String protectedUserKey = BitwardenCrypto.encrypt(userKey.toBytes(), stretched).toString();
        String protectedPrivate = BitwardenCrypto.encrypt(rsa.getPrivate().getEncoded(), userKey).toString();
        String apiKey = Base64.getUrlEncoder().withoutPadding().encodeToString(BitwardenCrypto.randomBytes(22));
        Account a = new Account(email, kdf, hash, protectedUserKey, protectedPrivate, rsa.getPublic(), apiKey);
        accounts.put(a.id, a);
        return a;
    }

    /** Creates an organization owned by {@code owner}; returns its id. The org key is wrapped for the owner. */
    synchronized String createOrganization(Account owner, String name) {
        String orgId = UUID.randomUUID().toString();
        orgNames.put(orgId, name);
        SymmetricKey orgKey = SymmetricKey.generate();
        orgKeys.put(orgId, orgKey);
        String wrapped = BitwardenCrypto.rsaEncrypt(orgKey.toBytes(), owner.rsaPublicKey, EncString.RSA_OAEP_SHA1).toString();
        memberships.add(new Membership(UUID.randomUUID().toString(), orgId, owner.id, wrapped));
        touch(owner);
        return orgId;
    }

    /** The organization key, as a member's client would hold it after unwrapping (for test fixtures). */
    synchronized SymmetricKey organizationKey(String orgId) {
        return orgKeys.get(orgId);
    }

    /** Stores a cipher as a person's Bitwarden client would create it in a collection; returns its id. */
    synchronized String insertCipher(JsonNode cipher, String collectionId) {
        ObjectNode c = store(cipher, UUID.randomUUID().toString(), cipher.path("organizationId").asText(null), null);
        c.putArray("collectionIds").add(collectionId);
        ciphers.put(c.get("id").asText(), c);
        accounts.values().forEach(BitwardenTestServer::touch);
        return c.get("id").asText();
    }

    /** The id of the collection with that external id, or null. */
    synchronized String collectionByExternalId(String externalId) {
        return collections.values().stream().filter(c -> externalId.equals(c.externalId())).map(Collection::id)
                .findFirst().orElse(null);
    }

    // ------------------------------------------------------------------ failure injection and counters

    /** The next {@code n} requests get 429 with {@code Retry-After: seconds}. */
    void rateLimitNext(int n, int seconds) {
        retryAfterSeconds = seconds;
        rateLimited.set(n);
    }

    /** Every access token issued so far answers 401 from now on (as after expiry). */
    synchronized void expireTokens() {
        accessTokens.replaceAll((k, s) -> new Session(s.accountId(), Instant.EPOCH));
    }

    /** The next {@code n} cipher PUTs are refused as "out of date" (as when a person saved in between). */
    void outOfDateNext(int n) {
        outOfDate.set(n);
    }

    /** Lifetime of tokens issued from now on. */
    void tokenLifetimeSeconds(long seconds) {
        tokenLifetimeSeconds = seconds;
    }

    int requestCount() {
        return requests.get();
    }

    int tokenGrantCount() {
        return tokenGrants.get();
    }

    synchronized List<String> unknownRoutes() {
        return List.copyOf(unknownRoutes);
    }

    /** Removes a cipher for good, as a person does with "delete permanently" in the web vault. */
    synchronized void purgeCipher(String id) {
        ObjectNode c = ciphers.remove(id);
        if (c != null) {
            touchAll(c.path("organizationId").asText(null), null);
        }
    }

    /** The stored JSON of a cipher (a copy), or null. */
    synchronized ObjectNode cipher(String id) {
        ObjectNode c = ciphers.get(id);
        return c == null ? null : c.deepCopy();
    }

    /** Ids of the non-deleted ciphers of an organization. */
    synchronized List<String> cipherIds(String orgId) {
        List<String> out = new ArrayList<>();
        ciphers.forEach((id, c) -> {
            if (orgId.equals(c.path("organizationId").asText(null)) && c.path("deletedDate").isNull()) {
                out.add(id);
            }
        });
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------ HTTP

    private record Reply(int status, JsonNode body, Map<String, String> headers) {
        static Reply ok(JsonNode body) {
            return new Reply(200, body, Map.of());
        }

        static Reply error(int status, String message) {
            ObjectNode b = MAPPER.createObjectNode();
            b.put("message", message);
            b.putObject("validationErrors").putArray("").add(message);
            b.putObject("errorModel").put("message", message).put("object", "error");
            b.put("object", "error");
            return new Reply(status, b, Map.of());
        }

        /** Bitwarden's {@code ErrorResponseModel} for a {@code NotFoundException}. */
        static Reply bitwardenNotFound() {
            ObjectNode b = MAPPER.createObjectNode();
            b.put("message", "Resource not found.");
            b.putNull("validationErrors");
            b.putNull("exceptionMessage");
            b.putNull("exceptionStackTrace");
            b.putNull("innerExceptionMessage");
            b.put("object", "error");
            return new Reply(404, b, Map.of());
        }
    }

    /** How the flavour answers a cipher id that does not exist, or one the caller may not see. */
    private Reply cipherNotFound(boolean exists) {
        return switch (flavour) {
            case VAULTWARDEN -> Reply.error(400, exists ? "Cipher is not owned by user" : "Cipher doesn't exist");
            case BITWARDEN -> Reply.bitwardenNotFound();
        };
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        Reply reply;
        try {
            if (rateLimited.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                reply = new Reply(429, MAPPER.createObjectNode().put("message", "Too many requests"),
                        Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
            } else {
                byte[] body = ex.getRequestBody().readAllBytes();
                reply = route(ex, body);
            }
        } catch (RuntimeException e) {
            reply = Reply.error(500, "test server failure: " + e);
        }
        byte[] out = reply.body() == null ? new byte[0] : MAPPER.writeValueAsBytes(reply.body());
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        reply.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        }
        ex.close();
    }

    private synchronized Reply route(HttpExchange ex, byte[] body) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        if (path.equals("/identity/accounts/prelogin") || path.equals("/identity/accounts/prelogin/password")
                || path.equals("/api/accounts/prelogin")) {
            return prelogin(json(body));
        }
        if (path.equals("/identity/connect/token") && method.equals("POST")) {
            return token(form(body));
        }
        if (path.equals("/api/config") || path.equals("/config")) {
            ObjectNode c = MAPPER.createObjectNode();
            c.put("version", "2025.12.0");
            c.putObject("featureStates");
            c.putObject("environment").put("vault", url()).put("api", url() + "/api")
                    .put("identity", url() + "/identity").put("notifications", (String) null);
            c.put("object", "config");
            return Reply.ok(c);
        }
        Account me = authenticate(ex);
        if (me == null) {
            return new Reply(401, null, Map.of());
        }
        if (path.equals("/api/accounts/revision-date")) {
            return Reply.ok(MAPPER.getNodeFactory().numberNode(me.revisionDate));
        }
        if (path.equals("/api/sync")) {
            return Reply.ok(sync(me));
        }
        if (path.equals("/api/accounts/profile")) {
            return Reply.ok(profile(me));
        }
        if (path.equals("/api/accounts/key-management/user-key-id")) {
            return Reply.ok(MAPPER.createObjectNode());
        }
        if ((path.equals("/api/ciphers") || path.equals("/api/ciphers/create")) && method.equals("POST")) {
            return createCipher(me, json(body), path.endsWith("/create"));
        }
        Matcher cm = CIPHER.matcher(path);
        if (cm.matches()) {
            return cipherOp(me, method, cm.group(1), cm.group(2), body);
        }
        Matcher om = ORG_COLLECTIONS.matcher(path);
        if (om.matches()) {
            return collectionOp(me, method, om.group(1), om.group(2), body);
        }
        unknownRoutes.add(method + " " + path);
        return Reply.error(404, "not found: " + path);
    }

    private Reply prelogin(JsonNode body) {
        String email = BitwardenCrypto.normalizeEmail(body.path("email").asText(""));
        Kdf kdf = accounts.values().stream().filter(a -> a.email.equalsIgnoreCase(email)).map(a -> a.kdf)
                .findFirst().orElse(Kdf.pbkdf2(600_000));
        ObjectNode r = kdfJson(kdf, "kdf", "kdfIterations", "kdfMemory", "kdfParallelism");
        ObjectNode settings = r.putObject("kdfSettings");
        settings.put("kdfType", kdf.type()).put("iterations", kdf.iterations());
        if (kdf.type() == Kdf.ARGON2ID) {
            settings.put("memory", kdf.memoryMiB()).put("parallelism", kdf.parallelism());
        } else {
            settings.putNull("memory").putNull("parallelism");
        }
        r.putNull("salt");
        return Reply.ok(r);
    }

    private static ObjectNode kdfJson(Kdf kdf, String type, String iterations, String memory, String parallelism) {
        ObjectNode r = MAPPER.createObjectNode();
        r.put(type, kdf.type()).put(iterations, kdf.iterations());
        if (kdf.type() == Kdf.ARGON2ID) {
            r.put(memory, kdf.memoryMiB()).put(parallelism, kdf.parallelism());
        } else {
            r.putNull(memory).putNull(parallelism);
        }
        return r;
    }

    private Reply token(Map<String, String> form) {
        tokenGrants.incrementAndGet();
        String grant = form.getOrDefault("grant_type", "");
        Account account = null;
        boolean refresh = true;
        switch (grant) {
            case "password" -> {
                String email = form.getOrDefault("username", "");
                for (Account a : accounts.values()) {
                    if (a.email.equalsIgnoreCase(email.trim()) && constantTimeEquals(a.masterPasswordHash,
                            form.getOrDefault("password", ""))) {
                        account = a;
                    }
                }
                if (account == null) {
                    return invalidGrant("Username or password is incorrect. Try again");
                }
            }
            case "client_credentials" -> {
                String clientId = form.getOrDefault("client_id", "");
                for (Account a : accounts.values()) {
                    if (a.clientId().equals(clientId) && constantTimeEquals(a.apiKey, form.getOrDefault("client_secret", ""))) {
                        account = a;
                    }
                }
                if (account == null) {
                    ObjectNode e = MAPPER.createObjectNode().put("error", "invalid_client");
                    return new Reply(400, e, Map.of());
                }
                refresh = false;
            }
            case "refresh_token" -> {
                String id = refreshTokens.get(form.getOrDefault("refresh_token", ""));
                account = id == null ? null : accounts.get(id);
                if (account == null) {
                    return invalidGrant("invalid refresh token");
                }
            }
            default -> {
                return invalidGrant("unsupported grant type");
            }
        }
        Instant now = Instant.now();
        String access = jwt(account, now);
        accessTokens.put(access, new Session(account.id, now.plusSeconds(tokenLifetimeSeconds)));
        ObjectNode r = MAPPER.createObjectNode();
        r.put("access_token", access).put("expires_in", tokenLifetimeSeconds).put("token_type", "Bearer");
        if (refresh) {
            String rt = Base64.getUrlEncoder().withoutPadding().encodeToString(BitwardenCrypto.randomBytes(32));
            refreshTokens.put(rt, account.id);
            r.put("refresh_token", rt);
        }
        r.put("scope", refresh ? "api offline_access" : "api");
        r.put("Key", account.protectedUserKey).put("PrivateKey", account.protectedPrivateKey);
        r.setAll(kdfJson(account.kdf, "Kdf", "KdfIterations", "KdfMemory", "KdfParallelism"));
        r.put("ResetMasterPassword", false).put("ForcePasswordReset", false).put("ApiUseKeyConnector", false);
        ObjectNode keys = r.putObject("AccountKeys");
        keys.putObject("publicKeyEncryptionKeyPair").put("wrappedPrivateKey", account.protectedPrivateKey)
                .put("publicKey", account.publicKey).put("Object", "publicKeyEncryptionKeyPair");
        keys.put("Object", "privateKeys");
        ObjectNode udo = r.putObject("UserDecryptionOptions");
        udo.put("HasMasterPassword", true);
        ObjectNode mpu = udo.putObject("MasterPasswordUnlock");
        ObjectNode kdf = mpu.putObject("Kdf");
        kdf.put("KdfType", account.kdf.type()).put("Iterations", account.kdf.iterations());
        if (account.kdf.type() == Kdf.ARGON2ID) {
            kdf.put("Memory", account.kdf.memoryMiB()).put("Parallelism", account.kdf.parallelism());
        } else {
            kdf.putNull("Memory").putNull("Parallelism");
        }
        mpu.put("MasterKeyEncryptedUserKey", account.protectedUserKey).put("Salt", account.email);
        udo.put("Object", "userDecryptionOptions");
        r.putObject("MasterPasswordPolicy").put("Object", "masterPasswordPolicy");
        return Reply.ok(r);
    }

    private static Reply invalidGrant(String message) {
        ObjectNode e = MAPPER.createObjectNode();
        e.put("error", "invalid_grant").put("error_description", "invalid_username_or_password");
        e.putObject("ErrorModel").put("Message", message).put("Object", "error");
        return new Reply(400, e, Map.of());
    }

    private String jwt(Account a, Instant now) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        ObjectNode header = MAPPER.createObjectNode().put("alg", "RS256").put("typ", "JWT");
        ObjectNode payload = MAPPER.createObjectNode();
        payload.put("nbf", now.getEpochSecond()).put("exp", now.getEpochSecond() + tokenLifetimeSeconds)
                .put("iss", url() + "|login").put("sub", a.id).put("premium", true).put("name", "Test")
                .put("email", a.email).put("email_verified", true).put("sstamp", a.securityStamp)
                .put("device", UUID.randomUUID().toString()).put("jti", UUID.randomUUID().toString());
        payload.putArray("scope").add("api").add("offline_access");
        payload.putArray("amr").add("Application");
        return b64.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(BitwardenCrypto.randomBytes(32));
    }

    private Account authenticate(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ")) {
            return null;
        }
        Session s = accessTokens.get(auth.substring(7).trim());
        if (s == null || !Instant.now().isBefore(s.expires())) {
            return null;
        }
        return accounts.get(s.accountId());
    }

    private ObjectNode profile(Account me) {
        ObjectNode p = MAPPER.createObjectNode();
        p.put("id", me.id).put("name", "Test").put("email", me.email).put("emailVerified", true)
                .put("premium", true).put("premiumFromOrganization", false).put("culture", "en-US")
                .put("twoFactorEnabled", false).put("key", me.protectedUserKey).put("privateKey", me.protectedPrivateKey)
                .put("securityStamp", me.securityStamp).put("forcePasswordReset", false)
                .put("usesKeyConnector", false).putNull("avatarColor").put("creationDate", DATE.format(Instant.EPOCH));
        ArrayNode orgs = p.putArray("organizations");
        for (Membership m : memberships) {
            if (m.userId().equals(me.id)) {
                ObjectNode o = orgs.addObject();
                o.put("id", m.orgId()).put("name", orgNames.get(m.orgId())).put("key", m.key()).put("status", 2)
                        .put("type", 0).put("enabled", true).put("usePolicies", false).put("useGroups", false)
                        .put("useTotp", true).put("selfHost", true).put("seats", 10).put("maxCollections", (Integer) null)
                        .put("organizationUserId", m.id()).put("hasPublicAndPrivateKeys", false)
                        .put("userIsManagedByOrganization", false).put("accessSecretsManager", false)
                        .put("limitCollectionCreation", false).put("limitCollectionDeletion", false)
                        .put("allowAdminAccessToAllCollectionItems", true).put("object", "profileOrganization");
                o.putObject("permissions");
            }
        }
        p.putArray("providers");
        p.putArray("providerOrganizations");
        p.put("object", "profile");
        return p;
    }

    private boolean isMember(Account me, String orgId) {
        return memberships.stream().anyMatch(m -> m.userId().equals(me.id) && m.orgId().equals(orgId));
    }

    private ObjectNode sync(Account me) {
        ObjectNode s = MAPPER.createObjectNode();
        s.set("profile", profile(me));
        s.putArray("folders");
        ArrayNode cols = s.putArray("collections");
        for (Collection c : collections.values()) {
            if (isMember(me, c.orgId())) {
                cols.add(collectionJson(c).put("readOnly", false).put("hidePasswords", false).put("manage", true)
                        .put("object", "collectionDetails"));
            }
        }
        s.putArray("policies");
        ArrayNode cs = s.putArray("ciphers");
        for (ObjectNode c : ciphers.values()) {
            if (canSee(me, c)) {
                cs.add(c.deepCopy());
            }
        }
        s.putNull("domains");
        s.putArray("sends");
        s.put("object", "sync");
        return s;
    }

    private boolean canSee(Account me, ObjectNode c) {
        String org = c.path("organizationId").asText(null);
        return org == null ? me.id.equals(c.path("userId").asText(null)) : isMember(me, org);
    }

    private static ObjectNode collectionJson(Collection c) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("id", c.id()).put("organizationId", c.orgId()).put("name", c.name()).put("externalId", c.externalId());
        return n;
    }

    // ------------------------------------------------------------------ ciphers

    private Reply createCipher(Account me, JsonNode body, boolean wrapped) {
        JsonNode req = wrapped && body.has("cipher") ? body.get("cipher") : body;
        List<String> collectionIds = new ArrayList<>();
        if (wrapped && body.has("collectionIds")) {
            body.get("collectionIds").forEach(c -> collectionIds.add(c.asText()));
        }
        String org = req.path("organizationId").asText(null);
        if (org != null && !isMember(me, org)) {
            return Reply.error(400, "You don't have permission to add an item to this organization");
        }
        if (org != null && collectionIds.isEmpty()) {
            return Reply.error(400, "You must select at least one collection.");
        }
        Reply invalid = validate(req);
        if (invalid != null) {
            return invalid;
        }
        ObjectNode c = store(req, UUID.randomUUID().toString(), org, null);
        if (org == null) {
            c.put("userId", me.id);
        }
        ArrayNode cols = c.putArray("collectionIds");
        collectionIds.forEach(cols::add);
        ciphers.put(c.get("id").asText(), c);
        touchAll(org, me);
        return Reply.ok(c.deepCopy());
    }

    private static Reply validate(JsonNode req) {
        int type = req.path("type").asInt(0);
        if (type < 1 || type > 5) {
            return Reply.error(400, "Invalid cipher type");
        }
        if (req.path("name").asText("").isEmpty()) {
            return Reply.error(400, "The field Name is required.");
        }
        if (req.path("notes").asText("").length() > 10_000) {
            return Reply.error(400, "The field Notes exceeds the maximum encrypted value length of 10000 characters.");
        }
        String[] objects = {"", "login", "secureNote", "card", "identity", "sshKey"};
        if (req.path(objects[type]).isMissingNode() || req.path(objects[type]).isNull()) {
            return Reply.error(400, "The cipher's " + objects[type] + " object is missing");
        }
        for (String field : new String[] {"name", "notes"}) {
            if (req.hasNonNull(field)) {
                EncString.parse(req.get(field).asText()); // throws on malformed EncStrings
            }
        }
        return null;
    }

    private ObjectNode store(JsonNode req, String id, String org, ObjectNode previous) {
        ObjectNode c = MAPPER.createObjectNode();
        String now = DATE.format(Instant.now().truncatedTo(ChronoUnit.MICROS));
        c.put("id", id);
        c.put("organizationId", org);
        c.put("folderId", req.path("folderId").asText(null));
        c.put("type", req.path("type").asInt());
        for (String f : new String[] {"name", "notes", "key"}) {
            c.put(f, req.path(f).isTextual() ? req.get(f).asText() : null);
        }
        for (String f : new String[] {"login", "secureNote", "card", "identity", "sshKey"}) {
            c.set(f, req.hasNonNull(f) ? req.get(f).deepCopy() : null);
        }
        c.set("fields", req.hasNonNull("fields") ? req.get("fields").deepCopy() : MAPPER.createArrayNode());
        c.set("passwordHistory", req.hasNonNull("passwordHistory") ? req.get("passwordHistory").deepCopy()
                : MAPPER.createArrayNode());
        c.put("favorite", req.path("favorite").asBoolean(false));
        c.put("reprompt", req.path("reprompt").asInt(0));
        c.put("edit", true).put("viewPassword", true).put("organizationUseTotp", true);
        c.putObject("permissions").put("delete", true).put("restore", true);
        c.putNull("attachments");
        c.put("creationDate", previous == null ? now : previous.path("creationDate").asText());
        c.put("revisionDate", now);
        c.putNull("deletedDate");
        c.putNull("archivedDate");
        c.put("object", "cipherDetails");
        return c;
    }

    private Reply cipherOp(Account me, String method, String id, String action, byte[] body) throws IOException {
        ObjectNode c = ciphers.get(id);
        if (c == null || !canSee(me, c)) {
            return cipherNotFound(c != null);
        }
        String org = c.path("organizationId").asText(null);
        if (action == null) {
            switch (method) {
                case "GET" -> {
                    return Reply.ok(c.deepCopy());
                }
                case "PUT", "POST" -> {
                    JsonNode req = json(body);
                    String newOrg = req.path("organizationId").asText(null);
                    if (!java.util.Objects.equals(org, newOrg)) {
                        return Reply.error(400, "Organization mismatch. Please resync the client before updating the cipher");
                    }
                    if (outOfDate.getAndUpdate(n -> Math.max(0, n - 1)) > 0 || isOutOfDate(c, req)) {
                        return Reply.error(400, "The client copy of this cipher is out of date. Resync the client and try again.");
                    }
                    Reply invalid = validate(req);
                    if (invalid != null) {
                        return invalid;
                    }
                    ObjectNode updated = store(req, id, org, c);
                    updated.set("collectionIds", c.get("collectionIds"));
                    if (c.has("userId")) {
                        updated.set("userId", c.get("userId"));
                    }
                    ciphers.put(id, updated);
                    touchAll(org, me);
                    return Reply.ok(updated.deepCopy());
                }
                case "DELETE" -> {
                    ciphers.remove(id);
                    touchAll(org, me);
                    return new Reply(200, null, Map.of());
                }
                default -> {
                    return Reply.error(405, "method not allowed");
                }
            }
        }
        switch (action) {
            case "delete" -> {
                if (method.equals("DELETE") || method.equals("POST")) {
                    ciphers.remove(id);
                } else {
                    c.put("deletedDate", DATE.format(Instant.now()));
                    c.put("revisionDate", DATE.format(Instant.now()));
                }
                touchAll(org, me);
                return new Reply(200, null, Map.of());
            }
            case "restore" -> {
                c.putNull("deletedDate");
                c.put("revisionDate", DATE.format(Instant.now()));
                touchAll(org, me);
                return Reply.ok(c.deepCopy());
            }
            case "partial" -> {
                JsonNode req = json(body);
                c.put("folderId", req.path("folderId").asText(null));
                c.put("favorite", req.path("favorite").asBoolean(false));
                touchAll(org, me);
                return Reply.ok(c.deepCopy());
            }
            case "collections", "collections_v2" -> {
                ArrayNode cols = c.putArray("collectionIds");
                json(body).path("collectionIds").forEach(cols::add);
                c.put("revisionDate", DATE.format(Instant.now()));
                touchAll(org, me);
                ObjectNode r = MAPPER.createObjectNode();
                r.set("cipher", c.deepCopy());
                r.put("unavailable", false);
                return Reply.ok(r);
            }
            default -> {
                unknownRoutes.add(method + " /api/ciphers/{id}/" + action);
                return Reply.error(404, "not found");
            }
        }
    }

    /** Vaultwarden's check: refused when the stored revision is more than one second newer than the client's. */
    private static boolean isOutOfDate(ObjectNode stored, JsonNode req) {
        String known = req.path("lastKnownRevisionDate").asText(null);
        if (known == null) {
            return false;
        }
        try {
            Instant server = Instant.parse(stored.get("revisionDate").asText());
            Instant client = Instant.parse(known);
            return server.toEpochMilli() - client.toEpochMilli() > 1000;
        } catch (RuntimeException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ collections

    private Reply collectionOp(Account me, String method, String orgId, String collectionId, byte[] body) throws IOException {
        if (!isMember(me, orgId)) {
            return Reply.error(404, "Organization not found");
        }
        if (collectionId == null && method.equals("GET")) {
            ObjectNode list = MAPPER.createObjectNode();
            ArrayNode data = list.putArray("data");
            collections.values().stream().filter(c -> c.orgId().equals(orgId))
                    .forEach(c -> data.add(collectionJson(c).put("object", "collection")));
            list.put("object", "list").putNull("continuationToken");
            return Reply.ok(list);
        }
        if (collectionId == null && method.equals("POST")) {
            JsonNode req = json(body);
            EncString.parse(req.path("name").asText());
            Collection c = new Collection(UUID.randomUUID().toString(), orgId, req.path("name").asText(),
                    req.path("externalId").asText(null));
            collections.put(c.id(), c);
            touchAll(orgId, me);
            return Reply.ok(collectionJson(c).put("object", "collection"));
        }
        Collection c = collectionId == null ? null : collections.get(collectionId);
        if (c == null || !c.orgId().equals(orgId)) {
            return Reply.error(404, "Collection not found");
        }
        if (method.equals("DELETE")) {
            collections.remove(collectionId);
            for (ObjectNode cipher : ciphers.values()) {
                ArrayNode cols = (ArrayNode) cipher.get("collectionIds");
                for (int i = cols.size() - 1; i >= 0; i--) {
                    if (cols.get(i).asText().equals(collectionId)) {
                        cols.remove(i);
                    }
                }
            }
            touchAll(orgId, me);
            return new Reply(200, null, Map.of());
        }
        if (method.equals("GET")) {
            return Reply.ok(collectionJson(c).put("object", "collection"));
        }
        return Reply.error(405, "method not allowed");
    }

    // ------------------------------------------------------------------ helpers

    private void touchAll(String orgId, Account me) {
        if (orgId == null) {
            touch(me);
            return;
        }
        for (Membership m : memberships) {
            if (m.orgId().equals(orgId)) {
                touch(accounts.get(m.userId()));
            }
        }
    }

    private static void touch(Account a) {
        a.revisionDate = Math.max(System.currentTimeMillis(), a.revisionDate + 1);
    }

    private static JsonNode json(byte[] body) throws IOException {
        return body.length == 0 ? MAPPER.createObjectNode() : MAPPER.readTree(body);
    }

    private static Map<String, String> form(byte[] body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
