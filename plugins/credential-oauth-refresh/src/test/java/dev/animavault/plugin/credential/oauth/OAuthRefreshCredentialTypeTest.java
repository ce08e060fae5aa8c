package dev.animavault.plugin.credential.oauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.CredentialTypeFactory;
import dev.animavault.spi.testkit.CredentialSample;
import dev.animavault.spi.testkit.CredentialTypeContract;
import dev.animavault.spi.testkit.RecordingMaterializationContext;
import dev.animavault.spi.testkit.TestPluginContext;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract, plus refreshes against a real authorization server (mock-oauth2-server, rotation on). */
class OAuthRefreshCredentialTypeTest extends CredentialTypeContract {
    private static final String HTTPS = "https://auth.example.com/oauth/token";
    private static MockOAuth2Server oauth;

    @TempDir
    Path dataDirectory;

    @BeforeAll
    static void startServer() {
        oauth = new MockOAuth2Server(new OAuth2Config(false, null, null, true, new OAuth2TokenProvider(),
                Set.of(new DefaultOAuth2TokenCallback("default", "agent", "JWT", List.of("api"), Map.of(), 60))));
        oauth.start(InetAddress.getLoopbackAddress(), 0);
    }

    @AfterAll
    static void stopServer() {
        oauth.shutdown();
    }

    @Override
    protected CredentialTypeFactory factory() {
        return new OAuthRefreshCredentialTypeFactory();
    }

    @Override
    protected CredentialType newType() {
        return factory().create(ProviderConfig.validate(factory(), Map.of(), "the test configuration"),
                TestPluginContext.withHttp(dataDirectory));
    }

    @Override
    protected boolean materializesUnchanged() {
        return false;
    }

    private static String grant(String url, String refreshToken, String extra) {
        return "{\"tokenUrl\":\"" + url + "\",\"clientId\":\"agent-client\",\"clientSecret\":\"client-secret-value-1\","
                + "\"refreshToken\":\"" + refreshToken + "\"" + extra + "}";
    }

    @Override
    protected List<CredentialSample> validValues() {
        return List.of(
                CredentialSample.of("a confidential client", grant(HTTPS, "refresh-token-value-abcdef", "")),
                CredentialSample.of("client_secret_post with scope", grant(HTTPS, "refresh-token-value-ghijkl",
                        ",\"scope\":\"repo read:org\",\"clientAuth\":\"client_secret_post\"")),
                CredentialSample.of("a public client", "{\"tokenUrl\":\"" + HTTPS + "\",\"clientId\":\"cli\","
                        + "\"refreshToken\":\"public-client-refresh-token\"}"),
                CredentialSample.of("plain http to an allow-listed loopback server",
                        grant("http://127.0.0.1:8080/token", "loopback-refresh-token-xyz", "")));
    }

    @Override
    protected List<CredentialSample> invalidValues() {
        return List.of(
                CredentialSample.of("not JSON", "refresh-token-without-json-around-it"),
                CredentialSample.of("a JSON array", "[\"refresh-token-in-an-array\"]"),
                CredentialSample.of("no refresh token", "{\"tokenUrl\":\"" + HTTPS + "\",\"clientId\":\"cli\","
                        + "\"clientSecret\":\"client-secret-without-token\"}"),
                CredentialSample.of("plain http to a public host", grant("http://auth.example.com/token",
                        "refresh-token-over-plain-http", "")),
                CredentialSample.of("an unknown field", grant(HTTPS, "refresh-token-with-extra-field",
                        ",\"password\":\"extra-field-password\"")),
                CredentialSample.of("an unknown client auth", grant(HTTPS, "refresh-token-bad-auth",
                        ",\"clientAuth\":\"private_key_jwt\"")),
                CredentialSample.of("user info in the URL", grant("https://user:pw-in-url@auth.example.com/t",
                        "refresh-token-user-info", "")));
    }

    @Override
    protected Optional<CredentialSample> materializableValue() {
        return Optional.of(CredentialSample.of("a refresh token the server issued",
                grant(oauth.tokenEndpointUrl("default").toString(), issuedRefreshToken(), "")));
    }

    /** A refresh token issued through the authorization code flow (non-interactive login). */
    private static String issuedRefreshToken() {
        try {
            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            String redirectUri = URLEncoder.encode("http://127.0.0.1/callback", StandardCharsets.UTF_8);
            HttpResponse<String> redirect = http.send(HttpRequest.newBuilder(URI.create(
                    oauth.authorizationEndpointUrl("default") + "?response_type=code&client_id=agent-client&redirect_uri="
                            + redirectUri + "&scope=openid&state=s&nonce=n")).build(), HttpResponse.BodyHandlers.ofString());
            String code = redirect.headers().firstValue("Location").orElseThrow().replaceAll(".*[?&]code=([^&]+).*", "$1");
            HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(
                            oauth.tokenEndpointUrl("default").toString()))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=authorization_code&code=" + code
                            + "&redirect_uri=" + redirectUri + "&client_id=agent-client&client_secret=x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return StoredGrant.JSON.readTree(token.body()).get("refresh_token").asText();
        } catch (Exception e) {
            throw new AssertionError("could not obtain a refresh token", e);
        }
    }

    @Test
    void aRefreshReturnsTheAccessTokenAndStoresTheRotatedRefreshToken() {
        CredentialType type = newType();
        String refreshToken = issuedRefreshToken();
        SecretValue stored = SecretValue.ofUtf8(grant(oauth.tokenEndpointUrl("default").toString(), refreshToken,
                ",\"scope\":\"openid api\""));
        RecordingMaterializationContext context = new RecordingMaterializationContext();
        SecretValue access = type.materialize(stored, context);
        Map<String, String> fields = context.responseFields();
        assertEquals(3, access.asUtf8().split("\\.").length, "a JWT");
        assertEquals("Bearer", fields.get("tokenType"));
        assertEquals("openid api", fields.get("scope"));
        assertTrue(fields.containsKey("expiresAt"));
        assertEquals(1, context.replacedValues().size(), "the server rotated the refresh token");
        String rotated = context.replacedValues().get(0).asUtf8();
        assertFalse(rotated.contains(refreshToken));
        assertTrue(rotated.contains("\"clientSecret\":\"client-secret-value-1\"") && rotated.contains("openid api"),
                "the rest of the grant is kept");
        // the old refresh token is dead now: reusing it is invalid_grant
        VaultException reused = assertThrows(VaultException.class,
                () -> type.materialize(stored, new RecordingMaterializationContext()));
        assertEquals(ErrorCode.REAUTHORIZATION_REQUIRED, reused.errorCode());
        assertFalse(reused.getMessage().contains(refreshToken));
        SecretValue again = type.materialize(context.replacedValues().get(0), new RecordingMaterializationContext());
        assertNotEquals(access.asUtf8(), again.asUtf8());
    }

    @Test
    void olderVersionsGiveNoAccessTokens() {
        CredentialType type = newType();
        RecordingMaterializationContext old = new RecordingMaterializationContext(1, 2);
        VaultException e = assertThrows(VaultException.class, () -> type.materialize(
                SecretValue.ofUtf8(grant(HTTPS, "old-version-refresh-token", "")), old));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.errorCode());
        assertEquals(List.of(), old.replacedValues());
    }
}
