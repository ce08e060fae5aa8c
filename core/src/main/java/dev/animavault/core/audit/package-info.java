/** The audit broker: group commit to every sink, fail closed. */
package dev.animavault.core.audit;
