package dev.mainstay.server.http;

import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.common.uri.UriPath;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;

/**
 * The path of a workflow's endpoint, {@code /v1/{workflow}}: a name has slashes
 * ({@code /v1/briefs/extract-key-points}), so the parameter spans segments, and the path matches
 * only while a workflow of that name is active. A workflow path therefore never takes a request
 * meant for another route, whatever order routes are tried in, and a path that names no workflow
 * falls to {@link Unrouted}.
 *
 * <p>The rule that keeps it so: the API's own routes under {@code /v1/} start with one of
 * {@link WorkflowDefinition#RESERVED_FIRST_SEGMENTS} ({@link HttpApi} refuses to start otherwise),
 * and no workflow name may start with one of them (the workflow loader refuses it, naming file
 * and line), so no workflow path is also an API path, now or when a route is added later.
 */
final class WorkflowPath implements PathMatcher, RouteTable.Template {

    private static final PathMatcher PATTERN = PathMatchers.pattern("/v1/{+workflow}");

    private final WorkflowRegistry registry;

    WorkflowPath(WorkflowRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String template() {
        return "/v1/{workflow}";
    }

    @Override
    public PathMatchers.MatchResult match(UriPath path) {
        PathMatchers.MatchResult m = PATTERN.match(path);
        if (m.accepted() && registry.active(m.path().pathParameters().get("workflow")).isPresent()) {
            return m;
        }
        return PathMatchers.MatchResult.notAccepted();
    }

    @Override
    public PathMatchers.PrefixMatchResult prefixMatch(UriPath path) {
        return PathMatchers.PrefixMatchResult.notAccepted(); // registered at the root only
    }

    /** Whether {@code path} (a request path) is under a segment of the API's own routes, e.g. {@code /v1/jobs/…}. */
    static boolean reserved(String path) {
        if (!path.startsWith("/v1/")) {
            return false;
        }
        int end = path.indexOf('/', 4);
        return WorkflowDefinition.RESERVED_FIRST_SEGMENTS.contains(end < 0 ? path.substring(4) : path.substring(4, end));
    }
}
