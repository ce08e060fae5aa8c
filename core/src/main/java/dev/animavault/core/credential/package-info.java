/**
 * Core's side of credential types: masked hints written with each version, and materialization support
 * for types that derive values from the stored one (a sealed cache, single flight within a process and,
 * through conditional writes on the cache record, across processes).
 */
package dev.animavault.core.credential;
