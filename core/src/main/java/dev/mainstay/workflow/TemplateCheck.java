package dev.mainstay.workflow;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Checks every name a Mustache template uses against a JSON Schema of what it renders over, the
 * way jmustache looks names up: the first segment of {@code a.b.c} in the innermost section that
 * has it, then outwards; the rest of the segments in what that found. A section over a list makes
 * the list's item the innermost context, a section over an object the object; an inverted section
 * adds none. A name the schema does not declare renders empty at run time, so a typo such as
 * {@code {{input.transcrip}}} silently drops the text it meant: here it is a problem, with the
 * line of the tag and the nearest name that does exist.
 *
 * <p>A schema that does not list properties (no {@code properties}, a {@code $ref}, {@code true})
 * lets any name through: it cannot be checked, so it is not refused.
 */
final class TemplateCheck {
    /** A name that cannot resolve, with the line (from 1) of its tag. */
    record Problem(int line, String tag, String message) {
    }

    private static final Set<String> SECTION_NAMES = Set.of(".", "this", "-first", "-last", "-index");

    private final JsonNode root;
    private final Function<String, String> notes;
    private final List<Problem> problems = new ArrayList<>();

    private TemplateCheck(JsonNode root, Function<String, String> notes) {
        this.root = root;
        this.notes = notes;
    }

    /**
     * The names of {@code source} that {@code root} does not declare.
     *
     * @param root the JSON Schema of the template's context, e.g. {@code {properties: {input: …, stages: …}}}
     * @param notes given the first two segments of a name ({@code stages.draft}), why it cannot be
     *     used, e.g. {@code stage 'draft' runs after this one}; {@code null} to check it against
     *     the schema
     */
    static List<Problem> check(String source, JsonNode root, Function<String, String> notes) {
        TemplateCheck c = new TemplateCheck(root, notes);
        c.run(Tags.of(source));
        return c.problems;
    }

    /** One frame of the context stack: the schema a section made current, or none (inverted, or a scalar). */
    private record Frame(JsonNode schema) {
    }

