/** Plugin loading with PF4J, provider configuration checks, the plugin context and egress policy. */
package dev.animavault.core.plugin;
