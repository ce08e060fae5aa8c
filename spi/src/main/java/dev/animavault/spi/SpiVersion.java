package dev.animavault.spi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this SPI. Core sets it as PF4J's system version; a plugin declares the range it
 * supports in {@code plugin.requires} (for example {@code >=1.0.0 & <2.0.0}) and is refused at load
 * when the running SPI is outside that range.
 */
public final class SpiVersion {
    /** The SPI version of this build, e.g. {@code 1.0.0}. */
    public static final String CURRENT = load();

    private SpiVersion() {
    }

    private static String load() {
        try (InputStream in = SpiVersion.class.getResourceAsStream("spi-version.properties")) {
            if (in == null) {
                throw new IllegalStateException("spi-version.properties missing from the SPI jar");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version").trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
