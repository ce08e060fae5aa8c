/** Authentication: bearer tokens stored as keyed hashes, verified in constant time, cached. */
package dev.animavault.core.auth;
