// A rotation webhook receiver that verifies Anima Vault's Standard Webhooks signatures.
// JDK only (21+): ANIMA_WEBHOOK_SECRET=whsec_... java WebhookReceiver.java   (listens on 127.0.0.1:8080)
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class WebhookReceiver {
    static final long TOLERANCE_SECONDS = 300;

    static boolean verify(byte[] key, String id, String timestamp, String signatures, byte[] body)
            throws java.security.GeneralSecurityException {
        long ts;
        try {
            ts = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(System.currentTimeMillis() / 1000 - ts) > TOLERANCE_SECONDS) {
            return false;
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        byte[] expected = mac.doFinal(body);
        for (String entry : signatures.split(" ")) {
            String[] parts = entry.split(",", 2);
            if (parts.length == 2 && parts[0].equals("v1")) {
            try {
                if (MessageDigest.isEqual(Base64.getDecoder().decode(parts[1]), expected)) {
                    return true;
                }
            } catch (IllegalArgumentException ignored) {
                // not base64: try the next entry
            }
            }
        }
        return false;
    }

    public static void main(String[] args) throws Exception {
        String secret = System.getenv().getOrDefault("ANIMA_WEBHOOK_SECRET", "");
        if (!secret.startsWith("whsec_")) {
            throw new IllegalStateException("set ANIMA_WEBHOOK_SECRET=whsec_...");
        }
        byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
        Set<String> applied = ConcurrentHashMap.newKeySet(); // retries repeat the same webhook-id and body
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 8080), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
            handle(exchange, key, applied);
            }
        });
        server.start();
    }

    static void handle(com.sun.net.httpserver.HttpExchange exchange, byte[] key, Set<String> applied)
            throws java.io.IOException {
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            var h = exchange.getRequestHeaders();
            String id = String.valueOf(h.getFirst("webhook-id"));
            if (!verify(key, id, String.valueOf(h.getFirst("webhook-timestamp")),
                    String.valueOf(h.getFirst("webhook-signature")), body)) {
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            if (applied.add(id)) {
                // parse the JSON body (type "secret.rotation.due", data.mode/identityId/key/value) with your
                // JSON library; for mode "generate" apply data.value on your side, then answer 2xx
                System.out.println("verified delivery " + id);
            }
            exchange.sendResponseHeaders(204, -1);
        } catch (java.security.GeneralSecurityException e) {
            exchange.sendResponseHeaders(500, -1);
        }
    }
}
