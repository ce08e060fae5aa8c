package dev.animavault.cli;

import dev.animavault.client.Anima;
import dev.animavault.client.AnimaException;
import dev.animavault.client.Sys;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code anima-vault status}: the vault's health and, when a token is configured, whether the vault
 * accepts it. Exit 0 when healthy (and the token, if any, is accepted), else the matching exit code.
 */
@picocli.CommandLine.Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show whether the vault is up and accepts the configured token.")
public final class StatusCommand extends ClientCommand {
    @Override
    int run(Output out) {
        Anima am = options.anonymousClient();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("address", am.baseUri().toString());
        int exit = ExitCodes.OK;
        try {
            Sys.Health h = am.sys().health();
            doc.put("status", h.status());
            doc.put("storage", h.storage());
        } catch (AnimaException e) {
            doc.put("status", e.status() == 0 ? "unreachable" : "unavailable");
            doc.put("error", e.getMessage());
            exit = ExitCodes.of(e);
        }
        if (exit == ExitCodes.OK) {
            doc.put("token", tokenState(am));
            if (!"accepted".equals(doc.get("token")) && !"not set".equals(doc.get("token"))) {
                exit = ExitCodes.DENIED;
            }
        }
        if (out.json()) {
            out.json(doc);
        } else {
            out.fields(doc);
        }
        return exit;
    }

    private static String tokenState(Anima am) {
        try {
            am.identities().list(1, null);
            return "accepted";
        } catch (IllegalStateException e) {
            return "not set";
        } catch (AnimaException.PermissionDenied e) {
            return "accepted"; // an identity token: valid, but it may not list identities
        } catch (AnimaException.Unauthenticated e) {
            return "rejected (" + e.code() + ")";
        }
    }
}
