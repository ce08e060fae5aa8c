package dev.animavault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.config.ConfigTree.ConfigTreeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConfigTree}: the behaviours of Helidon config that {@link VaultConfigLoader} relied on, each on a real
 * file (the expected values were read with Helidon 4.5 config before it was replaced).
 */
class ConfigTreeTest {
    @TempDir
    Path dir;

    private ConfigTree tree(String yaml) throws Exception {
        return ConfigTree.read(Files.writeString(dir.resolve("c.yaml"), yaml));
    }

    @Test
    void dottedPathsExistAndKeys() throws Exception {
        ConfigTree t = tree("a:\n  b:\n    c: x\n");
        assertEquals(Optional.of("x"), t.get("a.b.c").asString());
        assertEquals(Optional.of("x"), t.get("a").get("b.c").asString());
        assertTrue(t.get("a.b").exists());
        assertFalse(t.get("a.b").isLeaf());
        assertTrue(t.get("a.b.c").isLeaf());
        assertFalse(t.get("a.x").exists());
        assertFalse(t.get("a.b.c.d").exists());
        assertEquals("a.b.c", t.get("a").get("b.c").key());
        assertEquals("c", t.get("a.b.c").name());
        assertEquals(Optional.empty(), t.get("a.b").asString(), "an object has no value");
    }

    @Test
    void yamlScalarsBecomeStringsAsSnakeYamlReadsThem() throws Exception {
        ConfigTree t = tree("""
                yes1: yes
                off1: off
                q: "yes"
                nul: null
                til: ~
                emp:
                hex: 0x1F
                oct: 010
                und: 1_000
                f: 1e3
                big: 99999999999999999999
                colon: 1:30
                date: 2026-12-06
                """);
        assertEquals("true", t.get("yes1").asString().orElseThrow());
        assertEquals("false", t.get("off1").asString().orElseThrow());
        assertEquals("yes", t.get("q").asString().orElseThrow());
        assertEquals("", t.get("nul").asString().orElseThrow());
        assertEquals("", t.get("til").asString().orElseThrow());
        assertEquals("", t.get("emp").asString().orElseThrow());
        assertEquals("31", t.get("hex").asString().orElseThrow());
        assertEquals("8", t.get("oct").asString().orElseThrow());
        assertEquals("1000", t.get("und").asString().orElseThrow());
        assertEquals("1000.0", t.get("f").asString().orElseThrow());
        assertEquals("99999999999999999999", t.get("big").asString().orElseThrow());
        assertEquals("90", t.get("colon").asString().orElseThrow());
        assertEquals(new java.util.Date(java.time.LocalDate.of(2026, 12, 6).atStartOfDay(java.time.ZoneOffset.UTC)
                .toInstant().toEpochMilli()).toString(), t.get("date").asString().orElseThrow());
    }

    @Test
    void conversionsAndTheirFailuresNameTheKey() throws Exception {
        ConfigTree t = tree("i: 42\nsp: ' 12 '\nabc: abc\nl: 9999999999\nd: '1.5'\nb1: 'Y'\nb2: 'On'\nb3: '1'\nb4: maybe\n");
        assertEquals(Optional.of(42), t.get("i").asInt());
        assertEquals(Optional.of(9999999999L), t.get("l").asLong());
        assertEquals(Optional.of(1.5), t.get("d").asDouble());
        assertEquals(Optional.of(12.0), t.get("sp").asDouble(), "Double.parseDouble trims");
        assertEquals(Optional.empty(), t.get("missing").asInt());
        ConfigTreeException e = assertThrows(ConfigTreeException.class, () -> t.get("abc").asInt());
        assertTrue(e.getMessage().contains("'abc'") && e.getMessage().contains("int"), e.getMessage());
        assertThrows(ConfigTreeException.class, () -> t.get("sp").asInt(), "Integer.parseInt does not trim");
        assertThrows(ConfigTreeException.class, () -> t.get("l").asInt());
        assertEquals(Optional.of(true), t.get("b1").asBoolean());
        assertEquals(Optional.of(true), t.get("b2").asBoolean());
        assertEquals(Optional.of(true), t.get("b3").asBoolean());
        assertEquals(Optional.of(false), t.get("b4").asBoolean(), "anything else is false, as in Helidon");
    }

    @Test
    void listsNodeListsAndIndexes() throws Exception {
        ConfigTree t = tree("""
                l: [x, "y,z", 3]
                sc: 'a,b , c'
                esc: 'a\\,b,c'
                one: a
                empty: []
                m: {b: 2, a: 1}
                lm: [{type: t}, u]
                """);
        assertEquals(Optional.of(List.of("x", "y,z", "3")), t.get("l").asStringList());
        assertEquals(Optional.of("y,z"), t.get("l.1").asString());
        assertFalse(t.get("l.3").exists());
        assertEquals(Optional.of(List.of("a", "b ", " c")), t.get("sc").asStringList(), "a scalar splits at commas");
        assertEquals(Optional.of(List.of("a,b", "c")), t.get("esc").asStringList());
        assertEquals(Optional.of(List.of("a")), t.get("one").asStringList());
        assertEquals(Optional.of(List.of()), t.get("empty").asStringList());
        assertEquals(Optional.of(List.of("1", "2")), t.get("m").asStringList(), "an object's values by name");
        assertThrows(ConfigTreeException.class, () -> t.get("lm").asStringList());
        assertEquals(Optional.empty(), t.get("missing").asStringList());
        assertEquals(List.of("lm.0", "lm.1"), t.get("lm").asNodeList().orElseThrow().stream().map(ConfigTree::key).toList());
        assertEquals(List.of("a", "b"), t.get("m").asNodeList().orElseThrow().stream().map(ConfigTree::name).toList());
        assertTrue(t.get("lm.1").isLeaf());
        assertThrows(ConfigTreeException.class, () -> t.get("one").asNodeList());
        assertEquals(Optional.empty(), t.get("missing").asNodeList());
        assertTrue(t.get("empty").exists());
    }

