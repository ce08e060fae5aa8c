package dev.animavault.distribution;

import dev.animavault.client.Anima;
import dev.animavault.client.NewSecret;
import dev.animavault.client.RotationPolicy;
import dev.animavault.client.RotationState;
import dev.animavault.client.SecretMetadata;

/**
 * The product's rotating secret with the Java SDK, as the README shows it; JavaSdkIT runs it in its own
 * JVM with {@code AM_API_KEY} and {@code ANIMA_VAULT_ADDR} set, against the packaged server.
 */
public final class JavaRotatingSecret {
    private JavaRotatingSecret() {
    }

    public static void main(String[] args) {
        Anima am = new Anima(System.getenv("AM_API_KEY"));
        SecretMetadata secret = am.vault().secrets().create(
                NewSecret.of("agent_123", "DATABASE_PASSWORD", "temporary-pwd", "password")
                        .withRotation(RotationPolicy.of("30d", "https://agent-api.com/rotate-db-secret")));
        RotationState rotation = secret.rotation().orElseThrow();
        System.out.println(secret.key() + " v" + secret.version() + ": every " + rotation.interval() + " via "
                + rotation.webhookUrl() + " (" + rotation.status() + "), next at " + rotation.nextRotationAt());
    }
}
