package dev.animavault.core.report;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.rotation.LifecycleAttributes;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Builds {@link ComplianceReport}s. Streams the audit trail page by page ({@value #PAGE} events at a
 * time) and keeps only aggregates: memory grows with the number of secrets, actors, tokens and chart
 * buckets, never with the number of events. Reads identities, secret metadata and token records from
 * storage (token records read-only and without their MACs: nothing secret is involved).
 *
 * <p>"Read" means a {@code secret.read} event with outcome SUCCESS; "denied" any DENIED event. Stateless
 * between calls; thread-safe.
 */
public final class ReportGenerator {
    static final int PAGE = 1000;
    /** At most this many chart bars. */
    static final int MAX_BUCKETS = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageBackend storage;
    private final Function<AuditQuery, Page<AuditEvent>> audit;
    private final Supplier<List<Map<String, Object>>> sinks;
    private final Clock clock;
    private final AdminAccounts admins;
    /** A token's actor in clear -> the forms audit events record it in (hashed under each audit key). */
    private volatile Function<String, List<String>> actorForms = List::of;

    /**
     * @param storage the vault's storage
     * @param audit   runs an audit query (core's broker: the first queryable sink)
     * @param sinks   each audit sink's type and state ({@code type}, {@code status}, {@code detail})
     */
    public ReportGenerator(StorageBackend storage, Function<AuditQuery, Page<AuditEvent>> audit,
                           Supplier<List<Map<String, Object>>> sinks, Clock clock) {
        this(storage, audit, sinks, clock, AdminAccounts.NONE);
    }

    /** As above, with the admin accounts the "admins without MFA" section lists. */
    public ReportGenerator(StorageBackend storage, Function<AuditQuery, Page<AuditEvent>> audit,
                           Supplier<List<Map<String, Object>>> sinks, Clock clock, AdminAccounts admins) {
        this.storage = requireNonNull(storage, "storage is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.sinks = requireNonNull(sinks, "sinks is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.admins = requireNonNull(admins, "admins is null");
    }

    /**
     * How events record a token's actor: with sensitive fields hashed ({@code SensitiveFields#actorForms}),
     * one form per audit key version. Default: the actor in clear. Set before the node serves.
     */
    public ReportGenerator actorForms(Function<String, List<String>> forms) {
        this.actorForms = requireNonNull(forms, "forms is null");
        return this;
    }

    private static final class SecretStats {
        long reads;
        long denied;
        Instant first;
        Instant last;
    }

    private static final class ActorStats {
        long reads;
        long denied;
        long events;
        Instant first;
        Instant last;
        final Set<String> keysRead = new LinkedHashSet<>();
    }

    // one token's events under several audit key versions count as one actor
    private static ActorStats merge(ActorStats a, ActorStats b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        ActorStats m = new ActorStats();
        m.reads = a.reads + b.reads;
        m.denied = a.denied + b.denied;
        m.events = a.events + b.events;
        m.keysRead.addAll(a.keysRead);
        m.keysRead.addAll(b.keysRead);
        return m;
    }

    /** Makes the report for an organization, or one identity of it, over {@code [from, to)}. */
    public ComplianceReport generate(String organizationId, Optional<String> identityId, Instant from, Instant to) {
        requireNonNull(organizationId, "organizationId is null");
        Instant now = clock.instant();
        long bucketSeconds = bucketSeconds(from, to);
        TreeMap<Long, long[]> buckets = new TreeMap<>();
        Map<String, SecretStats> bySecret = new HashMap<>();
        Map<String, ActorStats> byActor = new TreeMap<>();
        long scanned = 0;
        UnusualAccess unusual = new UnusualAccess(from, to);
        Optional<String> cursor = Optional.empty();
        do {
            Page<AuditEvent> page = audit.apply(new AuditQuery(organizationId, identityId, Optional.empty(),
                    Optional.of(from), Optional.of(to), new PageRequest(PAGE, cursor)));
            for (AuditEvent e : page.items()) {
                scanned++;
                boolean read = e.action().equals("secret.read") && e.outcome() == AuditOutcome.SUCCESS;
                boolean denied = e.outcome() == AuditOutcome.DENIED;
                if (!read && !denied) {
                    continue;
                }
                long[] b = buckets.computeIfAbsent(Math.floorDiv(Duration.between(from, e.timestamp()).getSeconds(),
                        bucketSeconds), k -> new long[2]); // whole seconds since from, not second fields
                b[read ? 0 : 1]++;
                if (e.secretKey() != null && e.identityId() != null) {
                    SecretStats s = bySecret.computeIfAbsent(e.identityId() + "/" + e.secretKey(), k -> new SecretStats());
                    if (read) {
                        s.reads++;
                        s.first = e.timestamp(); // newest first: the last one seen is the earliest
                        if (s.last == null) {
                            s.last = e.timestamp();
                        }
                    } else {
                        s.denied++;
                    }
                }
                String actor = e.actor() == null ? "(unknown)" : e.actor();
                unusual.add(actor, e);
                ActorStats a = byActor.computeIfAbsent(actor, k -> new ActorStats());
                a.events++;
                if (read) {
                    a.reads++;
                    if (e.secretKey() != null && e.identityId() != null) {
                        a.keysRead.add(e.identityId() + "/" + e.secretKey());
                    }
                } else {
                    a.denied++;
                }
                a.first = e.timestamp();
                if (a.last == null) {
                    a.last = e.timestamp();
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());

        List<SecretMetadata> secrets = secrets(organizationId, identityId);
        List<ReportTable> tables = new ArrayList<>();
        tables.add(inventory(secrets, now));
        tables.add(accessBySecret(secrets, bySecret));
        tables.add(accessByActor(byActor));
        tables.add(unusual.table());
        tables.add(leastPrivilege(organizationId, identityId, secrets, byActor));
        tables.add(stale(secrets, bySecret, from, to));
        tables.add(adminsWithoutMfa(organizationId));
        tables.add(integrity());
        List<ComplianceReport.TimelineBucket> timeline = new ArrayList<>();
        long n = Math.max(1, (Duration.between(from, to).getSeconds() + bucketSeconds - 1) / bucketSeconds);
        for (long i = 0; i < n; i++) {
            long[] b = buckets.getOrDefault(i, new long[2]);
            timeline.add(new ComplianceReport.TimelineBucket(from.plusSeconds(i * bucketSeconds), b[0], b[1]));
        }
        List<List<Object>> rows = new ArrayList<>();
        for (ComplianceReport.TimelineBucket b : timeline) {
            rows.add(List.of(b.start().toString(), b.reads(), b.denied()));
        }
        tables.add(new ReportTable("timeline", "Accesses over time", List.of("bucketStart", "reads", "denied"), rows));
        return new ComplianceReport(organizationId, identityId.orElse(null), from, to, now, scanned, tables, timeline);
    }

    /** Bucket width: whole hours, at most {@link #MAX_BUCKETS} buckets. */
    static long bucketSeconds(Instant from, Instant to) {
        long range = Math.max(1, Duration.between(from, to).getSeconds());
        long hours = Math.max(1, (range / MAX_BUCKETS + 3599) / 3600);
        return hours >= 24 ? (hours + 23) / 24 * 86_400 : hours * 3600;
    }

    private List<SecretMetadata> secrets(String org, Optional<String> identityId) {
        List<String> identities = new ArrayList<>();
        if (identityId.isPresent()) {
            identities.add(identityId.get());
        } else {
            Optional<String> cursor = Optional.empty();
            do {
                Page<Identity> page = storage.listIdentities(org, new PageRequest(500, cursor));
                page.items().forEach(i -> identities.add(i.id()));
                cursor = page.nextCursor();
            } while (cursor.isPresent());
        }
        List<SecretMetadata> out = new ArrayList<>();
        for (String id : identities) {
            Optional<String> cursor = Optional.empty();
            do {
                Page<SecretMetadata> page = storage.listSecrets(org, id, new PageRequest(500, cursor));
                out.addAll(page.items());
                cursor = page.nextCursor();
            } while (cursor.isPresent());
        }
        out.sort((a, b) -> (a.ref().identityId() + "/" + a.ref().key()).compareTo(b.ref().identityId() + "/" + b.ref().key()));
        return out;
    }

    private static ReportTable inventory(List<SecretMetadata> secrets, Instant now) {
        List<List<Object>> rows = new ArrayList<>();
        for (SecretMetadata m : secrets) {
            Map<String, String> a = m.attributes();
            String next = a.get(LifecycleAttributes.NEXT_ROTATION_AT);
            boolean overdue = next != null && parse(next).map(now::isAfter).orElse(false);
            String status = a.getOrDefault(LifecycleAttributes.STATUS, next == null ? null : LifecycleAttributes.OK);
            rows.add(row(m.ref().identityId(), m.ref().key(), m.type(), m.createdAt().toString(),
                    Duration.between(m.createdAt(), now).toDays(), (long) m.currentVersion(),
                    a.get(LifecycleAttributes.LAST_ROTATED_AT), next, status, overdue,
                    LifecycleAttributes.FAILED.equals(status), a.get(LifecycleAttributes.EXPIRES_AT)));
        }
        return new ReportTable("inventory", "Inventory", List.of("identityId", "key", "type", "createdAt", "ageDays",
                "versions", "lastRotatedAt", "nextRotationAt", "rotationStatus", "rotationOverdue", "rotationFailed",
                "expiresAt"), rows);
    }

    private static ReportTable accessBySecret(List<SecretMetadata> secrets, Map<String, SecretStats> stats) {
        List<List<Object>> rows = new ArrayList<>();
        Set<String> listed = new LinkedHashSet<>();
        for (SecretMetadata m : secrets) {
            listed.add(m.ref().identityId() + "/" + m.ref().key());
        }
        // secrets read in the period but deleted since still appear
        new TreeMap<>(stats).keySet().forEach(listed::add);
        for (String k : listed) {
            SecretStats s = stats.getOrDefault(k, new SecretStats());
            int slash = k.indexOf('/');
            rows.add(row(k.substring(0, slash), k.substring(slash + 1), s.reads, s.denied, str(s.first), str(s.last)));
        }
        return new ReportTable("access_by_secret", "Access per secret", List.of("identityId", "key", "reads",
                "denied", "firstRead", "lastRead"), rows);
    }

    private static ReportTable accessByActor(Map<String, ActorStats> byActor) {
        List<List<Object>> rows = new ArrayList<>();
        byActor.forEach((actor, a) -> rows.add(row(actor, a.reads, a.denied, str(a.first), str(a.last))));
        return new ReportTable("access_by_actor", "Access per actor", List.of("actor", "reads", "denied",
                "firstAccess", "lastAccess"), rows);
    }

    /**
     * Per token: the keys it may read (its own identity's secrets, narrowed by the token's key list) against
     * the keys it read in the period; tokens without expiry; tokens never used in the period.
     */
    private ReportTable leastPrivilege(String org, Optional<String> identityId, List<SecretMetadata> secrets,
                                       Map<String, ActorStats> byActor) {
        Map<String, List<String>> keysByIdentity = new HashMap<>();
        for (SecretMetadata m : secrets) {
            keysByIdentity.computeIfAbsent(m.ref().identityId(), k -> new ArrayList<>()).add(m.ref().key());
        }
        List<List<Object>> rows = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        List<JsonNode> tokens = new ArrayList<>();
        do {
            Page<StoredRecord> page = storage.listRecords(TokenService.NAMESPACE, new PageRequest(500, cursor));
            for (StoredRecord r : page.items()) {
                try {
                    JsonNode t = JSON.readTree(r.value());
                    if (org.equals(t.path("organizationId").asText())
                            && identityId.map(i -> i.equals(t.path("identityId").asText())).orElse(true)) {
                        tokens.add(t);
                    }
                } catch (IOException e) {
                    // a malformed record is not a token the report can describe
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        tokens.sort((a, b) -> (a.path("identityId").asText() + "/" + a.path("id").asText())
                .compareTo(b.path("identityId").asText() + "/" + b.path("id").asText()));
        for (JsonNode t : tokens) {
            boolean orgKey = "ORG_API_KEY".equals(t.path("kind").asText());
            String identity = orgKey ? null : t.path("identityId").asText();
            String actor = orgKey ? "apikey:" + t.path("id").asText() : "identity:" + identity + "/" + t.path("id").asText();
            ActorStats used = null;
            for (String form : actorForms.apply(actor)) {
                used = merge(used, byActor.get(form));
            }
            long readable;
            long read;
            List<String> unused = new ArrayList<>();
            if (orgKey) {
                readable = 0; // org keys manage secrets; they do not read values through tokens' scopes
                read = used == null ? 0 : used.keysRead.size();
            } else {
                Set<String> allowed = new LinkedHashSet<>();
                t.path("keys").forEach(k -> allowed.add(k.asText()));
                List<String> keys = keysByIdentity.getOrDefault(identity, List.of()).stream()
                        .filter(k -> allowed.isEmpty() || allowed.contains(k)).toList();
                readable = keys.size();
                read = 0;
                for (String k : keys) {
                    if (used != null && used.keysRead.contains(identity + "/" + k)) {
                        read++;
                    } else {
                        unused.add(k);
                    }
                }
            }
            String expires = t.hasNonNull("expiresAt") ? t.get("expiresAt").asText() : null;
            rows.add(row(t.path("id").asText(), orgKey ? "org_api_key" : "identity", identity, t.path("name").asText(),
                    t.path("createdAt").asText(null), expires, expires == null, readable, read, String.join(" ", unused),
                    used != null && used.events > 0));
        }
        return new ReportTable("least_privilege", "Least privilege (tokens)", List.of("tokenId", "kind", "identityId",
                "name", "createdAt", "expiresAt", "noExpiry", "readableKeys", "readKeys", "unusedKeys", "usedInPeriod"),
                rows);
    }

    private static ReportTable stale(List<SecretMetadata> secrets, Map<String, SecretStats> stats, Instant from, Instant to) {
        List<List<Object>> rows = new ArrayList<>();
        long days = Duration.between(from, to).toDays();
        for (SecretMetadata m : secrets) {
            SecretStats s = stats.get(m.ref().identityId() + "/" + m.ref().key());
            if (s == null || s.reads == 0) {
                rows.add(row(m.ref().identityId(), m.ref().key(), m.createdAt().toString(), days));
            }
        }
        return new ReportTable("hygiene_stale_secrets", "Hygiene: secrets not read in the period",
                List.of("identityId", "key", "createdAt", "periodDays"), rows);
    }

    /** Hygiene: admin accounts without a second factor (through the {@link AdminAccounts} seam). */
    private ReportTable adminsWithoutMfa(String organizationId) {
        List<AdminAccounts.Admin> all = admins.list(organizationId);
        List<List<Object>> rows = new ArrayList<>();
        for (AdminAccounts.Admin a : all) {
            if (!a.mfaEnabled()) {
                rows.add(row(a.id(), a.name(), str(a.lastLogin())));
            }
        }
        String title = "Hygiene: admins without MFA" + (all.isEmpty() ? " (no admin accounts)"
                : " (" + rows.size() + " of " + all.size() + " admin accounts)");
        return new ReportTable("hygiene_admins_without_mfa", title, List.of("adminId", "name", "lastLogin"), rows);
    }

    private ReportTable integrity() {
        List<List<Object>> rows = new ArrayList<>();
        int i = 0;
        for (Map<String, Object> s : sinks.get()) {
            rows.add(row((long) i++, String.valueOf(s.get("type")), String.valueOf(s.get("status")),
                    s.get("detail") == null ? null : String.valueOf(s.get("detail"))));
        }
        return new ReportTable("integrity", "Integrity: audit sinks (verify a file trail with 'anima-vault audit verify')",
                List.of("sink", "type", "status", "detail"), rows);
    }

    private static List<Object> row(Object... cells) {
        return java.util.Arrays.asList(cells);
    }

    private static String str(Instant t) {
        return t == null ? null : t.toString();
    }

    private static Optional<Instant> parse(String s) {
        try {
            return Optional.of(Instant.parse(s));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
