package dev.mainstay.server.http;

import dev.mainstay.ConfigException;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.common.uri.UriPath;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;
import java.util.List;
import java.util.Set;

/**
 * The path of a workflow's endpoint, {@code /v1/{workflow}}: a name has slashes
 * ({@code /v1/briefs/extract-key-points}), so the parameter spans segments, and the path matches
 * only while a workflow of that name is active. A workflow path therefore never takes a request
 * meant for another route, whatever order routes are tried in, and a path that names no workflow
 * falls to {@link Unrouted}.
 *
 * <p>The rule that keeps it so: the API's own routes under {@code /v1/} start with one of
 * {@link #RESERVED}, and no workflow name may start with one of them ({@link #refuseShadowing},
 * checked at start), so no workflow path can also be an API path, now or when a route is added
 * under one of those segments later.
 */
final class WorkflowPath implements PathMatcher, RouteTable.Template {
    /** The first segments after {@code /v1/} that the API's own routes use. */
    static final Set<String> RESERVED = Set.of("admin", "jobs", "reviews", "usage", "workflows");

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

    /** The reserved segment {@code path} (a request path) starts with under {@code /v1/}, if any. */
    static boolean reserved(String path) {
        if (!path.startsWith("/v1/")) {
            return false;
        }
        int end = path.indexOf('/', 4);
        return RESERVED.contains(end < 0 ? path.substring(4) : path.substring(4, end));
    }

    /** Refuses to serve a workflow whose path the API's own routes could take. */
    static void refuseShadowing(List<WorkflowDefinition> definitions) {
        for (WorkflowDefinition d : definitions) {
            String first = d.name().substring(0, d.name().indexOf('/'));
            if (RESERVED.contains(first)) {
                throw new ConfigException(d.source() + ": workflow: the name '" + d.name() + "' starts with '" + first
                        + "', which the API's own routes use (/v1/" + first + "/…); start it with another word (reserved: "
                        + String.join(", ", RESERVED.stream().sorted().toList()) + ")");
            }
        }
    }
}
