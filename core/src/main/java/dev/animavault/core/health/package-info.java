/**
 * The vault's health check: storage reachability through the backend's probe and each audit sink's state,
 * as {@code GET /v1/sys/health} reports them.
 */
package dev.animavault.core.health;
