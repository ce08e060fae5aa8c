/** The vault's operations with authorization and audit, independent of HTTP. */
package dev.animavault.core.service;
