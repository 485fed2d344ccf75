package dev.mainstay.provider;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Named routes from configuration: each maps to ordered targets, preferred first. Workflows name
 * routes, never providers, so operators can re-point a route without touching a workflow.
 */
public final class Routes {
    private final Map<String, List<Target>> routes;

    public Routes(Map<String, List<Target>> routes) {
        this.routes = Map.copyOf(routes);
    }

    public Optional<List<Target>> targets(String route) {
        return Optional.ofNullable(routes.get(route));
    }

    public Set<String> names() {
        return routes.keySet();
    }
}