    @Test
    void asMapFlattensRelativeToTheNode() throws Exception {
        ConfigTree t = tree("""
                p:
                  url: jdbc:x
                  pool: {size: 4}
                  hosts: [a, b]
                  "dotted.key": v
                  empty: {}
                s: 5
                """);
        assertEquals(Map.of("url", "jdbc:x", "pool.size", "4", "hosts.0", "a", "hosts.1", "b", "dotted.key", "v"),
                t.get("p").asMap().orElseThrow());
        assertEquals(Map.of("", "5"), t.get("s").asMap().orElseThrow(), "a scalar flattens to the empty key");
        assertEquals(Optional.empty(), t.get("missing").asMap());
    }

    @Test
    void dottedKeysAreMergedPaths() throws Exception {
        ConfigTree t = tree("\"a.b\": 1\na: {c: 2}\n\"x.y\": 3\nx: 4\n");
        assertEquals(Optional.of("1"), t.get("a.b").asString());
        assertEquals(Optional.of("2"), t.get("a.c").asString());
        assertEquals(Optional.of("4"), t.get("x").asString(), "a value and children on one key, as Helidon merges it");
        assertEquals(Optional.of("3"), t.get("x.y").asString());
        assertEquals(Map.of("a.b", "1", "a.c", "2", "x", "4", "x.y", "3"), t.asMap().orElseThrow());
    }

    @Test
    void referencesResolveOrStayUnchanged() throws Exception {
        ConfigTree t = tree("""
                a: hello
                ref: ${a}-x
                chain: ${ref}!
                lref: ${l.0}
                l: [first]
                miss: ${nope}
                mix: ${a} ${nope}
                env: ${env:HOME}
                pw: "pa$$w${rd"
                esc: \\${a}
                escmiss: \\${nope}
                obj: ${l}
                cfg: {k: "${a}"}
                self: ${self}
                """);
        assertEquals(Optional.of("hello-x"), t.get("ref").asString());
        assertEquals(Optional.of("hello-x!"), t.get("chain").asString());
        assertEquals(Optional.of("first"), t.get("lref").asString());
        assertEquals(Optional.of("${nope}"), t.get("miss").asString());
        assertEquals(Optional.of("${a} ${nope}"), t.get("mix").asString(), "one missing reference keeps the value");
        assertEquals(Optional.of("${env:HOME}"), t.get("env").asString());
        assertEquals(Optional.of("pa$$w${rd"), t.get("pw").asString());
        assertEquals(Optional.of("${a}"), t.get("esc").asString());
        assertEquals(Optional.of("${nope}"), t.get("escmiss").asString(), "escaped: not a reference to resolve");
        assertEquals(Optional.of("${l}"), t.get("obj").asString());
        assertEquals(Map.of("k", "hello"), t.get("cfg").asMap().orElseThrow());
        ConfigTreeException e = assertThrows(ConfigTreeException.class, () -> t.get("self").asString());
        assertTrue(e.getMessage().contains("'self'"), e.getMessage());
    }

    @Test
    void emptyAndBrokenFiles() throws Exception {
        assertFalse(tree("").get("a").exists());
        assertEquals(Map.of(), tree("# only a comment\n").asMap().orElseThrow());
        assertEquals(Map.of(), ConfigTree.empty().asMap().orElseThrow());
        for (String bad : List.of("- a\n", "hello\n", "a: [b\n", "~: x\n", "a: !!java.util.Date {}\n", "---\na: 1\n---\nb: 2\n")) {
            assertThrows(ConfigTreeException.class, () -> tree(bad), bad);
        }
        assertThrows(ConfigTreeException.class, () -> ConfigTree.read(Files.writeString(dir.resolve("c.json"), "{}")));
        ConfigTreeException missing = assertThrows(ConfigTreeException.class, () -> ConfigTree.read(dir.resolve("missing.yaml")));
        assertTrue(missing.getMessage().startsWith("NoSuchFileException: "), missing.getMessage());
        ConfigTree latin1 = ConfigTree.read(Files.write(dir.resolve("latin1.yaml"),
                new byte[] {'#', ' ', (byte) 0xE9, '\n', 'a', ':', ' ', (byte) 0xE9, '\n'}));
        assertEquals(Optional.of("\uFFFD"), latin1.get("a").asString(), "bytes that are not UTF-8 are replaced, as before");
        assertEquals(Optional.of("2"), tree("a: 1\na: 2\n").get("a").asString(), "a duplicate key: the last wins");
    }

    @Test
    void propertiesFilesAreTreesToo() throws Exception {
        ConfigTree t = ConfigTree.read(Files.writeString(dir.resolve("c.properties"), "a.b=1\nc=${a.b}\n"));
        assertEquals(Optional.of("1"), t.get("a.b").asString());
        assertEquals(Optional.of("1"), t.get("c").asString());
    }
}
