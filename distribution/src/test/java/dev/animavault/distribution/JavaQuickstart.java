package dev.animavault.distribution;

import dev.animavault.client.Anima;
import dev.animavault.client.AuditEvent;
import dev.animavault.client.Identity;
import dev.animavault.client.LogQuery;
import dev.animavault.client.NewSecret;
import dev.animavault.client.Secret;
import dev.animavault.client.SecretMetadata;
import java.util.List;

/**
 * The product's example with the Java SDK, as the README shows it; JavaSdkIT runs it in its own JVM
 * with {@code AM_API_KEY} and {@code ANIMA_VAULT_ADDR} set, against the packaged server.
 */
public final class JavaQuickstart {
    private JavaQuickstart() {
    }

    public static void main(String[] args) {
        Anima am = new Anima(System.getenv("AM_API_KEY"));
        Identity identity = am.identities().get("agent_123");
        SecretMetadata secret = am.vault().secrets().create(
                NewSecret.of(identity.id(), "OPENAI_API_KEY", "sk-proj-...", "api_key"));
        Secret apiKey = am.vault().secrets().get(identity.id(), "OPENAI_API_KEY");
        List<AuditEvent> logs = am.vault().audit().getLogs(LogQuery.identity(identity.id()).limit(100));
        logs.forEach(log -> System.out.println(log.timestamp() + ": " + log.action() + " on " + log.secretKey()));
    }
}
