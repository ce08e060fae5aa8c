package dev.animavault.core.rootkey;

import dev.animavault.core.barrier.SoftwareKey;
import dev.animavault.spi.rootkey.RootKeyProvider;
import dev.animavault.spi.testkit.RootKeyProviderContract;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The built-in root key providers pass the provider contract of spi-testkit. */
class BuiltInProvidersContractTest {

    @Nested
    class File extends RootKeyProviderContract {
        @TempDir
        Path dir;

        @Override
        protected RootKeyProvider newProvider() {
            return new FileRootKeyProvider(dir.resolve("root.key"));
        }

        @Override
        protected RootKeyProvider sameHome() {
            return new FileRootKeyProvider(dir.resolve("root.key"));
        }
    }

    @Nested
    class Env extends RootKeyProviderContract {
        private final String value = SoftwareKey.random().encode();

        @Override
        protected RootKeyProvider newProvider() {
            return new EnvRootKeyProvider("ANIMA_VAULT_ROOT_KEY", value);
        }

        @Override
        protected RootKeyProvider sameHome() {
            return newProvider();
        }
    }

    @Nested
    class Passphrase extends RootKeyProviderContract {
        @TempDir
        Path dir;

        @Override
        protected RootKeyProvider newProvider() {
            try {
                Path file = dir.resolve("passphrase");
                if (!Files.exists(file)) {
                    Files.writeString(file, "correct horse battery staple\n", StandardCharsets.UTF_8);
                }
                // small Argon2id parameters keep the test quick; the default is 64 MiB, 3 passes
                return new PassphraseRootKeyProvider(BuiltInRootKeyProviders.readPassphrase(file), 1024, 1, 1,
                        "file " + file);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        protected RootKeyProvider sameHome() {
            return newProvider();
        }

        @Override
        protected String unknownKeyId() {
            return "a2id.m1024.t1.p1.00000000000000000000000000000000";
        }
    }
}
