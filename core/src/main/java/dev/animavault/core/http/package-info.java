/** The HTTP API v1 (Helidon SE): routing, JSON views, problem+json errors. */
package dev.animavault.core.http;
