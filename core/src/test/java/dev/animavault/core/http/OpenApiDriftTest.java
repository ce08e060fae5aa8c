package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.TestVault;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document ({@code core/src/main/resources/openapi/v1.json}) and the routes the server
 * really registers cannot drift apart: every route {@link VaultServer#routing} registers (recorded by
 * {@link RouteRecorder}) must be a documented operation, and every documented operation must be routed
 * and answered over HTTP by something other than the "no endpoint" fallback. A failure names each
 * route and says what to add to the document.
 */
class OpenApiDriftTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCUMENT = "core/src/main/resources/openapi/v1.json";
    private static final Set<String> VERBS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    @TempDir
    static Path root;
    private static TestVault vault;

    @BeforeAll
    static void start() {
        vault = TestVault.start(root);
    }

    @AfterAll
    static void stop() {
        if (vault != null) {
            vault.close();
        }
    }

    /** What the server routes. */
    private static List<RouteRecorder.Route> serverRoutes(java.util.function.Consumer<HttpRouting.Builder> extra) {
        RouteRecorder recorder = new RouteRecorder();
        HttpRouting.Builder builder = recorder.builder();
        Api api = new Api(vault.node().tokens(), vault.node().service(), vault.node().authFailures(),
                vault.node().config().maxBodyBytes(), vault.node().config().trustedProxies(), vault.node().admins());
        VaultServer.routing(builder, vault.node(), api, Clock.systemUTC());
        extra.accept(builder);
        return recorder.routes();
    }

    /** What the document describes: "GET /v1/identities/{id}", ... */
    static Set<String> documentedOperations(JsonNode doc) {
        Set<String> ops = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (VERBS.contains(op.getKey())) {
                    ops.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
                }
            }
        }
        return ops;
    }

    /** Path parameters compare by position, not name: {id} and {identityId} are the same route. */
    static String shape(String operation) {
        return operation.replaceAll("\\{[^}/]+}", "{}");
    }

    /** Every difference between routes and document, each as a message that says what to do. */
    static List<String> drift(List<RouteRecorder.Route> routes, Set<String> documented) {
        List<String> problems = new ArrayList<>();
        Set<String> documentedShapes = new LinkedHashSet<>();
        documented.forEach(op -> documentedShapes.add(shape(op)));
        Set<String> covered = new TreeSet<>();
        for (RouteRecorder.Route r : routes) {
            if (r.prefix()) {
                List<String> under = documented.stream()
                        .filter(op -> op.startsWith(r.method() + " " + r.path() + "/")).toList();
                if (under.isEmpty()) {
                    problems.add(r + " (a prefix route) is routed by the server but no operation under it is documented "
                            + "in " + DOCUMENT + ": add the paths it serves, e.g. " + skeleton(r.method(), r.path() + "/{id}"));
                }
                covered.addAll(under);
                continue;
            }
            String op = r.method() + " " + r.path();
            if (r.method().equals("ANY") || !documentedShapes.contains(shape(op))) {
                problems.add(op + " is routed by the server but not documented in " + DOCUMENT + ": add "
                        + skeleton(r.method(), r.path()));
            } else {
                documented.stream().filter(d -> shape(d).equals(shape(op))).forEach(covered::add);
            }
        }
        for (String op : documented) {
            if (!covered.contains(op)) {
                problems.add(op + " is documented in " + DOCUMENT + " but the server routes no such endpoint: remove it "
                        + "from \"paths\" or register the route in VaultServer.routing");
            }
        }
        return problems;
    }

    /** The JSON to paste into "paths" for an undocumented route. */
    static String skeleton(String method, String path) {
        StringBuilder params = new StringBuilder();
        Matcher m = Pattern.compile("\\{([^}/]+)}").matcher(path);
        while (m.find()) {
            params.append(params.length() == 0 ? "" : ", ").append("{\"name\": \"").append(m.group(1))
                    .append("\", \"in\": \"path\", \"required\": true, \"schema\": {\"type\": \"string\"}}");
        }
        String verb = method.equals("ANY") ? "get" : method.toLowerCase(Locale.ROOT);
        return "under \"paths\": \"" + path + "\": {\"" + verb + "\": {\"operationId\": \"...\", \"summary\": \"...\", "
                + "\"tags\": [\"...\"], " + (params.length() == 0 ? "" : "\"parameters\": [" + params + "], ")
                + "\"responses\": {\"200\": {\"description\": \"...\", \"content\": {\"application/json\": {\"schema\": "
                + "{\"$ref\": \"#/components/schemas/...\"}}}}, \"401\": {\"$ref\": \"#/components/responses/Problem401\"}}}}"
                + (method.equals("ANY") ? " (one entry per HTTP method the route accepts)" : "");
    }

    private static JsonNode document() throws IOException {
        return JSON.readTree(OpenApiDocument.bytes());
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() throws IOException {
        List<RouteRecorder.Route> routes = serverRoutes(b -> { });
        assertTrue(routes.size() >= 10, "the recorder saw too few routes to be trusted: " + routes);
        List<String> problems = drift(routes, documentedOperations(document()));
        assertTrue(problems.isEmpty(), "the OpenAPI document and the server's routes differ:\n  - "
                + String.join("\n  - ", problems) + "\nroutes the server registers: " + routes);
    }

    @Test
    void aRouteAddedWithoutDocumentationFailsNamingTheRouteAndWhatToAdd() throws IOException {
        List<RouteRecorder.Route> routes = serverRoutes(b -> b.get("/v1/rotation/policies/{policyId}", (req, res) -> { })
                .register("/v1/reports", rules -> rules.post("/", (req, res) -> { })));
        List<String> problems = drift(routes, documentedOperations(document()));
        assertEquals(2, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith("GET /v1/rotation/policies/{policyId} is routed by the server but not "
                + "documented in " + DOCUMENT + ": add under \"paths\": \"/v1/rotation/policies/{policyId}\": {\"get\": "),
                problems.get(0));
        assertTrue(problems.get(0).contains("{\"name\": \"policyId\", \"in\": \"path\""), problems.get(0));
        assertTrue(problems.get(1).startsWith("POST /v1/reports is routed by the server but not documented"), problems.get(1));
    }

    @Test
    void aDocumentedOperationTheServerDoesNotRouteFails() throws IOException {
        Set<String> documented = new TreeSet<>(documentedOperations(document()));
        documented.add("PATCH /v1/identities/{id}");
        List<String> problems = drift(serverRoutes(b -> { }), documented);
        assertEquals(List.of("PATCH /v1/identities/{id} is documented in " + DOCUMENT + " but the server routes no such "
                + "endpoint: remove it from \"paths\" or register the route in VaultServer.routing"), problems);
    }

    @Test
    void everyDocumentedOperationIsAnsweredOverHttpAndNotByTheFallback() throws IOException {
        for (String op : documentedOperations(document())) {
            String method = op.substring(0, op.indexOf(' '));
            String path = op.substring(op.indexOf(' ') + 1).replaceAll("\\{[^}/]+}", "x");
            TestVault.Response r = vault.request(method, path, null, method.equals("POST") || method.equals("PUT") ? "{}" : null);
            boolean fallback = r.status() == 404 && "not_found".equals(r.code())
                    && r.json().path("detail").asText().startsWith("no endpoint");
            assertTrue(!fallback, op + " is documented but the server answered " + r.status() + " " + r.body());
            assertNotEquals(405, r.status(), op + ": " + r.body());
        }
    }

    @Test
    void theDocumentIsServedAtV1OpenApiJsonWithoutAToken() throws IOException {
        TestVault.Response r = vault.get("/v1/openapi.json", null);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        assertEquals(document(), r.json());
        assertEquals("3.1.0", r.json().path("openapi").asText());
        // every $ref resolves inside the document
        List<String> dangling = new ArrayList<>();
        collectRefs(r.json(), r.json(), dangling);
        assertTrue(dangling.isEmpty(), "unresolved $ref: " + dangling);
    }

    private static void collectRefs(JsonNode doc, JsonNode node, List<String> dangling) {
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual()) {
                String pointer = ref.asText().startsWith("#") ? ref.asText().substring(1) : null;
                if (pointer == null || doc.at(pointer).isMissingNode()) {
                    dangling.add(ref.asText());
                }
            }
            node.properties().forEach(e -> collectRefs(doc, e.getValue(), dangling));
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(doc, n, dangling));
        }
    }
}
