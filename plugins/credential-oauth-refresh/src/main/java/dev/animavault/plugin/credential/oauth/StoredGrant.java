package dev.animavault.plugin.credential.oauth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The stored form of an {@code oauth_refresh} secret. {@link #toString()} names no credential.
 *
 * @param tokenUrl     the authorization server's token endpoint
 * @param clientId     the OAuth client id
 * @param clientSecret the client secret, absent for public clients
 * @param refreshToken the refresh token
 * @param scope        the scope to ask for, absent to keep the grant's
 * @param clientAuth   how the client authenticates
 */
record StoredGrant(URI tokenUrl, String clientId, Optional<String> clientSecret, String refreshToken,
                   Optional<String> scope, ClientAuth clientAuth) {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("tokenUrl", "clientId", "clientSecret", "refreshToken", "scope",
            "clientAuth");

    /** RFC 6749 section 2.3.1: HTTP Basic, or the credentials in the form body. */
    enum ClientAuth {
        CLIENT_SECRET_BASIC, CLIENT_SECRET_POST;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Parses and checks a stored value.
     *
     * @param plainHttpAllowed whether a host may be reached over plain http (allow-listed egress)
     * @throws VaultException {@code INVALID_VALUE} naming the field, never its value
     */
    static StoredGrant parse(SecretValue value, Predicate<String> plainHttpAllowed) {
        JsonNode root;
        try {
            root = JSON.readTree(value.bytes());
        } catch (java.io.IOException e) {
            throw invalid("is not a JSON object");
        }
        if (root == null || !root.isObject()) {
            throw invalid("is not a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                throw invalid("has unknown field '" + (name.length() > 40 ? name.substring(0, 40) + "..." : name)
                        + "'; fields: " + new TreeSet<>(FIELDS));
            }
        }
        String url = required(root, "tokenUrl");
        URI tokenUrl;
        try {
            tokenUrl = new URI(url);
        } catch (URISyntaxException e) {
            throw invalid("field 'tokenUrl' is not a URL");
        }
        String scheme = tokenUrl.getScheme() == null ? "" : tokenUrl.getScheme().toLowerCase(Locale.ROOT);
        if (tokenUrl.getHost() == null || tokenUrl.getRawUserInfo() != null || tokenUrl.getRawFragment() != null
                || !(scheme.equals("https") || scheme.equals("http"))) {
            throw invalid("field 'tokenUrl' must be an absolute https URL without user info or fragment");
        }
        if (scheme.equals("http") && !plainHttpAllowed.test(tokenUrl.getHost())) {
            throw invalid("field 'tokenUrl' must use https (plain http only for hosts listed in vault.egress.allow)");
        }
        String clientId = required(root, "clientId");
        Optional<String> clientSecret = optional(root, "clientSecret");
        String refreshToken = required(root, "refreshToken");
        Optional<String> scope = optional(root, "scope");
        ClientAuth auth = ClientAuth.CLIENT_SECRET_BASIC;
        Optional<String> authText = optional(root, "clientAuth");
        if (authText.isPresent()) {
            auth = switch (authText.get()) {
                case "client_secret_basic" -> ClientAuth.CLIENT_SECRET_BASIC;
                case "client_secret_post" -> ClientAuth.CLIENT_SECRET_POST;
                default -> throw invalid("field 'clientAuth' must be client_secret_basic or client_secret_post");
            };
        }
        return new StoredGrant(tokenUrl, clientId, clientSecret, refreshToken, scope, auth);
    }

    /** The stored JSON with another refresh token (after the server rotated it). */
    SecretValue withRefreshToken(String newRefreshToken) {
        ObjectNode out = JSON.createObjectNode();
        out.put("tokenUrl", tokenUrl.toString());
        out.put("clientId", clientId);
        clientSecret.ifPresent(s -> out.put("clientSecret", s));
        out.put("refreshToken", newRefreshToken);
        scope.ifPresent(s -> out.put("scope", s));
        out.put("clientAuth", clientAuth.wireName());
        try {
            return SecretValue.of(JSON.writeValueAsBytes(out));
        } catch (JsonProcessingException e) {
            throw new VaultException(ErrorCode.INTERNAL, "cannot encode the stored grant");
        }
    }

    private static String required(JsonNode root, String field) {
        return optional(root, field).orElseThrow(() -> invalid("needs field '" + field + "' (a non-empty string)"));
    }

    private static Optional<String> optional(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isTextual() || n.textValue().isBlank()) {
            throw invalid("field '" + field + "' must be a non-empty string");
        }
        String text = n.textValue();
        if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw invalid("field '" + field + "' contains control characters");
        }
        return Optional.of(text);
    }

    private static VaultException invalid(String what) {
        return new VaultException(ErrorCode.INVALID_VALUE, "oauth_refresh value " + what);
    }

    @Override
    public String toString() {
        return "StoredGrant[tokenUrl host=" + tokenUrl.getHost() + ", clientAuth=" + clientAuth.wireName() + "]";
    }
}
