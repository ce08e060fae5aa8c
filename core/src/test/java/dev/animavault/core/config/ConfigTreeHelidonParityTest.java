package dev.animavault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parity of {@link ConfigTree} with Helidon config (which the loader used before): every key of a set of
 * tricky files, and whole {@link VaultConfig}s of the shipped and example files, read both ways.
 */
class ConfigTreeHelidonParityTest {
    @TempDir
    Path dir;

    static final String TRICKY = """
            s:
              yes1: yes
              no1: no
              on1: on
              off1: off
              y: y
              tru: True
              nul: null
              til: ~
              emp:
              f1: 1.0
              f2: 1e3
              f3: 1.0e+3
              hex: 0x1F
              oct: 010
              oct2: 0o10
              und: 1_000
              date: 2026-12-06
              ts: 2026-12-06T10:00:00Z
              inf: .inf
              nan: .NaN
              big: 99999999999999999999
              q: "yes"
              abc: abc
              maybe: maybe
              one: "1"
              plus: "+5"
              neg: -5
              sp: " 12 "
              comma: "1,5"
              esccomma: 'a\\,b,c'
              trail: "a,"
              colon: 1:30
              bin: 0b101
              sexa: 190:20:30
              upper: "YES"
              Y: "Y"
              long: 9999999999
              e: ""
            l:
              sc: a,b , c
              one: a
              empty: []
              emap: {}
              lst: [x, "y,z", 3]
              lm: [{type: a, config: {k: v}}, b]
              nested: [[1, 2], [3]]
              nulls: [1, ~, ""]
              many: [a, b, c, d, e, f, g, h, i, j, k, l]
            r:
              a: hello
              ref: ${r.a}-x
              chain: ${r.ref}!
              miss: ${nope}
              env: ${env:HOME}
              mix: ${r.a} ${nope}
              pw: "pa$$w${rd"
              esc: \\${r.a}
              escmiss: \\${nope}
              dl: $5
              obj: ${l}
              lref: ${l.lst.0}
              num: ${s.hex}
              jdbc: jdbc:postgresql://h:5432/db?user=${r.a}&password=x$y
              two: ${r.a}${r.a}
              sp: ${ r.a }
              inlist: ["${r.a}", "${nope}"]
              inmap: {k: "${r.a}", j: "${env:X}"}
            k:
              "a.b": 1
              "t~x": 2
              1: int
              true: bool
              c:
                d: 3
              "x.y.z": deep
              x: {w: 1}
            conflict:
              "a.b": 1
              a: 5
            merge:
              "a.b": 1
              a: {c: 2}
            anchors:
              base: &b {p: 1, q: [1, 2]}
              copy: *b
              merged:
                <<: *b
                r: 3
            """;

    @Test
    void everyKeyOfTrickyFilesReadsTheSame() throws Exception {
        compareFile("tricky.yaml", TRICKY);
        compareFile("tricky.yml", "a: 1\nb: [x]\n");
        compareFile("empty.yaml", "");
        compareFile("comment.yaml", "# nothing\n");
        compareFile("dup.yaml", "a: 1\na: 2\n");
        compareFile("p.properties", "a.b=1\nc=x,y\nl.0=p\nl.1=q\nd=${c}\n");
        compareFile("shipped.yaml", Files.readString(repo().resolve("config/anima-vault.yaml")));
        try (Stream<Path> s = Files.list(repo().resolve("config/examples"))) {
            for (Path p : s.toList()) {
                compareFile(p.getFileName().toString(), Files.readString(p));
            }
        }
    }

    @Test
    void bothFailOnTheSameBrokenFiles() throws Exception {
        for (String text : List.of("- a\n- b\n", "hello\n", "a: [b\n", "~: x\n", "---\na: 1\n---\nb: 2\n",
                "a: !!java.util.Date {}\n")) {
            Path f = Files.writeString(dir.resolve("broken.yaml"), text);
            boolean helidonFails;
            try {
                Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                        .sources(ConfigSources.file(f)).build();
                helidonFails = false;
            } catch (RuntimeException e) {
                helidonFails = true;
            }
            boolean treeFails;
            try {
                ConfigTree.read(f);
                treeFails = false;
            } catch (ConfigTree.ConfigTreeException e) {
                treeFails = true;
            }
            assertEquals(true, helidonFails, text);
            assertEquals(true, treeFails, text);
        }
    }

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        return Files.isDirectory(p.resolve("config")) ? p : p.getParent();
    }

    private void compareFile(String name, String text) throws Exception {
        Path f = Files.writeString(dir.resolve(name), text);
        Config h = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .sources(ConfigSources.file(f)).build();
        ConfigTree t = ConfigTree.read(f);
        List<String> keys = new ArrayList<>();
        collect(h, keys);
        keys.addAll(List.of("nope", "s.nope", "l.lst.3", "l.lst.-1", "l.lst.01", "s.yes1.x", "l.lst.0.x", "k.a.b.c"));
        Map<String, String> hs = new TreeMap<>();
        Map<String, String> ts = new TreeMap<>();
        for (String k : keys) {
            Config hc = k.isEmpty() ? h : h.get(k);
            ConfigTree tc = k.isEmpty() ? t : t.get(k);
            hs.put(k, describe(hc.exists(), hc.isLeaf(), hc.name(), hc.key().toString(), () -> hc.asString().asOptional(),
                    () -> hc.asInt().asOptional(), () -> hc.asLong().asOptional(), () -> hc.asDouble().asOptional(),
                    () -> hc.asBoolean().asOptional(), () -> hc.asList(String.class).asOptional().map(l -> unordered(hc.type() == Config.Type.OBJECT, l)),
                    () -> hc.asNodeList().map(l -> unordered(hc.type() == Config.Type.OBJECT, l.stream().map(x -> x.key().toString()).toList())),
                    () -> hc.detach().asMap().map(TreeMap::new)));
            ts.put(k, describe(tc.exists(), tc.isLeaf(), k.isEmpty() ? "" : tc.name(), tc.key(), tc::asString,
                    tc::asInt, tc::asLong, tc::asDouble, tc::asBoolean, () -> tc.asStringList().map(l -> unordered(hc.type() == Config.Type.OBJECT, l)),
                    () -> tc.asNodeList().map(l -> unordered(hc.type() == Config.Type.OBJECT, l.stream().map(ConfigTree::key).toList())),
                    () -> tc.asMap().map(TreeMap::new)));
        }
        for (String k : keys) {
            assertEquals(hs.get(k), ts.get(k), name + " key '" + k + "'");
        }
    }

    /**
     * Helidon lists an object's children in hash order, ConfigTree by name: the loader only uses that order to
     * pick which of several unknown keys its error names, so the parity is on the sets.
     */
    private static List<String> unordered(boolean object, List<String> keys) {
        return object ? keys.stream().sorted().toList() : keys;
    }

    private static void collect(Config c, List<String> keys) {
        keys.add(c.key().toString());
        if (!c.isLeaf() && c.exists()) {
            c.asNodeList().orElse(List.of()).forEach(x -> collect(x, keys));
        }
    }

    @SafeVarargs
    private static String describe(boolean exists, boolean leaf, String name, String key, Supplier<?>... values) {
        StringBuilder sb = new StringBuilder("exists=" + exists + " leaf=" + leaf + " name=" + name + " key=" + key);
        for (Supplier<?> v : values) {
            try {
                sb.append(" | ").append(v.get());
            } catch (RuntimeException e) {
                sb.append(" | FAIL");
            }
        }
        return sb.toString();
    }
}
