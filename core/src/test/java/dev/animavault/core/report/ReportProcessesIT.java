package dev.animavault.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.TestVault;
import dev.animavault.core.cluster.ChildVault;
import dev.animavault.core.cluster.PgSchema;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: two vault processes on one PostgreSQL schema with the shared audit-jdbc sink; reads made on
 * each process are counted in the compliance report, whichever process generates it.
 */
class ReportProcessesIT {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void theReportOfEitherProcessCountsTheReadsOfBoth() throws Exception {
        Path rootKey = tmp.resolve("root.key");
        List<String> jdbcAudit = List.of("-Danima.child.jdbc-audit=true");
        try (PgSchema pg = PgSchema.create("i15_reportprocs")) {
            TestVault.pluginsDir(tmp.resolve("a"));
            TestVault.pluginsDir(tmp.resolve("b"));
            // a first (it creates the tables and the keyring), then b
            try (ChildVault a = ChildVault.start(tmp.resolve("a"), pg, rootKey, jdbcAudit, "plain");
                 ChildVault b = ChildVault.start(tmp.resolve("b"), pg, rootKey, jdbcAudit, "plain")) {
                assertEquals(201, a.call("POST", "/v1/identities", OWNER, "{\"id\":\"agent\"}").statusCode());
                HttpResponse<String> created = a.call("POST", "/v1/vault/secrets", OWNER,
                        TestVault.json(Map.of("identityId", "agent", "key", "K", "value", "v1")));
                assertEquals(201, created.statusCode(), created.body());
                String token = JSON.readTree(a.call("POST", "/v1/identities/agent/tokens", OWNER, "{}").body())
                        .get("token").asText();
                for (int i = 0; i < 3; i++) {
                    assertEquals(200, a.call("GET", "/v1/vault/secrets/agent/K", token, null).statusCode());
                }
                for (int i = 0; i < 2; i++) {
                    assertEquals(200, b.call("GET", "/v1/vault/secrets/agent/K", token, null).statusCode());
                }
                for (ChildVault node : List.of(a, b)) {
                    HttpResponse<String> r = node.call("GET", "/v1/vault/audit/reports?format=json", OWNER, null);
                    assertEquals(200, r.statusCode(), r.body());
                    JsonNode rows = JSON.readTree(r.body()).get("tables").get("access_by_secret");
                    boolean found = false;
                    for (JsonNode row : rows) {
                        if ("agent".equals(row.get("identityId").asText()) && "K".equals(row.get("key").asText())) {
                            assertEquals(5, row.get("reads").asLong(), "3 reads on a + 2 on b: " + row);
                            found = true;
                        }
                    }
                    assertTrue(found, "agent/K in the report of node " + node.port() + ": " + rows);
                }
            }
        }
    }
}
