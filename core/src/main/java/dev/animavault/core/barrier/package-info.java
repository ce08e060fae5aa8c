/** The barrier: root key, AES-256-GCM keyring and value sealing with AAD bound to each secret version. */
package dev.animavault.core.barrier;
