package dev.animavault.spi.audit;

import dev.animavault.spi.ProviderFactory;

/** Creates {@link AuditSink}s; the name is what configuration's {@code audit[].type} says. */
public interface AuditSinkFactory extends ProviderFactory<AuditSink> {
}
