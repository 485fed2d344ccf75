package dev.mainstay.server.http;

import io.helidon.common.uri.UriPath;
import io.helidon.http.Method;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRoute;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Every route of the HTTP API, in the order Helidon tries them: what each resource registered, as
 * method and path template. The same table answers what no route took ({@link Unrouted}: which
 * methods a path has, for {@code 405} and its {@code Allow}) and lets a test check the documented
 * requests against the routes that exist.
 *
 * <p>A path parameter written {@code {name}} matches one segment of 1 to 80 letters, digits and
 * {@code _}, the shape of every Mainstay id; a path whose id has any other character matches no
 * route and is not found.
 */
public final class RouteTable {
    private static final Pattern PARAMETER = Pattern.compile("\\{([A-Za-z][A-Za-z0-9_]*)}");
    private static final String ID = "[A-Za-z0-9_]{1,80}";

    /** A route with what Helidon needs to serve it. */
    private record Entry(Route route, Method method, PathMatcher matcher, Handler handler) {
    }

    /**
     * A path matcher that is not a plain template (the workflow route's, which matches only the
     * paths of active workflows) says which template it stands for.
     */
    interface Template {
        String template();
    }

    private final List<Entry> entries;

    private RouteTable(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The routes the resources register, in their order. */
    static RouteTable of(List<? extends HttpService> resources) {
        Recorder recorder = new Recorder();
        resources.forEach(recorder::register);
        return new RouteTable(recorder.entries);
    }

    /** Every route, in the order they are tried. */
    public List<Route> routes() {
        return entries.stream().map(Entry::route).toList();
    }

    /** The route that answers {@code method} on {@code path} (a path as sent, without the query), if any. */
    public Optional<Route> find(String method, String path) {
        UriPath uri = UriPath.create(path);
        return entries.stream().filter(e -> e.method().text().equals(method) && e.matcher().match(uri).accepted()).map(Entry::route).findFirst();
    }

    /** The methods some route answers on {@code path}, in route order. */
    List<String> methods(UriPath path) {
        Set<String> out = new LinkedHashSet<>();
        for (Entry e : entries) {
            if (e.matcher().match(path).accepted()) {
                out.add(e.method().text());
            }
        }
        return List.copyOf(out);
    }

    /** Registers every route with Helidon, in table order. */
    void register(HttpRules rules) {
        for (Entry e : entries) {
            rules.route(e.method(), e.matcher(), e.handler());
        }
    }

    /**
     * The rules a resource registers its routes with: what it registers goes into the table. Routes
     * are registered by method and path template (or a {@link Template} matcher), at the root, so
     * that the table reads as the API's documentation does; anything else is refused, since the
     * table could not say what it serves. A resource's lifecycle methods are not called.
     */
    private static final class Recorder implements HttpRules {
        private final List<Entry> entries = new ArrayList<>();

        @Override
        public HttpRules register(HttpService... services) {
            for (HttpService s : services) {
                s.routing(this);
            }
            return this;
        }

        @Override
        public HttpRules register(String pathPattern, HttpService... services) {
            throw refused("a resource under the prefix " + pathPattern);
        }

        @Override
        public HttpRules route(HttpRoute route) {
            throw refused("a route without a method and path template");
        }

        @Override
        public HttpRules route(Predicate<Method> methods, PathMatcher matcher, Handler handler) {
            throw refused("a route for a predicate of methods");
        }

        @Override
        public HttpRules route(Method method, Handler handler) {
            throw refused(method.text() + " on every path");
        }

        @Override
        public HttpRules route(Method method, String template, Handler handler) {
            if (!template.startsWith("/")) {
                throw refused("the relative path " + template);
            }
            return add(method, template, PathMatchers.create(PARAMETER.matcher(template).replaceAll("{$1:" + ID + "}")), handler);
        }

        @Override
        public HttpRules route(Method method, PathMatcher matcher, Handler handler) {
            if (!(matcher instanceof Template t)) {
                throw refused("a path matcher that names no template (" + matcher + ")");
            }
            return add(method, t.template(), matcher, handler);
        }

        private HttpRules add(Method method, String template, PathMatcher matcher, Handler handler) {
            Route route = new Route(method.text(), template);
            if (entries.stream().anyMatch(e -> e.route().equals(route))) {
                throw new IllegalStateException(route + " is registered twice. Indicates a bug.");
            }
            entries.add(new Entry(route, method, matcher, handler));
            return this;
        }

        private static IllegalStateException refused(String what) {
            return new IllegalStateException("the route table cannot hold " + what
                    + ": register routes with get, post, put or delete and an absolute path template. Indicates a bug.");
        }
    }
}
