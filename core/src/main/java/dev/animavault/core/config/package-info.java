/** Configuration: the YAML file, environment overrides, and the validated {@link dev.animavault.core.config.VaultConfig}. */
package dev.animavault.core.config;
