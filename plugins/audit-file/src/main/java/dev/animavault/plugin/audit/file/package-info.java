/**
 * The {@code file} audit sink: append-only JSON-lines segments with one SHA-256 hash chain across them,
 * rolled over by size or day, signed checkpoints, queryable through per-segment indexes (the open one in
 * memory, sealed ones persisted and memory-mapped).
 *
 * <p>Line format (UTF-8, one object per line, fields in this order, null fields and empty details left
 * out): {@code id}, {@code timestamp} (ISO-8601, as precise as the event), {@code action},
 * {@code outcome} ({@code SUCCESS}/{@code DENIED}/{@code FAILURE}), {@code organizationId},
 * {@code identityId}, {@code secretKey}, {@code version} (integer), {@code actor}, {@code requestId},
 * {@code remoteAddress}, {@code errorCode}, {@code details} (object of strings, sorted by key) and
 * {@code prev} (hex SHA-256 of the previous line, see {@link dev.animavault.plugin.audit.file.AuditHashChain}).
 * For example:
 * <pre>{@code
 * {"id":"ev_01","timestamp":"2025-03-01T12:00:00Z","action":"secret.read","outcome":"SUCCESS","organizationId":"org_a","identityId":"agent_123","secretKey":"OPENAI_API_KEY","version":1,"actor":"identity:agent_123","requestId":"req-1","prev":"0000000000000000000000000000000000000000000000000000000000000000"}
 * }</pre>
 *
 * <p>See {@link dev.animavault.plugin.audit.file.FileAuditSinkFactory} for configuration and
 * {@link dev.animavault.plugin.audit.file.FileAuditSink} for durability, recovery and threading.
 */
package dev.animavault.plugin.audit.file;
