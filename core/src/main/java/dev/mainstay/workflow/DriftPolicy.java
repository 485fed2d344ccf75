package dev.mainstay.workflow;

import dev.mainstay.config.YamlDocument;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A workflow's {@code drift:}: the numeric fields of its results whose distribution the drift
 * report follows over live traffic (a model that silently changed moves them). Not part of the
 * version, like {@code evals:}.
 *
 * @param fields JSON Pointers into the result, e.g. {@code /confidence}
 */
public record DriftPolicy(List<String> fields) {
    public static final DriftPolicy NONE = new DriftPolicy(List.of());

    public DriftPolicy {
        fields = List.copyOf(fields);
    }

    static Optional<DriftPolicy> parse(YamlDocument doc) {
        if (!doc.has("/drift")) {
            return Optional.empty();
        }
        doc.requireObject("/drift");
        doc.onlyKeys("/drift", "fields");
        List<String> fields = doc.textList("/drift/fields");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < fields.size(); i++) {
            String p = fields.get(i);
            if (!p.startsWith("/")) {
                throw doc.error("/drift/fields/" + i, "must be a JSON Pointer into the result, e.g. /confidence; got '" + p + "'");
            }
            if (!seen.add(p)) {
                throw doc.error("/drift/fields/" + i, "'" + p + "' is listed twice");
            }
        }
        return Optional.of(new DriftPolicy(fields));
    }
}
