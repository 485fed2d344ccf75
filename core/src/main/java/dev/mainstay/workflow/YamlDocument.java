package dev.mainstay.workflow;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A YAML (or JSON) document that remembers the line of every value, with typed readers whose
 * errors name file, line and field. Workflow files and the server configuration are read through
 * it, so every message about them points at the spot to fix.
 */
public final class YamlDocument {
    private static final YAMLMapper YAML = YAMLMapper.builder().build();
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private final String source;
    private final JsonNode root;
    private final Map<String, Integer> lines;

    private YamlDocument(String source, JsonNode root, Map<String, Integer> lines) {
        this.source = source;
        this.root = root;
        this.lines = lines;
    }

    public static YamlDocument read(Path file, String displayName) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(displayName + ": cannot read file: " + e.getMessage(), e);
        }
        return parse(text, displayName);
    }

    public static YamlDocument parse(String text, String displayName) {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser parser = YAML.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new ConfigException(displayName + ": the file is empty");
            }
            JsonNode root = read(parser, "", lines);
            return new YamlDocument(displayName, root, lines);
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new ConfigException(displayName + (line > 0 ? ":" + line : "") + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads a JSON Lines file: one JSON value a line, blank lines skipped. Each value becomes a
     * document whose {@link #where} names the file and the value's own line.
     *
     * @throws ConfigException naming file and line of the first line that is not one JSON value
     */
    public static List<YamlDocument> readJsonLines(Path file, String displayName) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(displayName + ": cannot read file: " + e.getMessage(), e);
        }
        List<YamlDocument> out = new ArrayList<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int lineNr = i + 1;
            Map<String, Integer> at = new HashMap<>();
            try (JsonParser parser = Json.MAPPER.createParser(line)) {
                parser.nextToken();
                JsonNode root = read(parser, "", at);
                if (parser.nextToken() != null) {
                    throw new ConfigException(displayName + ":" + lineNr + ": more than one JSON value on the line; JSON Lines holds one a line");
                }
                at.replaceAll((pointer, ignored) -> lineNr);
                out.add(new YamlDocument(displayName, root, at));
            } catch (JacksonException e) {
                throw new ConfigException(displayName + ":" + lineNr + ": not valid JSON: " + e.getOriginalMessage(), e);
            }
        }
        return out;
    }

    /** A document without line information, e.g. one read back from the database. */
    public static YamlDocument of(JsonNode root, String displayName) {
        return new YamlDocument(displayName, root, Map.of());
    }

    private static JsonNode read(JsonParser p, String pointer, Map<String, Integer> lines) {
        lines.put(pointer, p.currentTokenLocation().getLineNr());
        JsonNodeFactory f = JsonNodeFactory.instance;
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                ObjectNode out = f.objectNode();
                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                    String name = p.currentName();
                    String child = Json.pointer(pointer, name);
                    lines.put(child, p.currentTokenLocation().getLineNr());
                    p.nextToken();
                    int keyLine = lines.get(child);
                    out.set(name, read(p, child, lines));
                    lines.put(child, keyLine);
                }
                return out;
            }
            case START_ARRAY -> {
                ArrayNode out = f.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    out.add(read(p, pointer + "/" + i++, lines));
                }
                return out;
            }
            case VALUE_STRING -> {
                return f.stringNode(p.getString());
            }
            case VALUE_NUMBER_INT -> {
                BigInteger big = p.getBigIntegerValue();
                return big.bitLength() < 63 ? f.numberNode(big.longValue()) : f.numberNode(big);
            }
            case VALUE_NUMBER_FLOAT -> {
                BigDecimal d = p.getDecimalValue();
                return f.numberNode(d);
            }
            case VALUE_TRUE -> {
                return f.booleanNode(true);
            }
            case VALUE_FALSE -> {
                return f.booleanNode(false);
            }
            case VALUE_NULL -> {
                return f.nullNode();
            }
            default -> throw new ConfigException("unexpected YAML token " + t + " at " + pointer);
        }
    }

    public JsonNode root() {
        return root;
    }

    public String source() {
        return source;
    }

    /** {@code file:line} of the value at {@code pointer}, or of its nearest ancestor with a line. */
    public String where(String pointer) {
        String p = pointer;
        while (true) {
            Integer line = lines.get(p);
            if (line != null && line > 0) {
                return source + ":" + line;
            }
            if (p.isEmpty()) {
                return source;
            }
            p = p.substring(0, p.lastIndexOf('/'));
        }
    }

    /** A {@link ConfigException} for the field at {@code pointer}. */
    public ConfigException error(String pointer, String problem) {
        return new ConfigException(where(pointer) + ": " + field(pointer) + ": " + problem);
    }

    /** A pointer in the dotted form people write, e.g. {@code stages[0].model.route}. */
    public static String field(String pointer) {
        if (pointer.isEmpty()) {
            return "(document)";
        }
        StringBuilder out = new StringBuilder();
        for (String t : Json.tokens(pointer)) {
            if (t.matches("\\d+")) {
                out.append('[').append(t).append(']');
            } else {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(t);
            }
        }
        return out.toString();
    }

    public JsonNode node(String pointer) {
        return root.at(pointer);
    }

    public boolean has(String pointer) {
        JsonNode n = root.at(pointer);
        return !n.isMissingNode() && !n.isNull();
    }

    public String requireText(String pointer) {
        return text(pointer).orElseThrow(() -> error(pointer, "is required"));
    }

    public Optional<String> text(String pointer) {
        JsonNode n = root.at(pointer);
        if (n.isMissingNode() || n.isNull()) {
            return Optional.empty();
        }
        if (n.isString()) {
            return Optional.of(n.stringValue());
        }
        if (n.isNumber() || n.isBoolean()) {
            return Optional.of(n.asString());
        }
        throw error(pointer, "must be a string, got " + kind(n));
    }

    public int integer(String pointer, int defaultValue, int min, int max) {
        JsonNode n = root.at(pointer);
        if (n.isMissingNode() || n.isNull()) {
            return defaultValue;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw error(pointer, "must be a whole number, got " + kind(n));
        }
        int v = n.intValue();
        if (v < min || v > max) {
            throw error(pointer, "must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    public boolean bool(String pointer, boolean defaultValue) {
        JsonNode n = root.at(pointer);
        if (n.isMissingNode() || n.isNull()) {
            return defaultValue;
        }
        if (!n.isBoolean()) {
            throw error(pointer, "must be true or false, got " + kind(n));
        }
        return n.booleanValue();
    }

    /** Reads {@code 500ms}, {@code 20s}, {@code 5m}, {@code 1h}, {@code 1d}. */
    public Duration duration(String pointer, Duration defaultValue) {
        Optional<String> text = text(pointer);
        if (text.isEmpty()) {
            return defaultValue;
        }
        return parseDuration(text.get()).orElseThrow(() ->
                error(pointer, "must be a duration like 500ms, 20s, 5m or 1h, got '" + text.get() + "'"));
    }

    public static Optional<Duration> parseDuration(String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        });
    }

    public List<String> textList(String pointer) {
        JsonNode n = root.at(pointer);
        if (n.isMissingNode() || n.isNull()) {
            return List.of();
        }
        if (n.isString()) {
            return List.of(n.stringValue());
        }
        if (!n.isArray()) {
            throw error(pointer, "must be a list of strings, got " + kind(n));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            out.add(requireText(pointer + "/" + i));
        }
        return out;
    }

    /** Refuses keys not in {@code allowed}: a typo must not be silently ignored. */
    public void onlyKeys(String pointer, String... allowed) {
        JsonNode n = root.at(pointer);
        if (!n.isObject()) {
            return;
        }
        List<String> known = List.of(allowed);
        for (String key : n.propertyNames()) {
            if (!known.contains(key)) {
                throw error(pointer + "/" + key, "unknown field (allowed here: " + String.join(", ", known) + ")");
            }
        }
    }

    public void requireObject(String pointer) {
        JsonNode n = root.at(pointer);
        if (!n.isObject()) {
            throw error(pointer, n.isMissingNode() ? "is required" : "must be a mapping, got " + kind(n));
        }
    }

    static String kind(JsonNode n) {
        if (n.isObject()) {
            return "a mapping";
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isString()) {
            return "the string '" + n.stringValue() + "'";
        }
        return Json.write(n);
    }
}
