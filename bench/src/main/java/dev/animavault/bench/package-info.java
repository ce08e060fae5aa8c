/**
 * Benchmark tools driven by {@code bench/http-bench.sh}: the bare Helidon SE baseline
 * ({@link dev.animavault.bench.BareServer}) and a concurrent secret loader
 * ({@link dev.animavault.bench.SecretLoader}).
 */
package dev.animavault.bench;
