package dev.mainstay.server.console;

import dev.mainstay.engine.Engine;
import dev.mainstay.routing.TargetLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The providers page's rate-limit table: one row per budget of each target, configured or
 * learned from the provider's rate-limit headers, as {@code GET /v1/admin/targets} shows them.
 */
final class RateLimitRows {
    private RateLimitRows() {
    }

    static List<Map<String, Object>> of(Engine engine) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (TargetLimits.Snapshot t : engine.targetLimits()) {
            for (TargetLimits.Budget b : t.budgets()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("target", t.target().toString());
                m.put("budget", b.name().replace('_', ' '));
                m.put("limit", b.limit() >= 0 ? Long.toString(b.limit()) : "not reported");
                m.put("remaining", b.remaining() >= 0 ? Long.toString(b.remaining()) : "not reported");
                // The budget that holds the target back is the used-up one that resets last.
                m.put("holding", t.limitedUntil() != null && b.remaining() == 0 && t.limitedUntil().equals(b.resetAt()));
                m.put("resetAt", b.resetAt() == null ? "" : b.resetAt().toString());
                m.put("source", b.source().name().toLowerCase(Locale.ROOT));
                m.put("updatedAt", b.updatedAt() == null ? "" : b.updatedAt().toString());
                m.put("limitedUntil", t.limitedUntil() == null ? "" : t.limitedUntil().toString());
                out.add(m);
            }
        }
        return out;
    }
}
