/**
 * The credential type SPI: what a secret's {@code type} means (validation, generation, how a stored
 * value becomes the value an agent receives).
 */
package dev.animavault.spi.credential;
