package dev.animavault.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report for an organization with several identities matches what the test did: reads and denials per
 * secret and per actor, unused grants, tokens never used, stale secrets; the CSV parses back to the JSON;
 * the HTML holds the chart and every table; an identity's report is limited to it; refusals.
 */
@Timeout(120)
class ComplianceReportTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    private record Token(String token, String id, boolean noExpiry) {
    }

    private static Token token(TestVault vault, String identity, String body) {
        Response r = vault.post("/v1/identities/" + identity + "/tokens", OWNER, body);
        assertEquals(201, r.status(), r.body());
        return new Token(r.json().get("token").asText(), r.json().get("id").asText(),
                r.json().path("expiresAt").isNull() || r.json().path("expiresAt").isMissingNode());
    }

    @Test
    void theReportMatchesWhatHappened() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            Map<String, List<String>> secrets = new TreeMap<>(Map.of("agent_1", List.of("A1", "A2", "A3"),
                    "agent_2", List.of("B1"), "agent_3", List.of("C1")));
            for (Map.Entry<String, List<String>> e : secrets.entrySet()) {
                assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"" + e.getKey() + "\"}").status());
                for (String key : e.getValue()) {
                    assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId",
                            e.getKey(), "key", key, "value", "value-" + key, "type", "api_key"))).status());
                }
            }
            Token t1 = token(vault, "agent_1", "{}");
            Token t1narrow = token(vault, "agent_1", "{\"keys\":[\"A1\"],\"ttl\":\"1h\"}");
            Token t2 = token(vault, "agent_2", "{}");

            // what happens, and what the test expects from it
            Map<String, long[]> perSecret = new HashMap<>(); // identity/key -> reads, denied
            Map<String, long[]> perActor = new HashMap<>();
            // events record token ids as audit-key HMACs (issue 15)
            String a1 = vault.recorded("identity:agent_1/" + t1.id());
            String a2 = vault.recorded("identity:agent_2/" + t2.id());
            for (String[] read : new String[][] {{"agent_1", "A1"}, {"agent_1", "A1"}, {"agent_1", "A1"},
                    {"agent_1", "A2"}}) {
                assertEquals(200, vault.get("/v1/vault/secrets/" + read[0] + "/" + read[1], t1.token()).status());
                perSecret.computeIfAbsent(read[0] + "/" + read[1], k -> new long[2])[0]++;
                perActor.computeIfAbsent(a1, k -> new long[2])[0]++;
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(200, vault.get("/v1/vault/secrets/agent_2/B1", t2.token()).status());
                perSecret.computeIfAbsent("agent_2/B1", k -> new long[2])[0]++;
                perActor.computeIfAbsent(a2, k -> new long[2])[0]++;
            }
            assertEquals(403, vault.get("/v1/vault/secrets/agent_1/A1", t2.token()).status());
            perSecret.computeIfAbsent("agent_1/A1", k -> new long[2])[1]++;
            perActor.computeIfAbsent(a2, k -> new long[2])[1]++;

            Response json = vault.get("/v1/vault/audit/reports?format=json", OWNER);
            assertEquals(200, json.status(), json.body());
            assertTrue(json.contentType().startsWith("application/json"));
            JsonNode tables = json.json().get("tables");
            assertTrue(json.json().get("report").get("eventsScanned").asLong() > 10);

            assertEquals(5, tables.get("inventory").size());
            for (JsonNode row : tables.get("access_by_secret")) {
                long[] expected = perSecret.getOrDefault(row.get("identityId").asText() + "/" + row.get("key").asText(),
                        new long[2]);
                assertEquals(expected[0], row.get("reads").asLong(), row.toString());
                assertEquals(expected[1], row.get("denied").asLong(), row.toString());
            }
            assertEquals(5, tables.get("access_by_secret").size());
            Map<String, JsonNode> actors = new HashMap<>();
            tables.get("access_by_actor").forEach(r -> actors.put(r.get("actor").asText(), r));
            for (Map.Entry<String, long[]> e : perActor.entrySet()) {
                assertEquals(e.getValue()[0], actors.get(e.getKey()).get("reads").asLong(), e.getKey());
                assertEquals(e.getValue()[1], actors.get(e.getKey()).get("denied").asLong(), e.getKey());
            }
            assertFalse(actors.containsKey(vault.recorded("identity:agent_1/" + t1narrow.id())), "the narrow token was never used");

            Map<String, JsonNode> tokens = new HashMap<>();
            tables.get("least_privilege").forEach(r -> tokens.put(r.get("tokenId").asText(), r));
            JsonNode r1 = tokens.get(t1.id());
            assertEquals(3, r1.get("readableKeys").asLong());
            assertEquals(2, r1.get("readKeys").asLong());
            assertEquals("A3", r1.get("unusedKeys").asText());
            assertEquals(t1.noExpiry(), r1.get("noExpiry").asBoolean());
            assertTrue(r1.get("usedInPeriod").asBoolean());
            JsonNode rn = tokens.get(t1narrow.id());
            assertEquals(1, rn.get("readableKeys").asLong());
            assertEquals(0, rn.get("readKeys").asLong());
            assertEquals("A1", rn.get("unusedKeys").asText());
            assertFalse(rn.get("noExpiry").asBoolean());
            assertFalse(rn.get("usedInPeriod").asBoolean());
            assertEquals(1, tokens.get(t2.id()).get("readKeys").asLong());
            assertTrue(tables.get("least_privilege").size() >= 4, "the owner's API key is listed too");

            List<String> stale = new ArrayList<>();
            tables.get("hygiene_stale_secrets").forEach(r -> stale.add(r.get("identityId").asText() + "/"
                    + r.get("key").asText()));
            assertEquals(List.of("agent_1/A3", "agent_3/C1"), stale);
            assertEquals("file", tables.get("integrity").get(0).get("type").asText());
            long chartReads = 0;
            for (JsonNode b : tables.get("timeline")) {
                chartReads += b.get("reads").asLong();
            }
            assertEquals(6, chartReads, json.json().get("report") + " " + tables.get("timeline"));

            // CSV parsed back equals the JSON
            Response csv = vault.get("/v1/vault/audit/reports?format=csv&from=" + json.json().get("report").get("from")
                    .asText() + "&to=" + json.json().get("report").get("to").asText(), OWNER);
            assertEquals(200, csv.status(), csv.body());
            assertTrue(csv.contentType().startsWith("text/csv"));
            Map<String, List<Map<String, String>>> parsed = parseCsv(csv.body());
            Response again = vault.get("/v1/vault/audit/reports?format=json&from=" + json.json().get("report")
                    .get("from").asText() + "&to=" + json.json().get("report").get("to").asText(), OWNER);
            Iterator<Map.Entry<String, JsonNode>> it = again.json().get("tables").fields();
            int compared = 0;
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> t = it.next();
                List<Map<String, String>> fromJson = new ArrayList<>();
                for (JsonNode row : t.getValue()) {
                    Map<String, String> m = new LinkedHashMap<>();
                    row.fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText()));
                    fromJson.add(m);
                }
                if (t.getKey().equals("access_by_actor") || t.getKey().equals("least_privilege")) {
                    // the second report saw the first ones' audit.report events: compare what is stable
                    assertEquals(fromJson.size(), parsed.get(t.getKey()).size(), t.getKey());
                } else {
                    assertEquals(fromJson, parsed.get(t.getKey()), t.getKey());
                }
                compared++;
            }
            assertEquals(9, compared, "every table, access_unusual and hygiene_admins_without_mfa included");

            Response html = vault.get("/v1/vault/audit/reports?format=html", OWNER);
            assertEquals(200, html.status());
            assertTrue(html.contentType().startsWith("text/html"));
            String page = html.body();
            assertTrue(page.contains("<svg id=\"accesses-chart\"") && page.contains("class=\"reads\"")
                    && page.contains("class=\"denied\""), "chart with reads and denials");
            for (String t : List.of("inventory", "access_by_secret", "access_by_actor", "access_unusual",
                    "least_privilege", "hygiene_stale_secrets", "hygiene_admins_without_mfa", "integrity")) {
                assertTrue(page.contains("data-table=\"" + t + "\""), t);
            }
            assertFalse(page.contains("<script") || page.contains("http://") && !page.contains("http://www.w3.org/2000/svg"),
                    "self-contained");
            assertFalse(page.contains("value-A1"), "no secret values in a report");

            // one identity's report
            JsonNode only = vault.get("/v1/vault/audit/reports?identityId=agent_2", OWNER).json().get("tables");
            assertEquals(1, only.get("inventory").size());
            assertEquals(2, only.get("access_by_secret").get(0).get("reads").asLong());
            assertEquals(0, only.get("access_by_secret").get(0).get("denied").asLong());

            // refusals
            assertEquals(403, vault.get("/v1/vault/audit/reports", t1.token()).status());
            assertEquals(403, vault.get("/v1/vault/audit/reports?organizationId=other", OWNER).status());
            assertEquals("invalid_argument", vault.get("/v1/vault/audit/reports?format=xml", OWNER).code());
            assertEquals("invalid_argument", vault.get("/v1/vault/audit/reports?from=2026-01-02T00:00:00Z"
                    + "&to=2026-01-01T00:00:00Z", OWNER).code());
            JsonNode audited = vault.get("/v1/vault/audit/logs?action=audit.report&limit=100", OWNER).json().get("items");
            assertTrue(audited.size() >= 5, "reports are audited, refusals too: " + audited);
        }
    }

    /** Parses the documented CSV layout back into tables of rows (column -> cell, empty cell -> null). */
    static Map<String, List<Map<String, String>>> parseCsv(String text) {
        Map<String, List<Map<String, String>>> out = new LinkedHashMap<>();
        List<List<String>> lines = csvRecords(text);
        String table = null;
        List<String> header = null;
        for (List<String> line : lines) {
            if (line.size() == 1 && line.get(0).isEmpty()) {
                table = null;
                continue;
            }
            if (line.size() == 1 && line.get(0).startsWith("#")) {
                table = line.get(0).substring(1);
                header = null;
                out.put(table, new ArrayList<>());
                continue;
            }
            if (table == null) {
                continue; // the report line and its header
            }
            if (header == null) {
                header = line;
                continue;
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                String v = line.get(i);
                if (v.length() > 1 && v.charAt(0) == '\'' && "=+-@".indexOf(v.charAt(1)) >= 0) {
                    v = v.substring(1);
                }
                row.put(header.get(i), v.isEmpty() ? null : v);
            }
            out.get(table).add(row);
        }
        return out;
    }

    /** RFC 4180 records (quoted cells may hold commas, quotes and line breaks). */
    private static List<List<String>> csvRecords(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> current = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                current.add(cell.toString());
                cell.setLength(0);
            } else if (c == '\r') {
                continue;
            } else if (c == '\n') {
                current.add(cell.toString());
                cell.setLength(0);
                records.add(current);
                current = new ArrayList<>();
            } else {
                cell.append(c);
            }
        }
        return records;
    }
}
