package dev.animavault.core.plugin;

import dev.animavault.spi.VaultPlugin;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds a real PF4J plugin zip outside the Maven reactor: compiles Java sources against the SPI and
 * PF4J jars with PF4J's annotation processor (so {@code extensions.idx} is written), and zips
 * {@code plugin.properties} + {@code classes/}.
 */
public final class TestPluginBuilder {
    private final String id;
    private String requires = ">=1.0.0 & <2.0.0";
    private String provides;
    private final Map<String, String> sources = new LinkedHashMap<>();

    private TestPluginBuilder(String id) {
        this.id = id;
    }

    public static TestPluginBuilder plugin(String id) {
        return new TestPluginBuilder(id);
    }

    public TestPluginBuilder requires(String expression) {
        this.requires = expression;
        return this;
    }

    /** Writes {@code plugin.provides} (none by default: a plugin from before the entry existed). */
    public TestPluginBuilder provides(String declaration) {
        this.provides = declaration;
        return this;
    }

    /** Adds a source file; {@code className} is fully qualified. */
    public TestPluginBuilder source(String className, String code) {
        sources.put(className, code);
        return this;
    }

    /** Compiles and writes {@code <dir>/<id>.zip}. */
    public Path buildInto(Path dir) {
        try {
            Path work = Files.createTempDirectory(id + "-build");
            Path src = work.resolve("src");
            Path classes = work.resolve("classes");
            Files.createDirectories(classes);
            List<String> files = new ArrayList<>();
            for (Map.Entry<String, String> e : sources.entrySet()) {
                Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
                Files.createDirectories(f.getParent());
                Files.writeString(f, e.getValue());
                files.add(f.toString());
            }
            String cp = jarOf(VaultPlugin.class) + File.pathSeparator + jarOf(org.pf4j.Extension.class);
            List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", cp, "-processorpath", cp,
                    "-proc:full", "--release", "21"));
            args.addAll(files);
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            int rc = javac.run(null, null, null, args.toArray(String[]::new));
            if (rc != 0) {
                throw new IllegalStateException("test plugin " + id + " did not compile");
            }
            if (!Files.exists(classes.resolve("META-INF/extensions.idx"))) {
                throw new IllegalStateException("PF4J's annotation processor wrote no extensions.idx");
            }
            Path zip = dir.resolve(id + ".zip");
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
                out.putNextEntry(new ZipEntry("plugin.properties"));
                out.write(("plugin.id=" + id + "\nplugin.version=1.0.0\nplugin.requires=" + requires
                        + "\nplugin.provider=tests\n" + (provides == null ? "" : "plugin.provides=" + provides + "\n"))
                        .getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
                try (Stream<Path> walk = Files.walk(classes)) {
                    for (Path p : walk.filter(Files::isRegularFile).toList()) {
                        out.putNextEntry(new ZipEntry("classes/" + classes.relativize(p).toString().replace('\\', '/')));
                        Files.copy(p, (OutputStream) out);
                        out.closeEntry();
                    }
                }
            }
            return zip;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String jarOf(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A plugin contributing credential type {@code license_key} (values must look like LIC-1234) and audit
     * sink {@code switchable} (fails while the file named by its {@code fail-flag} key exists).
     */
    public static TestPluginBuilder licensePlugin(String id) {
        return plugin(id).source("org.example.license.LicensePlugin", """
                package org.example.license;

                import dev.animavault.spi.*;
                import dev.animavault.spi.audit.*;
                import dev.animavault.spi.credential.*;
                import java.nio.file.*;
                import java.util.List;
                import org.pf4j.Extension;

                @Extension
                public class LicensePlugin implements VaultPlugin {
                    @Override
                    public List<CredentialTypeFactory> credentialTypes() {
                        return List.of(new CredentialTypeFactory() {
                            public String name() { return "license_key"; }
                            public List<ConfigProperty> configProperties() { return List.of(); }
                            public CredentialType create(ProviderConfig c, PluginContext ctx) {
                                return new CredentialType() {
                                    public String id() { return "license_key"; }
                                    public void validate(SecretValue v) {
                                        if (!v.asUtf8().matches("LIC-[0-9]{4}")) {
                                            throw new VaultException(ErrorCode.INVALID_VALUE,
                                                    "a license key looks like LIC-1234");
                                        }
                                    }
                                };
                            }
                        });
                    }

                    @Override
                    public List<AuditSinkFactory> auditSinks() {
                        return List.of(new AuditSinkFactory() {
                            public String name() { return "switchable"; }
                            public List<ConfigProperty> configProperties() {
                                return List.of(ConfigProperty.required("fail-flag", ConfigProperty.Type.PATH,
                                        "while this file exists, writes fail"));
                            }
                            public AuditSink create(ProviderConfig c, PluginContext ctx) {
                                Path flag = c.getPath("fail-flag").orElseThrow();
                                return new AuditSink() {
                                    public void probe() { }
                                    public void write(List<AuditEvent> events) {
                                        if (Files.exists(flag)) {
                                            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "switched off");
                                        }
                                    }
                                    public void close() { }
                                };
                            }
                        });
                    }
                }
                """);
    }
}
