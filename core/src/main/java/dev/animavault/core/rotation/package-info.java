/**
 * The rotation engine: per-secret rotation policies and expiry, a durable schedule in storage, signed
 * webhook deliveries (Standard Webhooks), and the promotion of a pending version to current, with one
 * node running each rotation through a storage lease. See {@code docs/rotation.md}.
 *
 * <p>State lives in two places. The secret's metadata attributes ({@link LifecycleAttributes}) are the
 * truth: policy, times, status, the rotation in progress. The schedule ({@link RotationSchedule}) is an
 * index over them, records keyed by due time so the poller reads only what is due; an index entry that
 * disagrees with the attributes is stale and dropped. Every step writes the index first, then the
 * attributes with a conditional write, then removes the old index entry, so a crash anywhere leaves a
 * state the next poll converges from.
 */
package dev.animavault.core.rotation;
