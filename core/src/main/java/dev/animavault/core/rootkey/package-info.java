/**
 * Root keys: the built-in providers ({@code file}, {@code env}, {@code passphrase}), the choice of a
 * provider by {@code vault.root-key.type} among them and the plugins' ones, root key rotation and its
 * API service, and the watcher that lets a node follow a rotation made by another.
 */
package dev.animavault.core.rootkey;
