package dev.animavault.core.report;

import dev.animavault.core.cluster.PgSchema;
import dev.animavault.core.config.ProviderSpec;
import java.util.List;
import java.util.Map;

/**
 * The audit sink a measurement runs against ({@code file}, {@code jdbc-sqlite} or {@code jdbc-pg}); for
 * {@code jdbc-pg} a fresh {@link PgSchema} on the PostgreSQL named by {@code ANIMA_TEST_PG_URL}/{@code _USER}/
 * {@code _PASSWORD}, dropped by {@link #close}.
 */
record MeasuredSink(List<ProviderSpec> audit, PgSchema schema) implements AutoCloseable {

    static MeasuredSink of(String type, String schemaPrefix) throws Exception {
        return switch (type) {
            case "file" -> new MeasuredSink(List.of(new ProviderSpec("file", Map.of())), null);
            case "jdbc-sqlite" -> new MeasuredSink(List.of(new ProviderSpec("jdbc", Map.of())), null);
            case "jdbc-pg" -> {
                PgSchema pg = PgSchema.create(schemaPrefix);
                yield new MeasuredSink(List.of(new ProviderSpec("jdbc", Map.of("url", pg.url(),
                        "username", String.valueOf(pg.user()), "password", String.valueOf(pg.password())))), pg);
            }
            default -> throw new IllegalArgumentException("sink: file, jdbc-sqlite or jdbc-pg, not " + type);
        };
    }

    @Override
    public void close() throws Exception {
        if (schema != null) {
            schema.close();
        }
    }
}
