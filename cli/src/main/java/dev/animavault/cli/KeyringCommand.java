package dev.animavault.cli;

import dev.animavault.client.Anima;
import dev.animavault.client.Sys;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code anima-vault keyring status|rotate}: the keyring's data keys, token key versions and the
 * re-encryption job, over HTTP like the other operator commands; {@code --wait} follows the job with a
 * progress bar until it is done.
 */
@Command(name = "keyring", mixinStandardHelpOptions = true, description = "The keyring: data keys and re-encryption.",
        subcommands = {KeyringCommand.Status.class, KeyringCommand.Rotate.class})
public final class KeyringCommand extends Group {
    private static final int BAR = 30;

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the data keys (with their encryption counts), token key versions and the "
                    + "re-encryption job's progress.")
    static final class Status extends ClientCommand {
        @Option(names = "--wait", description = "Follow the re-encryption job with a progress bar until it is done.")
        boolean await;

        @Override
        int run(Output out) throws Exception {
            Anima am = options.client();
            Sys.Keyring k = am.sys().keyring();
            if (out.json()) {
                if (await) {
                    k = follow(am, null);
                }
                out.json(view(k));
                return ExitCodes.OK;
            }
            print(out, k);
            if (await) {
                follow(am, spec.commandLine().getOut());
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Rotate the data key (new values are sealed with a new key; a background job re-encrypts "
                    + "every stored version, then removes the old key), or with --token the token HMAC key.")
    static final class Rotate extends ClientCommand {
        @Option(names = "--token", description = "Rotate the token HMAC key instead of the data key.")
        boolean token;

        @Option(names = "--retire-old-after", paramLabel = "DURATION",
                description = "With --token: how long tokens hashed under older versions keep working unless used "
                        + "(e.g. 7d; 0s ends them now). Default: the server's vault.keyring.token-key-grace.")
        String retireOldAfter;

        @Option(names = "--wait", description = "Follow the re-encryption job with a progress bar until it is done.")
        boolean await;

        @Override
        int run(Output out) throws Exception {
            if (retireOldAfter != null && !token) {
                spec.commandLine().getErr().println("error: --retire-old-after applies to --token only");
                return ExitCodes.USAGE;
            }
            Anima am = options.client();
            Sys.KeyringRotation r = am.sys().rotateKeyring(token ? "token" : "data", retireOldAfter);
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("rotated", r.key());
            doc.put("activeKey", r.activeKey());
            doc.put("activeTokenKey", r.activeTokenKey());
            if (r.retireOldAt() != null) {
                doc.put("retireOldAt", r.retireOldAt().toString());
            }
            if (out.json()) {
                if (await && !token) {
                    doc.put("keyring", view(follow(am, null)));
                }
                out.json(doc);
            } else {
                out.fields(doc);
                if (await && !token) {
                    follow(am, spec.commandLine().getOut());
                }
            }
            return ExitCodes.OK;
        }
    }

    /** Polls until the job is done (or has nothing to do); draws a bar on {@code bar} when not null. */
    static Sys.Keyring follow(Anima am, PrintWriter bar) throws InterruptedException {
        boolean tty = System.console() != null;
        String last = "";
        while (true) {
            Sys.Keyring k = am.sys().keyring();
            Sys.Reencryption r = k.reencryption();
            boolean finished = "done".equals(r.state()) || "unsupported".equals(r.state())
                    || ("idle".equals(r.state()) && k.keys().size() == 1);
            if (bar != null) {
                String line = progress(k);
                if (tty) {
                    bar.print("\r" + line);
                } else if (!line.equals(last)) {
                    bar.println(line);
                }
                last = line;
                bar.flush();
            }
            if (finished) {
                if (bar != null) {
                    if (tty) {
                        bar.println();
                    }
                    if (r.message() != null) {
                        bar.println("note: " + r.message());
                    }
                    bar.flush();
                }
                return k;
            }
            Thread.sleep(500);
        }
    }

    /** {@code [#########---------------------]  30%  36/120 secrets, pass 1, 40 versions moved (re-encrypting to key 2)}. */
    static String progress(Sys.Keyring k) {
        Sys.Reencryption r = k.reencryption();
        long total = Math.max(r.total(), 0);
        long done = Math.min(Math.max(r.done(), 0), total);
        int percent = "done".equals(r.state()) ? 100 : total == 0 ? 0 : (int) (done * 100 / total);
        int filled = percent * BAR / 100;
        return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + String.format("%3d%%", percent) + "  "
                + done + "/" + total + " secrets, pass " + Math.max(r.pass(), 1) + ", " + r.versionsMoved()
                + " versions moved (" + r.state() + ", to key " + r.targetKey() + ")";
    }

    private static void print(Output out, Sys.Keyring k) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("active data key", k.activeKey());
        doc.put("active token key", k.activeTokenKey());
        doc.put("re-encryption", progress(k));
        out.fields(doc);
        out.table(List.of("KEY", "CREATED", "ENCRYPTIONS", "ACTIVE"), k.keys().stream()
                .<List<?>>map(d -> List.of(d.id(), d.created(), d.encryptions(), d.active() ? "yes" : ""))
                .toList());
        out.table(List.of("TOKEN KEY", "CREATED", "RETIRES", "ACTIVE"), k.tokenKeys().stream()
                .<List<?>>map(t -> java.util.Arrays.asList(t.version(), t.created(),
                        t.retiresAt() == null ? "-" : t.retiresAt(), t.active() ? "yes" : ""))
                .toList());
    }

    static Map<String, Object> view(Sys.Keyring k) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("activeKey", k.activeKey());
        doc.put("keys", k.keys().stream().map(d -> Map.of("id", d.id(), "created", d.created().toString(),
                "encryptions", d.encryptions(), "active", d.active())).toList());
        doc.put("activeTokenKey", k.activeTokenKey());
        Sys.Reencryption r = k.reencryption();
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("state", r.state());
        job.put("targetKey", r.targetKey());
        job.put("done", r.done());
        job.put("total", r.total());
        job.put("versionsMoved", r.versionsMoved());
        doc.put("reencryption", job);
        return doc;
    }
}
