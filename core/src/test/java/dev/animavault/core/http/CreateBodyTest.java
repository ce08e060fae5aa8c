package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The streaming read of the common secret create body (issue 19): what it reads, and every body it leaves to
 * the tree path (which answers errors and the rarer members as before).
 */
class CreateBodyTest {
    private static CreateBody read(String json) {
        return CreateBody.read(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheCommonBody() {
        CreateBody b = read("{\"identityId\":\"agent\",\"key\":\"K\",\"value\":\"s3cr\\u00e9t\",\"type\":\"api_key\","
                + "\"metadata\":{\"b\":\"2\",\"a\":\"1\"},\"expiresAt\":\"2030-01-01T00:00:00Z\"}");
        assertEquals(new CreateBody("agent", "K", "s3cr\u00e9t", "api_key", Map.of("b", "2", "a", "1"),
                "2030-01-01T00:00:00Z"), b);
        assertEquals(List.of("b", "a"), List.copyOf(b.metadata().keySet()), "metadata in the body's order");
        assertEquals(new CreateBody("agent", "K", "v", null, Map.of(), null),
                read(" {\"value\":\"v\",\"key\":\"K\",\"identityId\":\"agent\",\"type\":null,\"metadata\":null,"
                        + "\"expiresAt\":null} "));
        assertEquals(Map.of(), read("{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":{}}").metadata());
    }

    @Test
    void leavesEverythingElseToTheTreePath() {
        for (String body : List.of(
                "",
                "[]",
                "\"x\"",
                "{\"identityId\":\"a\",\"key\":\"K\"}",                                    // no value
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":null}",                     // null value
                "{\"identityId\":\"a\",\"value\":\"v\"}",                                  // no key
                "{\"key\":\"K\",\"value\":\"v\"}",                                         // no identity
                "{\"identityId\":\"a\",\"key\":\"K\",\"generate\":{\"length\":32}}",       // generate
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"rotation\":{\"interval\":\"30d\"}}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"vaule\":\"v\"}",     // unknown member
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":7}",                        // not a string
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"type\":1}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":\"m\"}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":{\"a\":1}}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":{\"a\":{\"b\":\"c\"}}}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":{\"a\":\"1\",\"a\":\"2\"}}",
                "{\"identityId\":\"a\",\"identityId\":\"b\",\"key\":\"K\",\"value\":\"v\"}", // duplicate
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"value\":\"w\"}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"type\":null,\"type\":\"t\"}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"expiresAt\":\"x\",\"expiresAt\":null}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":{},\"metadata\":{\"a\":\"1\"}}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":null,\"metadata\":null}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":{\"a\":\"1\",\"b\":\"2\",\"a\":\"1\"}}",
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\"} {}",                  // trailing tokens
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\"",                      // truncated
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"\\ud800\"}",              // unpaired surrogate
                "{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"metadata\":{\"\\udc00\":\"x\"}}")) {
            assertNull(read(body), body);
        }
    }

    @Test
    void toStringNeverShowsTheValue() {
        CreateBody b = CreateBody.read("{\"identityId\":\"agent-1\",\"key\":\"K\",\"value\":\"sk-live-123\"}"
                .getBytes(StandardCharsets.UTF_8));
        org.junit.jupiter.api.Assertions.assertFalse(b.toString().contains("sk-live-123"), b.toString());
        org.junit.jupiter.api.Assertions.assertTrue(b.toString().contains("agent-1"), b.toString());
    }
}
