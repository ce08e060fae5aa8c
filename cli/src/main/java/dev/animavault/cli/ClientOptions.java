package dev.animavault.cli;

import dev.animavault.client.Anima;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Where the vault is and how to talk to it; mixed into every client command. The token comes from
 * {@code ANIMA_VAULT_TOKEN} or {@code --token-file}, never from a command-line argument (which other
 * users of the machine can read in the process list).
 */
public final class ClientOptions {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,6})(ms|s|m)");

    /** Output formats. */
    public enum Format { table, json }

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--addr", paramLabel = "URL",
            description = "Vault address (default: $ANIMA_VAULT_ADDR, else http://127.0.0.1:8200).")
    String addr;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Read the API key or identity token from FILE (default: $ANIMA_VAULT_TOKEN).")
    Path tokenFile;

    @Option(names = "--ca-cert", paramLabel = "PEM",
            description = "Trust the CA certificate(s) in this PEM file for https:// (default: the JDK's trust store).")
    Path caCert;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "Time to wait for each response, e.g. 500ms, 30s, 2m (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (for people, default) or json (for scripts).")
    Format output;

    /** A client for the configured vault; fails as a usage error without a token. */
    Anima client() {
        return build(builder(true));
    }

    /** A client for the unauthenticated calls (health), with a token when one is configured. */
    Anima anonymousClient() {
        return build(builder(false));
    }

    /** The builder {@link #client()} uses, for commands that need more (e.g. their own request ids). */
    Anima.Builder builder(boolean requireToken) {
        Anima.Builder b = Anima.builder().timeout(timeout());
        if (!requireToken) {
            b.withoutApiKey();
        }
        if (addr != null) {
            b.baseUrl(addr);
        }
        String token = token();
        if (token != null) {
            b.apiKey(token);
        } else if (requireToken && System.getenv("ANIMA_VAULT_TOKEN") == null) {
            throw new ParameterException(mixee.commandLine(), "no token: set ANIMA_VAULT_TOKEN or pass --token-file");
        }
        if (caCert != null) {
            b.sslContext(sslContext(caCert));
        }
        return b;
    }

    Anima build(Anima.Builder b) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(mixee.commandLine(), e.getMessage());
        }
    }

    boolean json() {
        return output == Format.json;
    }

    private String token() {
        if (tokenFile == null) {
            return null;
        }
        try {
            String t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            if (t.isEmpty()) {
                throw new ParameterException(mixee.commandLine(), "--token-file " + tokenFile + " is empty");
            }
            return t;
        } catch (IOException e) {
            throw new ParameterException(mixee.commandLine(), "cannot read --token-file " + tokenFile + ": " + e.getMessage());
        }
    }

    private Duration timeout() {
        return duration(timeout, "--timeout", mixee.commandLine());
    }

    /** A positive duration such as 500ms, 30s or 2m, or a usage error naming the option. */
    static Duration duration(String text, String option, picocli.CommandLine cmd) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new ParameterException(cmd, option + " must be a positive duration such as 500ms, 30s or 2m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private SSLContext sslContext(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new ParameterException(mixee.commandLine(), "--ca-cert " + pem + " holds no certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new ParameterException(mixee.commandLine(), "cannot use --ca-cert " + pem + ": " + e.getMessage());
        }
    }
}
