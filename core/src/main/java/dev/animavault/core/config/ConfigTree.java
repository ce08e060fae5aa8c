package dev.animavault.core.config;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * The configuration file as a read-only tree of string values, read with SnakeYAML's safe constructor (no
 * arbitrary types). It replaces Helidon config in {@link VaultConfigLoader} (whose builder cost ~100 ms of
 * startup) and keeps the behaviour the loader relied on (docs/decisions.md, "The configuration file is read by
 * our own YAML tree"):
 * <ul>
 * <li>a {@code .yaml}/{@code .yml} file (or a {@code .properties} file) with a map at the top, an empty file
 * being an empty tree; scalars become {@code String.valueOf} of what SnakeYAML reads ({@code yes} is
 * {@code true}, {@code 0x1F} is {@code 31}, {@code null} and {@code ~} are the empty string);</li>
 * <li>map keys containing dots are paths ({@code "a.b": 1} is {@code a: {b: 1}}), merged with the other
 * keys; object children are ordered by name, list elements by position and addressed as {@code a.0};</li>
 * <li>{@code ${other.key}} in a value is replaced by that key's value; a value whose references cannot all be
 * resolved is kept unchanged (so {@code ${env:NAME}} reaches {@link VaultConfigLoader}); {@code \$&#123;} escapes;</li>
 * <li>conversions: int, long and double as {@code Integer.parseInt} etc., boolean true for
 * {@code true/1/yes/y/on} (any case) and false otherwise; a list expected where a scalar is split at
 * unescaped commas.</li>
 * </ul>
 * Errors are {@link ConfigTreeException}s naming the key.
 */
public final class ConfigTree {
    private static final Pattern REFERENCE = Pattern.compile("(?<!\\\\)\\$\\{([^}]+)}");
    private static final Pattern ESCAPED_REFERENCE = Pattern.compile("\\\\(?=\\$\\{([^}]+)})");
    private static final Pattern LIST_SPLIT = Pattern.compile("(?<!\\\\),");
    private static final Set<String> TRUE = Set.of("true", "1", "yes", "y", "on");

    /** A configuration error; its message names the key (never a value of a provider's config map). */
    public static final class ConfigTreeException extends RuntimeException {
        ConfigTreeException(String message) {
            super(message);
        }
    }

    /** One node: a value, an object (children by name, possibly with a value too) or a list. */
    private static final class Node {
        String value;
        TreeMap<String, Node> children;
        List<Node> elements;

        boolean isLeaf() {
            return children == null && elements == null;
        }
    }

    private final Node node;
    private final String key;
    private final Node root;
    private final Set<String> resolving;

    private ConfigTree(Node node, String key, Node root, Set<String> resolving) {
        this.node = node;
        this.key = key;
        this.root = root;
        this.resolving = resolving;
    }

    /** An empty tree (no configuration file). */
    public static ConfigTree empty() {
        Node root = new Node();
        root.children = new TreeMap<>();
        return new ConfigTree(root, "", root, new HashSet<>());
    }

    /**
     * Reads a {@code .yaml}/{@code .yml} or {@code .properties} file.
     *
     * @throws ConfigTreeException if it cannot be read or parsed, or its top level is not a map
     */
    public static ConfigTree read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
        if (!yaml && !name.endsWith(".properties")) {
            throw new ConfigTreeException("unsupported file type (use a .yaml or .yml file)");
        }
        Node root = new Node();
        root.children = new TreeMap<>();
        // an InputStreamReader replaces bytes that are not UTF-8 by U+FFFD (as Helidon's file source did), so a
        // Latin-1 comment does not stop startup
        try (Reader reader = new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8)) {
            if (yaml) {
                Object top = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
                if (top != null && !(top instanceof Map)) {
                    throw new ConfigTreeException("the top level is not a map of keys");
                }
                if (top != null) {
                    putAll(root, "", (Map<?, ?>) top);
                }
            } else {
                Properties properties = new Properties();
                properties.load(reader);
                for (String k : properties.stringPropertyNames()) {
                    put(root, "", k, leaf(properties.getProperty(k)));
                }
            }
        } catch (ConfigTreeException e) {
            throw e;
        } catch (IOException e) { // e.g. AccessDeniedException: <file>
            throw new ConfigTreeException(e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (MarkedYAMLException e) {
            throw new ConfigTreeException(syntaxError(e));
        } catch (RuntimeException e) {
            throw new ConfigTreeException("invalid YAML (" + e.getClass().getSimpleName() + ")");
        }
        return new ConfigTree(root, "", root, new HashSet<>());
    }

    /**
     * SnakeYAML's problem and where it is, without its message's snippet: that quotes the file's line (a
     * password or a client secret in a provider's {@code config:} map would reach the log with it).
     */
    private static String syntaxError(MarkedYAMLException e) {
        Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
        return "invalid YAML" + (mark == null ? "" : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1))
                + (problem == null ? "" : ": " + problem);
    }

    private static void putAll(Node target, String path, Map<?, ?> map) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getKey() == null) {
                throw new ConfigTreeException("a key under '" + path + "' is null");
            }
            put(target, path, e.getKey().toString(), convert(e.getValue(), join(path, e.getKey().toString())));
        }
    }

    private static Node convert(Object value, String path) {
        if (value instanceof Map<?, ?> map) {
            Node object = new Node();
            object.children = new TreeMap<>();
            putAll(object, path, map);
            return object;
        }
        if (value instanceof List<?> list) {
            Node array = new Node();
            array.elements = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                array.elements.add(convert(list.get(i), join(path, String.valueOf(i))));
            }
            return array;
        }
        return leaf(value == null ? "" : value.toString());
    }

    private static Node leaf(String value) {
        Node n = new Node();
        n.value = value;
        return n;
    }

    /** Puts {@code child} at the dotted {@code name} under {@code target}, merging objects like Helidon. */
    private static void put(Node target, String path, String name, Node child) {
        int dot = name.indexOf('.');
        String first = dot < 0 ? name : name.substring(0, dot);
        Node existing = target.children.get(first);
        if (dot >= 0) {
            Node parent = existing;
            if (parent == null) {
                parent = new Node();
                parent.children = new TreeMap<>();
                target.children.put(first, parent);
            } else if (parent.elements != null) {
                throw new ConfigTreeException("'" + join(path, name) + "' mixes a list and keys");
            } else if (parent.children == null) {
                parent.children = new TreeMap<>(); // a value with children, as Helidon merges it
            }
            put(parent, join(path, first), name.substring(dot + 1), child);
            return;
        }
        if (existing != null && existing.children != null && child.children != null) {
            child.children.forEach((k, v) -> put(existing, join(path, first), k, v));
        } else if (existing != null && existing.children != null && child.isLeaf()) {
            existing.value = child.value;
        } else if (existing != null && existing.children != null) {
            throw new ConfigTreeException("'" + join(path, name) + "' mixes a list and keys");
        } else {
            target.children.put(first, child);
        }
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The node at the dotted path below this one (list elements by index); it may not {@link #exists()}. */
    public ConfigTree get(String path) {
        Node n = node;
        for (String part : path.split("\\.", -1)) {
            if (n == null) {
                break;
            } else if (n.children != null) {
                n = n.children.get(part);
            } else if (n.elements != null && part.matches("0|[1-9]\\d{0,8}") && Integer.parseInt(part) < n.elements.size()) {
                n = n.elements.get(Integer.parseInt(part));
            } else {
                n = null;
            }
        }
        return new ConfigTree(n, join(key, path), root, resolving);
    }

    /** Whether the key is in the file. */
    public boolean exists() {
        return node != null;
    }

    /** Whether this is a scalar (not an object, a list or missing). */
    public boolean isLeaf() {
        return node != null && node.isLeaf();
    }

    /** The full dotted key from the file's root. */
    public String key() {
        return key;
    }

    /** The last segment of the key (a list element's index). */
    public String name() {
        return key.substring(key.lastIndexOf('.') + 1);
    }

    /** The value with references resolved; empty for a missing key, an object or a list. */
    public Optional<String> asString() {
        return node == null || node.value == null ? Optional.empty() : Optional.of(resolve(key, node.value));
    }

    /** {@code Integer.parseInt} of the value; a value that is not one is an error naming the key. */
    public Optional<Integer> asInt() {
        return as("int", Integer::parseInt);
    }

    /** {@code Long.parseLong} of the value. */
    public Optional<Long> asLong() {
        return as("long", Long::parseLong);
    }

    /** {@code Double.parseDouble} of the value. */
    public Optional<Double> asDouble() {
        return as("double", Double::parseDouble);
    }

    /** True for {@code true}, {@code 1}, {@code yes}, {@code y} and {@code on} in any case, else false. */
    public Optional<Boolean> asBoolean() {
        return asString().map(s -> TRUE.contains(s.toLowerCase(Locale.ROOT)));
    }

    private <T> Optional<T> as(String type, Function<String, T> parse) {
        return asString().map(s -> {
            try {
                return parse.apply(s);
            } catch (RuntimeException e) {
                throw new ConfigTreeException("'" + key + "' is not a valid " + type + ": '" + s + "'");
            }
        });
    }

    /** A list's elements or an object's children (by name); empty if missing; an error for a scalar. */
    public Optional<List<ConfigTree>> asNodeList() {
        if (node == null) {
            return Optional.empty();
        }
        if (node.isLeaf()) {
            throw new ConfigTreeException("'" + key + "' is a single value where a list or map is expected");
        }
        List<ConfigTree> out = new ArrayList<>();
        if (node.elements != null) {
            for (int i = 0; i < node.elements.size(); i++) {
                out.add(new ConfigTree(node.elements.get(i), join(key, String.valueOf(i)), root, resolving));
            }
        } else {
            node.children.forEach((k, v) -> out.add(new ConfigTree(v, join(key, k), root, resolving)));
        }
        return Optional.of(out);
    }

    /**
     * The values of a list (or of an object's children); a scalar is split at commas not preceded by a
     * backslash ({@code \,} is a comma); an element that is not a scalar is an error.
     */
    public Optional<List<String>> asStringList() {
        if (node == null) {
            return Optional.empty();
        }
        if (node.isLeaf()) {
            String value = asString().orElseThrow();
            if (!value.contains(",")) {
                return Optional.of(List.of(value));
            }
            return Optional.of(java.util.Arrays.stream(LIST_SPLIT.split(value, -1)).map(s -> s.replace("\\,", ",")).toList());
        }
        List<String> out = new ArrayList<>();
        for (ConfigTree element : asNodeList().orElseThrow()) {
            out.add(element.asString().orElseThrow(() -> new ConfigTreeException("'" + element.key
                    + "' is not a single value in the list '" + key + "'")));
        }
        return Optional.of(out);
    }

    /**
     * The leaves below this node flattened to keys relative to it ({@code a.b}, list elements as
     * {@code a.0}), values resolved; a scalar gives the empty key. Empty if missing.
     */
    public Optional<Map<String, String>> asMap() {
        if (node == null) {
            return Optional.empty();
        }
        Map<String, String> out = new HashMap<>();
        flatten(node, "", key, out);
        return Optional.of(out);
    }

    private void flatten(Node n, String relative, String full, Map<String, String> out) {
        if (n.isLeaf() || (n.value != null && !relative.isEmpty())) {
            out.put(relative, resolve(full, n.value));
        }
        if (n.children != null) {
            n.children.forEach((k, v) -> flatten(v, join(relative, k), join(full, k), out));
        } else if (n.elements != null) {
            for (int i = 0; i < n.elements.size(); i++) {
                flatten(n.elements.get(i), join(relative, String.valueOf(i)), join(full, String.valueOf(i)), out);
            }
        }
    }

    /**
     * Replaces each {@code ${key}} by that key's (resolved) value; if one cannot be resolved the value is
     * kept unchanged; a reference cycle is an error. Then drops the backslash of each {@code \$&#123;...}}.
     */
    private String resolve(String fullKey, String value) {
        if (value.indexOf("${") < 0) {
            return value;
        }
        if (!resolving.add(fullKey)) {
            throw new ConfigTreeException("'" + fullKey + "' refers to itself through ${...} references");
        }
        try {
            Matcher m = REFERENCE.matcher(value);
            StringBuilder out = new StringBuilder();
            ConfigTree top = new ConfigTree(root, "", root, resolving);
            while (m.find()) {
                Optional<String> referenced = top.get(m.group(1)).asString();
                if (referenced.isEmpty()) {
                    return value;
                }
                m.appendReplacement(out, Matcher.quoteReplacement(referenced.get()));
            }
            m.appendTail(out);
            return ESCAPED_REFERENCE.matcher(out).replaceAll("");
        } finally {
            resolving.remove(fullKey);
        }
    }
}
