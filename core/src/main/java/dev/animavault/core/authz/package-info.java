/** Authorization: named permissions, roles, and the one authorizer every endpoint asks. */
package dev.animavault.core.authz;
