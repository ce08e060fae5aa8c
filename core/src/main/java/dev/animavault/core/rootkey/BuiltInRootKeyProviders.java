package dev.animavault.core.rootkey;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import dev.animavault.spi.rootkey.RootKeyProviderFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The root key providers core has built in: {@code file}, {@code env} and {@code passphrase}. */
public final class BuiltInRootKeyProviders {
    /** The default variable of the {@code env} provider (and today's override of the key file). */
    public static final String DEFAULT_ENV = "ANIMA_VAULT_ROOT_KEY";

    private BuiltInRootKeyProviders() {
    }

    /**
     * The built-in factories.
     *
     * @param env        the process environment ({@code env} provider)
     * @param passphrase the passphrase read from standard input by {@code server --passphrase-stdin}, if any
     *                   (the supplier hands out a copy the caller wipes)
     */
    public static List<RootKeyProviderFactory> factories(Map<String, String> env, Supplier<Optional<char[]>> passphrase) {
        return List.of(new FileFactory(), new EnvFactory(env), new PassphraseFactory(passphrase));
    }

    static final class FileFactory implements RootKeyProviderFactory {
        @Override
        public String name() {
            return "file";
        }

        @Override
        public String description() {
            return "the root key in a file (base64, mode 0600)";
        }

        @Override
        public List<ConfigProperty> configProperties() {
            return List.of(ConfigProperty.optional("path", ConfigProperty.Type.PATH, "root.key",
                    "key file; relative to the data directory"));
        }

        @Override
        public RootKeyProvider create(ProviderConfig config, PluginContext context) {
            Path p = config.getPath("path").orElse(Path.of("root.key"));
            return new FileRootKeyProvider(context.dataDirectory().resolve(p));
        }
    }

    static final class EnvFactory implements RootKeyProviderFactory {
        private final Map<String, String> env;

        EnvFactory(Map<String, String> env) {
            this.env = Map.copyOf(env);
        }

        @Override
        public String name() {
            return "env";
        }

        @Override
        public String description() {
            return "the root key (base64) in an environment variable";
        }

        @Override
        public List<ConfigProperty> configProperties() {
            return List.of(ConfigProperty.optional("variable", ConfigProperty.Type.STRING, DEFAULT_ENV,
                    "the environment variable's name"));
        }

        @Override
        public RootKeyProvider create(ProviderConfig config, PluginContext context) {
            String variable = config.getString("variable", DEFAULT_ENV);
            return new EnvRootKeyProvider(variable, env.get(variable));
        }
    }

    static final class PassphraseFactory implements RootKeyProviderFactory {
        private final Supplier<Optional<char[]>> stdin;

        PassphraseFactory(Supplier<Optional<char[]>> stdin) {
            this.stdin = stdin;
        }

        @Override
        public String name() {
            return "passphrase";
        }

        @Override
        public String description() {
            return "the root key derived with Argon2id from a passphrase (server --passphrase-stdin, or a file)";
        }

        @Override
        public List<ConfigProperty> configProperties() {
            return List.of(
                    ConfigProperty.optional("passphrase-file", ConfigProperty.Type.PATH, null,
                            "read the passphrase from this file or file descriptor (/dev/fd/3) instead of standard input"),
                    ConfigProperty.optional("memory-kib", ConfigProperty.Type.INTEGER, "65536", "Argon2id memory"),
                    ConfigProperty.optional("iterations", ConfigProperty.Type.INTEGER, "3", "Argon2id passes"),
                    ConfigProperty.optional("parallelism", ConfigProperty.Type.INTEGER, "1", "Argon2id lanes"));
        }

        @Override
        public RootKeyProvider create(ProviderConfig config, PluginContext context) {
            Optional<Path> file = config.getPath("passphrase-file");
            char[] pass;
            String source;
            if (file.isPresent()) {
                Path p = context.dataDirectory().resolve(file.get());
                pass = readPassphrase(p);
                source = "file " + p;
            } else {
                pass = stdin.get().orElseThrow(() -> new VaultException(ErrorCode.CONFIGURATION, "the passphrase root "
                        + "key needs a passphrase: start with 'anima-vault server --passphrase-stdin' or set "
                        + "vault.root-key.config.passphrase-file"));
                source = "standard input";
            }
            try {
                return new PassphraseRootKeyProvider(pass, config.getInt("memory-kib", 65536),
                        config.getInt("iterations", 3), config.getInt("parallelism", 1), source);
            } finally {
                Arrays.fill(pass, '\0');
            }
        }
    }

    /** Reads a passphrase (first line, without its line break) from a file or file descriptor. */
    public static char[] readPassphrase(Path p) {
        try {
            byte[] bytes = Files.readAllBytes(p);
            try {
                return firstLine(bytes);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot read the root key passphrase from " + p + ": "
                    + e.getMessage(), e);
        }
    }

    /** The first line of {@code bytes} (UTF-8) as characters. */
    public static char[] firstLine(byte[] bytes) {
        CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
        int end = 0;
        while (end < cb.limit() && cb.get(end) != '\n' && cb.get(end) != '\r') {
            end++;
        }
        char[] out = new char[end];
        cb.get(out, 0, end);
        Arrays.fill(cb.array(), '\0');
        return out;
    }
}
