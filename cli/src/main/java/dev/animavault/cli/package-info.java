/**
 * The operator commands of {@code bin/anima-vault} that talk HTTP to a running vault, built on the Java
 * SDK ({@code dev.animavault.client}): {@code identities}, {@code tokens}, {@code secrets}, {@code audit},
 * {@code status}, {@code generate-completion}. They never open the vault's storage, so they work against
 * a remote vault and beside a running server. Core's {@code Main} registers them with
 * {@code modelTransformer = ClientCommands.class}; a new command is one class listed in
 * {@link dev.animavault.cli.ClientCommands}.
 */
package dev.animavault.cli;
