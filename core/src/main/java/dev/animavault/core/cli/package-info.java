/**
 * The {@code anima-vault} command line (the distribution's entry point): it starts a
 * {@link dev.animavault.core.VaultNode} and its {@link dev.animavault.core.http.VaultServer}, so it sits
 * above both and nothing imports it.
 */
package dev.animavault.core.cli;
