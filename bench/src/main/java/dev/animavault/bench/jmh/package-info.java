/**
 * JMH microbenchmarks of core against a JDK baseline measured in the same run; run with
 * {@code bench/jmh.sh}.
 */
package dev.animavault.bench.jmh;
