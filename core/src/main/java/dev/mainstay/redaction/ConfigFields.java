package dev.mainstay.redaction;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import java.util.function.BiFunction;
import tools.jackson.databind.JsonNode;

/** What the two policies' parsers share: naming the bad field the way workflow files do. */
final class ConfigFields {
    private ConfigFields() {
    }

    /**
     * Errors as {@code source: field: problem}, the form of {@code YamlDocument.error} without a
     * line number, for configuration that does not come from a file.
     */
    static BiFunction<String, String, ConfigException> errors(String source) {
        return (pointer, problem) -> new ConfigException(source + ": " + field(pointer) + ": " + problem);
    }

    /** {@code /providers/openai/data/allow/1} as {@code providers.openai.data.allow[1]}. */
    static String field(String pointer) {
        if (pointer.isEmpty()) {
            return "(document)";
        }
        StringBuilder out = new StringBuilder();
        for (String t : Json.tokens(pointer)) {
            if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
                out.append('[').append(t).append(']');
            } else {
                out.append(out.isEmpty() ? "" : ".").append(t);
            }
        }
        return out.toString();
    }

    static String child(String pointer, String name) {
        return Json.pointer(pointer, name);
    }

    /** The value as a message shows it: {@code a mapping}, {@code a list}, {@code the string 'x'}, {@code 12}. */
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
