package dev.animavault.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.cli.ClientCli;
import dev.animavault.core.cli.ClientCli.Run;
import dev.animavault.core.config.AdminConfig;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.util.encoders.Base32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anima-vault admin mfa enroll} and {@code admin login} against a real server: the prompts read from
 * standard input, the enrollment draws the otpauth URI as a QR code on stderr, the session token lands in
 * an owner-only file that other commands use with {@code --token-file}.
 */
@Timeout(120)
class AdminCliTest {
    private static final String PASSWORD = "a long enough passphrase";
    private static final Pattern SECRET = Pattern.compile("otpauth://totp/[^?]+\\?secret=([A-Z2-7]+)");

    @TempDir
    Path tmp;

    private static Run run(TestVault vault, String stdin, String... args) throws Exception {
        return ClientCli.run(vault, null, stdin, args);
    }

    @Test
    void enrollShowsAQrCodeThenLoginPromptsForTheCodeAndSavesTheSession() throws Exception {
        try (TestVault vault = TestVault.start(tmp.resolve("v"), b -> b.admin(AdminConfig.DEFAULTS.withArgon2(1024, 1,
                1)))) {
            assertEquals(201, vault.post("/v1/admins", TestVault.OWNER_TOKEN, TestVault.json(Map.of("username", "cleo",
                    "password", PASSWORD, "role", "auditor"))).status());
            Path session = tmp.resolve("cfg/session");

            // enroll: the first prompt answer is the password; the code is computed from the URI the QR shows,
            // so the run happens in two parts: a wrong code first (refused), which reveals the secret
            Run wrong = run(vault, PASSWORD + "\n000000\n", "admin", "mfa", "enroll", "-u", "cleo", "--save",
                    session.toString(), "--no-color");
            assertEquals(4, wrong.status(), wrong.err());
            assertTrue(wrong.err().contains("█") && wrong.err().contains("▀"), "a QR code in half blocks: " + wrong.err());
            Matcher m = SECRET.matcher(wrong.err());
            assertTrue(m.find(), wrong.err());
            assertFalse(Files.exists(session));

            // a second enrollment: new challenge, new secret; answer its code by reading the URI first
            String secret = enrollSecretAndConfirm(vault, session);
            assertTrue(Files.readString(session).strip().startsWith("avs_"));
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(session));
            // the saved session works as --token-file: an auditor lists identities
            Path tokenFile = session;
            assertEquals(200, vault.get("/v1/identities", Files.readString(tokenFile).strip()).status());

            // enrolled: "admin mfa enroll" refuses; "admin login" prompts password and TOTP code
            assertEquals(5, run(vault, PASSWORD + "\n", "admin", "mfa", "enroll", "-u", "cleo", "--save",
                    session.toString()).status());
            Files.delete(session);
            String code = Totp.code(Base32.decode(secret), Totp.step(Instant.now()) + 1, 6);
            Run login = run(vault, PASSWORD + "\n" + code + "\n", "admin", "login", "-u", "cleo", "--save",
                    session.toString());
            assertEquals(0, login.status(), login.err());
            assertEquals("auditor", login.json().path("role").asText());
            assertFalse(login.json().toString().contains("avs_"), "the token is never printed");
            assertEquals(200, vault.get("/v1/identities", Files.readString(session).strip()).status());
            Run bad = run(vault, "not the password\n", "admin", "login", "-u", "cleo", "--save", session.toString());
            assertEquals(4, bad.status(), bad.err());
        }
    }

    /**
     * Runs {@code admin mfa enroll} with a code read from the QR's URI: standard input is fed by a stream that
     * computes the code when the prompt asks for it, after the URI went to stderr.
     */
    private String enrollSecretAndConfirm(TestVault vault, Path session) throws Exception {
        String[] secret = new String[1];
        Run run = ClientCli.runPrompted(vault, null, err -> codeAfterTheQr(err, secret), "admin", "mfa", "enroll", "-u",
                "cleo", "--save", session.toString());
        assertEquals(0, run.status(), run.err());
        JsonNode doc = run.json();
        assertEquals(10, doc.path("recoveryCodes").size(), doc.toString());
        return secret[0];
    }

    /** The password, then (once the otpauth URI is on stderr) the current TOTP code of its secret. */
    private static InputStream codeAfterTheQr(Supplier<String> err, String[] secret) {
        return new InputStream() {
            private byte[] data = (PASSWORD + "\n").getBytes(StandardCharsets.UTF_8);
            private int pos;
            private boolean codeSent;

            @Override
            public int read() {
                if (pos == data.length) {
                    if (codeSent) {
                        return -1;
                    }
                    Matcher m = SECRET.matcher(err.get());
                    if (!m.find()) {
                        return -1;
                    }
                    secret[0] = m.group(1);
                    data = (Totp.code(Base32.decode(secret[0]), Totp.step(Instant.now()), 6) + "\n")
                            .getBytes(StandardCharsets.UTF_8);
                    pos = 0;
                    codeSent = true;
                }
                return data[pos++];
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                int c = read();
                if (c < 0) {
                    return -1;
                }
                b[off] = (byte) c;
                return 1;
            }
        };
    }
}