    private void run(List<Tags.Tag> tags) {
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(root));
        for (Tags.Tag tag : tags) {
            switch (tag.kind()) {
                case '#', '^' -> {
                    Resolved r = resolve(tag, stack);
                    stack.push(tag.kind() == '#' && r != null ? new Frame(sectionContext(r.schema())) : new Frame(null));
                }
                case '/' -> {
                    if (stack.size() > 1) {
                        stack.pop();
                    }
                }
                case 'v' -> resolve(tag, stack);
                default -> {
                    // comments, partials and delimiter changes name nothing
                }
            }
        }
    }

    /** What a section over a value of {@code schema} makes current: a list's item, an object itself; else nothing. */
    private static JsonNode sectionContext(JsonNode schema) {
        if (Schemas.open(schema)) {
            return schema;
        }
        if (Schemas.isArray(schema)) {
            return schema.has("items") ? schema.get("items") : Schemas.OPEN;
        }
        return Schemas.isObject(schema) ? schema : null;
    }

    private record Resolved(JsonNode schema) {
    }

    /** The schema of the value {@code tag} names, or {@code null} after recording why it has none. */
    private Resolved resolve(Tags.Tag tag, Deque<Frame> stack) {
        String name = tag.name();
        if (SECTION_NAMES.contains(name)) {
            return new Resolved(stack.peek().schema() == null ? Schemas.OPEN : stack.peek().schema());
        }
        String[] parts = name.split("\\.", -1);
        for (String part : parts) {
            if (part.isEmpty()) {
                problems.add(new Problem(tag.line(), tag.text(), "'" + name + "' is not a name"));
                return null;
            }
        }
        String note = parts.length > 1 && isRoot(parts[0], stack) ? notes.apply(parts[0] + "." + parts[1]) : null;
        if (note != null) {
            problems.add(new Problem(tag.line(), tag.text(), note));
            return null;
        }
        JsonNode found = null;
        boolean unknowable = false;
        // Innermost first. A section item whose schema lists no properties could hold any name;
        // a name that a listed schema further out declares is taken to mean that one, so a typo
        // inside such a section is still found.
        for (Frame f : stack) {
            if (f.schema() == null) {
                continue;
            }
            if (Schemas.open(f.schema())) {
                unknowable = true;
                continue;
            }
            JsonNode child = Schemas.child(f.schema(), parts[0]);
            if (child != null) {
                found = child;
                break;
            }
        }
        if (found == null && unknowable) {
            return new Resolved(Schemas.OPEN);
        }
        if (found == null) {
            problems.add(new Problem(tag.line(), tag.text(), unknownFirst(parts[0], name, stack)));
            return null;
        }
        String path = parts[0];
        for (int i = 1; i < parts.length; i++) {
            if (Schemas.open(found)) {
                return new Resolved(Schemas.OPEN);
            }
            JsonNode child = Schemas.child(found, parts[i]);
            if (child == null) {
                problems.add(new Problem(tag.line(), tag.text(), missing(found, path, parts[i], name, stack)));
                return null;
            }
            found = child;
            path = path + "." + parts[i];
        }
        return new Resolved(found);
    }

    /** Whether {@code first} resolves at the template's own root, not in a section's item. */
    private boolean isRoot(String first, Deque<Frame> stack) {
        for (Frame f : stack) {
            if (f.schema() != null && !Schemas.open(f.schema()) && Schemas.child(f.schema(), first) != null) {
                return f.schema() == root;
            }
        }
        return false;
    }

    private String unknownFirst(String first, String name, Deque<Frame> stack) {
        Set<String> visible = new LinkedHashSet<>();
        for (Frame f : stack) {
            if (f.schema() != null) {
                visible.addAll(Schemas.names(f.schema()));
            }
        }
        String problem = "'" + first + "' is not a name this template can use (it sees " + (visible.isEmpty() ? "nothing" : String.join(", ", visible)) + ")";
        return problem + suggestion(name, stack);
    }

    private String missing(JsonNode parent, String path, String field, String name, Deque<Frame> stack) {
        String kind = Schemas.scalarType(parent);
        String problem = kind != null
                ? path + " is a " + kind + "; it has no field '" + field + "'"
                : path + " has no property '" + field + "' in its schema (properties: " + String.join(", ", Schemas.names(parent)) + ")";
        return problem + suggestion(name, stack);
    }

    /** {@code ; did you mean input.transcript?}, or nothing when no visible name is close. */
    private String suggestion(String written, Deque<Frame> stack) {
        List<String> candidates = new ArrayList<>();
        Iterator<Frame> it = stack.iterator();
        while (it.hasNext()) {
            Frame f = it.next();
            if (f.schema() != null) {
                Schemas.paths(f.schema(), "", 4, candidates);
            }
        }
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        String writtenLast = written.substring(written.lastIndexOf('.') + 1);
        for (String c : candidates) {
            if (c.equals(written)) {
                continue;
            }
            int score = Distance.of(written, c);
            if (c.endsWith("." + writtenLast) && !written.contains(".")) {
                score = Math.min(score, 1); // {{transcript}} for {{input.transcript}}
            }
            if (score < bestScore) {
                best = c;
                bestScore = score;
            }
        }
        int allowed = Math.max(2, written.length() / 3);
        return best != null && bestScore <= allowed ? "; did you mean " + best + "?" : "";
    }

    /** Edit distance, for suggestions. */
    private static final class Distance {
        static int of(String a, String b) {
            int[] prev = new int[b.length() + 1];
            int[] cur = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                prev[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                cur[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                    cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                }
                int[] t = prev;
                prev = cur;
                cur = t;
            }
            return prev[b.length()];
        }
    }

    /** Reading JSON Schemas for the names they declare. */
    static final class Schemas {
        /** A schema that says nothing: any name goes. */
        static final JsonNode OPEN = dev.mainstay.Json.object();
        private static final Set<String> SCALARS = Set.of("string", "number", "integer", "boolean", "null");

        private Schemas() {
        }

        /** Whether {@code schema} does not say which properties a value has, so nothing can be checked against it. */
        static boolean open(JsonNode schema) {
            if (schema == null || schema.isMissingNode() || schema.isBoolean()) {
                return schema == null || schema.isMissingNode() || schema.booleanValue();
            }
            if (!schema.isObject() || schema.has("$ref") || schema.has("$dynamicRef")) {
                return true;
            }
            if (schema.has("properties") || schema.has("patternProperties") || schema.path("additionalProperties").isObject()) {
                return false;
            }
            List<JsonNode> branches = branches(schema);
            if (!branches.isEmpty()) {
                return branches.stream().anyMatch(Schemas::open);
            }
            Set<String> t = types(schema);
            if (t.isEmpty()) {
                return !(schema.has("items") || schema.has("enum") || schema.has("const"));
            }
            // {type: object} alone allows any property; so does a list without an item schema.
            return t.contains("object") && !schema.path("additionalProperties").isBoolean()
                    || t.contains("array") && !schema.has("items");
        }

        private static List<JsonNode> branches(JsonNode schema) {
            List<JsonNode> out = new ArrayList<>();
            for (String alt : List.of("anyOf", "oneOf", "allOf")) {
                schema.path(alt).values().forEach(out::add);
            }
            return out;
        }

        static boolean isArray(JsonNode schema) {
            return types(schema).contains("array") || schema.has("items") && !schema.has("type");
        }

        static boolean isObject(JsonNode schema) {
            return types(schema).contains("object") || schema.has("properties") && !schema.has("type");
        }

        /** {@code string} etc. when the schema allows only scalar values, else {@code null}. */
        static String scalarType(JsonNode schema) {
            Set<String> t = types(schema);
            return !t.isEmpty() && SCALARS.containsAll(t) ? String.join(" or ", t) : null;
        }

        private static Set<String> types(JsonNode schema) {
            Set<String> out = new LinkedHashSet<>();
            JsonNode type = schema == null ? null : schema.get("type");
            if (type != null && type.isString()) {
                out.add(type.stringValue());
            } else if (type != null && type.isArray()) {
                type.values().forEach(t -> out.add(t.asString()));
            }
            out.remove("null");
            return out;
        }

        /** The schema of {@code name} within a value of {@code schema}; {@link #OPEN} when unknowable, {@code null} when absent. */
        static JsonNode child(JsonNode schema, String name) {
            if (open(schema)) {
                return OPEN;
            }
            if (!schema.isObject()) {
                return null;
            }
            JsonNode props = schema.path("properties");
            if (props.has(name)) {
                return props.get(name);
            }
            for (var e : schema.path("patternProperties").properties()) {
                try {
                    if (Pattern.compile(e.getKey()).matcher(name).find()) {
                        return e.getValue();
                    }
                } catch (RuntimeException badPattern) {
                    return OPEN;
                }
            }
            if (schema.path("additionalProperties").isObject()) {
                return schema.get("additionalProperties");
            }
            if (isArray(schema) && !name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                return schema.has("items") ? schema.get("items") : OPEN;
            }
            for (JsonNode branch : branches(schema)) {
                JsonNode c = child(branch, name);
                if (c != null) {
                    return c;
                }
            }
            return null;
        }

        static List<String> names(JsonNode schema) {
            List<String> out = new ArrayList<>();
            if (schema != null) {
                schema.path("properties").propertyNames().forEach(out::add);
                if (schema.isObject()) {
                    for (JsonNode b : branches(schema)) {
                        b.path("properties").propertyNames().forEach(n -> {
                            if (!out.contains(n)) {
                                out.add(n);
                            }
                        });
                    }
                }
            }
            return out;
        }

        /** Every dotted path the schema declares, to {@code depth} levels, into {@code out}. */
        static void paths(JsonNode schema, String prefix, int depth, List<String> out) {
            if (depth == 0 || schema == null) {
                return;
            }
            for (String n : names(schema)) {
                String p = prefix.isEmpty() ? n : prefix + "." + n;
                out.add(p);
                JsonNode c = child(schema, n);
                if (c != null && c != OPEN) {
                    paths(c, p, depth - 1, out);
                }
            }
        }
    }

    /**
     * The tags of a Mustache template in order, with their lines, as jmustache reads them
     * (delimiter changes included). The template has already compiled, so it is well-formed.
     */
    static final class Tags {
        /**
         * @param kind {@code v} a variable, {@code #} a section, {@code ^} an inverted section,
         *     {@code /} a section's end, {@code !} a comment, {@code >} a partial, {@code =} delimiters
         * @param text the tag as written, for messages
         */
        record Tag(char kind, String name, int line, String text) {
        }

        private Tags() {
        }

        static List<Tag> of(String source) {
            List<Tag> out = new ArrayList<>();
            String open = "{{";
            String close = "}}";
            int pos = 0;
            int line = 1;
            int counted = 0;
            while (true) {
                int start = source.indexOf(open, pos);
                if (start < 0) {
                    return out;
                }
                for (int i = counted; i < start; i++) {
                    if (source.charAt(i) == '\n') {
                        line++;
                    }
                }
                counted = start;
                int from = start + open.length();
                boolean triple = open.equals("{{") && from < source.length() && source.charAt(from) == '{';
                int end = source.indexOf(triple ? "}" + close : close, from);
                if (end < 0) {
                    return out;
                }
                String body = source.substring(triple ? from + 1 : from, end).strip();
                int after = end + (triple ? 1 : 0) + close.length();
                String text = source.substring(start, after);
                char kind = body.isEmpty() ? 'v' : body.charAt(0);
                switch (kind) {
                    case '#', '^', '/', '!', '>', '&' -> body = body.substring(1).strip();
                    case '=' -> {
                        String[] delims = body.substring(1, body.length() - 1).strip().split("\\s+");
                        if (delims.length == 2) {
                            open = delims[0];
                            close = delims[1];
                        }
                    }
                    default -> kind = 'v';
                }
                out.add(new Tag(triple || kind == '&' ? 'v' : kind, body, line, text));
                pos = after;
            }
        }
    }
}
