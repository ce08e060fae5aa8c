package dev.animavault.core.rotation;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A real HTTP webhook receiver on 127.0.0.1 that answers from a script of statuses (then a fallback) and
 * records every delivery; plus Standard Webhooks verification written from the specification,
 * independently of the vault's signer.
 */
final class WebhookReceiver implements AutoCloseable {
    record Delivery(String id, String timestamp, String signature, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The {@code secret.rotation.due} deliveries, answered from the script, then the fallback. */
    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    /** Every other event ({@code secret.rotation.succeeded|failed}, {@code secret.expiring}). */
    final List<Delivery> events = new CopyOnWriteArrayList<>();
    /** The status events are answered with. */
    volatile int eventStatus = 200;
    private final HttpServer server;
    private final Deque<Integer> script = new ArrayDeque<>();
    private volatile int fallback = 200;
    private volatile String responseBody = "";
    /** Runs before the answer is sent (e.g. to hold it while the vault is killed). */
    volatile java.util.function.Consumer<Delivery> beforeAnswer = d -> { };

    WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Delivery delivery = new Delivery(exchange.getRequestHeaders().getFirst("webhook-id"),
                    exchange.getRequestHeaders().getFirst("webhook-timestamp"),
                    exchange.getRequestHeaders().getFirst("webhook-signature"), body);
            boolean due = isDue(body);
            (due ? deliveries : events).add(delivery);
            try {
                beforeAnswer.accept(delivery);
            } catch (RuntimeException e) {
                exchange.close();
                return;
            }
            int status;
            synchronized (script) {
                Integer next = due ? script.poll() : null;
                status = next == null ? (due ? fallback : eventStatus) : next;
            }
            byte[] answer = responseBody.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    private static boolean isDue(byte[] body) {
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
            return n == null || !n.has("type") || n.get("type").asText().equals("secret.rotation.due");
        } catch (IOException e) {
            return true;
        }
    }

    /** The events of one type. */
    List<Delivery> events(String type) {
        return events.stream().filter(d -> d.bodyText().contains("\"type\":\"" + type + "\"")).toList();
    }

    WebhookReceiver answer(int... statuses) {
        synchronized (script) {
            for (int s : statuses) {
                script.add(s);
            }
        }
        return this;
    }

    WebhookReceiver otherwise(int status) {
        fallback = status;
        return this;
    }

    WebhookReceiver body(String json) {
        responseBody = json;
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** Standard Webhooks verification: HMAC-SHA256(base64decode(secret without whsec_), id.ts.body), any v1 entry. */
    static boolean verify(String secret, Delivery d, Duration tolerance) throws Exception {
        long ts = Long.parseLong(d.timestamp());
        if (Math.abs(System.currentTimeMillis() / 1000 - ts) > tolerance.toSeconds()) {
            return false;
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        String signed = d.id() + "." + d.timestamp() + "." + d.bodyText();
        byte[] expected = Base64.getEncoder().encode(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
        for (String part : d.signature().split(" ")) {
            String[] vs = part.split(",", 2);
            if (vs.length == 2 && vs[0].equals("v1")
                    && MessageDigest.isEqual(vs[1].getBytes(StandardCharsets.US_ASCII), expected)) {
                return true;
            }
        }
        return false;
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    static Map<String, String> none() {
        return Map.of();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
