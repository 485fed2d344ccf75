package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.http.Route;
import dev.mainstay.server.http.RouteTable;
import dev.mainstay.server.testing.TestNodeExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The documentation and the routes agree: the endpoint table of docs/api.md is the node's route
 * table, in order, and every {@code curl} in the README and docs/ asks for a route that exists
 * (a workflow path for a workflow that the examples or the docs define).
 */
class DocumentedRoutesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern TABLE_ROW = Pattern.compile("^\\| (GET|POST|PUT|DELETE|PATCH) \\| `(/[^`]*)` \\|", Pattern.MULTILINE);
    private static final Pattern URL = Pattern.compile("(?:\\$B|\\$\\{B}|http://(?:127\\.0\\.0\\.1|localhost):\\d+)(/[^\\s\"'?\\\\)]*)");
    private static final Pattern METHOD = Pattern.compile("(?:-X|--request)\\s+([A-Z]+)");
    private static final Pattern WORKFLOW_NAME = Pattern.compile("^workflow:\\s*([a-z0-9][a-z0-9/-]*)", Pattern.MULTILINE);

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();

    /** A path template with its parameters unnamed, so {@code {a}} and {@code {id}} compare equal. */
    private static String unnamed(String template) {
        return template.replaceAll("\\{[^}]*}", "{}");
    }

    @Test
    void theEndpointTableOfTheApiDocsIsTheRouteTableInOrder() throws IOException {
        String api = Files.readString(ROOT.resolve("docs/api.md"));
        List<String> documented = new ArrayList<>();
        Matcher m = TABLE_ROW.matcher(api);
        while (m.find()) {
            documented.add(m.group(1) + " " + unnamed(m.group(2)));
        }
        List<String> routed = node.server().routes().routes().stream().map(r -> r.method() + " " + unnamed(r.path())).toList();
        assertThat(documented).as("the endpoint table of docs/api.md").isEqualTo(routed);
    }

    @Test
    void everyDocumentedCurlAsksForARouteThatExists() throws IOException {
        Set<String> workflows = knownWorkflows();
        RouteTable routes = node.server().routes();
        List<String> checked = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        for (Path doc : docs()) {
            for (String command : curls(Files.readString(doc))) {
                Matcher url = URL.matcher(command);
                if (!url.find()) {
                    continue;
                }
                String path = url.group(1).replaceAll("\\$\\{?[A-Za-z0-9_]+}?", "x1");
                Matcher method = METHOD.matcher(command);
                String verb = method.find() ? method.group(1) : command.matches("(?s).*\\s(-d|--data\\S*)\\s.*") ? "POST" : "GET";
                Optional<Route> route = routes.find(verb, path);
                boolean workflow = route.isEmpty() && verb.equals("POST") && path.startsWith("/v1/") && workflows.contains(path.substring(4));
                checked.add(verb + " " + path);
                if (route.isEmpty() && !workflow) {
                    broken.add(ROOT.relativize(doc) + ": " + verb + " " + path + "  <-  " + command.lines().findFirst().orElse("").strip());
                }
            }
        }
        assertThat(checked).as("curl examples found").hasSizeGreaterThan(50);
        assertThat(broken).as("documented requests without a route").isEmpty();
    }

    private static List<Path> docs() throws IOException {
        List<Path> out = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(out::add);
        }
        return out;
    }

    /** Each {@code curl} command with its continuation lines. */
    private static List<String> curls(String text) {
        List<String> out = new ArrayList<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).contains("curl ")) {
                continue;
            }
            StringBuilder command = new StringBuilder(lines.get(i).substring(lines.get(i).indexOf("curl ")));
            while (lines.get(i).stripTrailing().endsWith("\\") && i + 1 < lines.size()) {
                command.append('\n').append(lines.get(++i));
            }
            out.add(command.toString());
        }
        return out;
    }

    /** The workflows of the shipped examples and those the docs define in their YAML. */
    private static Set<String> knownWorkflows() throws IOException {
        Set<String> out = new TreeSet<>();
        List<Path> sources = new ArrayList<>(docs());
        try (Stream<Path> files = Files.walk(ROOT.resolve("examples/workflows"))) {
            files.filter(f -> f.toString().endsWith(".yaml")).forEach(sources::add);
        }
        for (Path source : sources) {
            Matcher m = WORKFLOW_NAME.matcher(Files.readString(source));
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }
}
