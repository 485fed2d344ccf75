package dev.mainstay.workflow;

import dev.mainstay.config.YamlDocument;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A workflow's {@code shadow:}: a sampled share of its live jobs is run again on another loaded
 * version once the live job finished, as eval traffic, and the two results are compared on the
 * {@code agree_on} fields and scored with the reference-free scorers of that version's suites.
 * Like {@code evals:}, it is how a version is measured, not part of it: it changes neither the
 * content hash nor the stored definition.
 *
 * @param version the version the sampled jobs also run on
 * @param sample the share of live jobs sampled, in (0, 1]
 * @param agreeOn JSON Pointers into the result whose values the two runs should agree on
 */
public record ShadowPolicy(int version, double sample, List<String> agreeOn) {
    public ShadowPolicy {
        agreeOn = List.copyOf(agreeOn);
    }

    static Optional<ShadowPolicy> parse(YamlDocument doc, int ownVersion) {
        if (!doc.has("/shadow")) {
            return Optional.empty();
        }
        doc.requireObject("/shadow");
        doc.onlyKeys("/shadow", "version", "sample", "agree_on");
        int version = doc.integer("/shadow/version", -1, 1, 1_000_000);
        if (version < 0) {
            throw doc.error("/shadow/version", "is required: the loaded version the sampled live jobs also run on");
        }
        if (version == ownVersion) {
            throw doc.error("/shadow/version", "is this workflow's own version " + ownVersion + "; a shadow runs on another version");
        }
        if (!doc.node("/shadow/sample").isNumber()) {
            throw doc.error("/shadow/sample", "is required: the share of live jobs to run again, a number above 0 and at most 1, e.g. 0.1");
        }
        double sample = doc.node("/shadow/sample").asDouble();
        if (!(sample > 0 && sample <= 1)) {
            throw doc.error("/shadow/sample", "must be above 0 and at most 1, got " + doc.node("/shadow/sample"));
        }
        List<String> agreeOn = new ArrayList<>();
        if (doc.has("/shadow/agree_on")) {
            List<String> written = doc.textList("/shadow/agree_on");
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < written.size(); i++) {
                String p = written.get(i);
                if (!p.startsWith("/")) {
                    throw doc.error("/shadow/agree_on/" + i, "must be a JSON Pointer into the result, e.g. /segment; got '" + p + "'");
                }
                if (!seen.add(p)) {
                    throw doc.error("/shadow/agree_on/" + i, "'" + p + "' is listed twice");
                }
                agreeOn.add(p);
            }
        }
        return Optional.of(new ShadowPolicy(version, sample, agreeOn));
    }
}
