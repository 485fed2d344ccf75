package dev.mainstay.server.http;

import io.helidon.common.uri.UriPath;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;

/**
 * A path under an eval suite, {@code /v1/admin/evals/{suite}/cases…}: a suite's name may hold
 * {@code .} and {@code -} ({@code leads-classify}), which the route table's plain parameters (ids)
 * do not match, so its segment has a pattern of its own, the suite file's rule for names.
 */
final class SuitePath implements PathMatcher, RouteTable.Template {
    private static final String SUITE = "[a-z0-9._-]{1,64}";
    private static final String ID = "[A-Za-z0-9_]{1,80}";

    private final String template;
    private final PathMatcher pattern;

    private SuitePath(String template) {
        this.template = template;
        this.pattern = PathMatchers.create(template.replace("{suite}", "{suite:" + SUITE + "}").replace("{id}", "{id:" + ID + "}"));
    }

    /** The suite's stored cases. */
    static SuitePath cases() {
        return new SuitePath("/v1/admin/evals/{suite}/cases");
    }

    /** One stored case of the suite. */
    static SuitePath kase() {
        return new SuitePath("/v1/admin/evals/{suite}/cases/{id}");
    }

    @Override
    public String template() {
        return template;
    }

    @Override
    public PathMatchers.MatchResult match(UriPath path) {
        return pattern.match(path);
    }

    @Override
    public PathMatchers.PrefixMatchResult prefixMatch(UriPath path) {
        return PathMatchers.PrefixMatchResult.notAccepted(); // registered at the root only
    }
}
