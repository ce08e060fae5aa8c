package dev.animavault.cli;

import dev.animavault.client.Sys;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code anima-vault root-key status|rotate}: the root key that wraps the vault's keyring (issue 14). */
@Command(name = "root-key", mixinStandardHelpOptions = true, description = "The root key that wraps the keyring.",
        subcommands = {RootKeyCommand.Status.class, RootKeyCommand.Rotate.class})
public final class RootKeyCommand extends Group {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the root key's provider and id, the last rotation, and whether the node opens the keyring.")
    static final class Status extends ClientCommand {
        @Override
        int run(Output out) {
            return show(out, options.client().sys().rootKey());
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Re-wrap the keyring under a new root key; with --type, migrate to another provider "
                    + "(e.g. --type pkcs11 --config library=/usr/lib/softhsm/libsofthsm2.so --config pin-env=HSM_PIN).")
    static final class Rotate extends ClientCommand {
        @Option(names = "--type", description = "The provider of the new key (default: the server's own).")
        String type;

        @Option(names = "--config", description = "A provider setting key=value (repeatable); credentials by "
                + "reference only (pin-env, passphrase-file).")
        Map<String, String> config = new LinkedHashMap<>();

        @Override
        int run(Output out) {
            if (type == null && !config.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--config needs --type");
            }
            return show(out, options.client().sys().rotateRootKey(type, config));
        }
    }

    static int show(Output out, Sys.RootKeyStatus s) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("type", s.type());
        doc.put("keyId", s.keyId());
        doc.put("deploymentId", s.deploymentId());
        doc.put("rotatedAt", s.rotatedAt() == null ? "never" : s.rotatedAt());
        doc.put("nodeProvider", s.nodeProvider());
        doc.put("nodeOpensKeyring", s.nodeOpensKeyring());
        if (s.nodeProblem() != null) {
            doc.put("nodeProblem", s.nodeProblem());
        }
        if (out.json()) {
            out.json(doc);
        } else {
            out.fields(doc);
        }
        return s.nodeOpensKeyring() ? ExitCodes.OK : ExitCodes.ERROR;
    }
}
