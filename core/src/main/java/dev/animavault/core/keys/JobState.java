package dev.animavault.core.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.time.Instant;

/**
 * The re-encryption job's persisted progress (record {@code sys/keyring-job}; no secret in it): the key it
 * moves values to, its phase, the cursor (the last secret finished, as organization / identity / key), the
 * pass (pass 1 moves, a later pass started from the beginning checks that nothing is left) and counts.
 *
 * @param target          the data key id values are moved to
 * @param phase           {@code running}, {@code done} or {@code unsupported} (the backend cannot rewrite versions)
 * @param pass            1, 2, ...: a pass that starts at the beginning and moves nothing ends the job
 * @param resumed         whether the current pass started from a cursor (it cannot end the job)
 * @param org             cursor: organization of the last finished secret, or null at the start of a pass
 * @param identity        cursor: its identity
 * @param key             cursor: its key
 * @param secretsDone     secrets finished in this pass
 * @param secretsTotal    secrets counted when the job started
 * @param versionsMoved   versions re-encrypted by the job so far (all passes)
 * @param recordsMoved    sealed records re-encrypted so far
 * @param movedThisPass   versions and records moved in the current pass
 * @param startedAt       when the job started
 * @param finishedAt      when it finished, or null
 * @param node            the node that last worked on it
 * @param message         why it stopped ({@code unsupported}), or null
 */
record JobState(int target, String phase, int pass, boolean resumed, String org, String identity, String key,
                long secretsDone, long secretsTotal, long versionsMoved, long recordsMoved, long movedThisPass,
                Instant startedAt, Instant finishedAt, String node, String message) {
    static final String RECORD = "keyring-job";
    static final String RUNNING = "running";
    static final String DONE = "done";
    static final String UNSUPPORTED = "unsupported";
    private static final ObjectMapper JSON = new ObjectMapper();

    static JobState start(int target, long total, Instant now, String node) {
        return new JobState(target, RUNNING, 1, false, null, null, null, 0, total, 0, 0, 0, now, null, node, null);
    }

    JobState at(String org, String identity, String key, long done, long versions, long records, long moved) {
        return new JobState(target, phase, pass, resumed, org, identity, key, done, secretsTotal, versions, records,
                moved, startedAt, finishedAt, node, message);
    }

    JobState nextPass() {
        return new JobState(target, phase, pass + 1, false, null, null, null, 0, secretsTotal, versionsMoved,
                recordsMoved, 0, startedAt, null, node, null);
    }

    JobState resumedBy(String byNode) {
        return new JobState(target, phase, pass, org != null, org, identity, key, secretsDone, secretsTotal,
                versionsMoved, recordsMoved, movedThisPass, startedAt, finishedAt, byNode, message);
    }

    JobState finished(String newPhase, Instant now, String why) {
        return new JobState(target, newPhase, pass, resumed, null, null, null, secretsDone, secretsTotal, versionsMoved,
                recordsMoved, movedThisPass, startedAt, now, node, why);
    }

    boolean running() {
        return RUNNING.equals(phase);
    }

    byte[] toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("target", target);
        o.put("phase", phase);
        o.put("pass", pass);
        o.put("resumed", resumed);
        if (org != null) {
            o.put("org", org);
            o.put("identity", identity);
            o.put("key", key);
        }
        o.put("secretsDone", secretsDone);
        o.put("secretsTotal", secretsTotal);
        o.put("versionsMoved", versionsMoved);
        o.put("recordsMoved", recordsMoved);
        o.put("movedThisPass", movedThisPass);
        o.put("startedAt", startedAt.toString());
        if (finishedAt != null) {
            o.put("finishedAt", finishedAt.toString());
        }
        o.put("node", node);
        if (message != null) {
            o.put("message", message);
        }
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JobState fromJson(byte[] json) {
        try {
            JsonNode o = JSON.readTree(json);
            return new JobState(o.get("target").asInt(), o.get("phase").asText(), o.path("pass").asInt(1),
                    o.path("resumed").asBoolean(false), o.path("org").asText(null), o.path("identity").asText(null),
                    o.path("key").asText(null), o.path("secretsDone").asLong(), o.path("secretsTotal").asLong(),
                    o.path("versionsMoved").asLong(), o.path("recordsMoved").asLong(), o.path("movedThisPass").asLong(),
                    Instant.parse(o.get("startedAt").asText()),
                    o.hasNonNull("finishedAt") ? Instant.parse(o.get("finishedAt").asText()) : null,
                    o.path("node").asText(""), o.path("message").asText(null));
        } catch (IOException | RuntimeException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "record sys/" + RECORD + " is malformed");
        }
    }
}
