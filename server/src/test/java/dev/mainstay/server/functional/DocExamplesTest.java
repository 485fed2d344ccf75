package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.Main;
import dev.mainstay.server.http.Route;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProviderCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * The documentation and the node agree. The endpoint table of docs/api.md is the node's route
 * table, in order. Every shell command in README.md and docs/*.md, read out of their {@code sh}
 * blocks: each {@code ./mainstay …} is parsed by the real command line (or checked against the
 * launcher's own commands), and each {@code curl} against Mainstay asks for a route of the route
 * table (or a workflow that is shipped or written out in the docs), carries a JSON body that
 * parses, and is sent to a running node, which must answer it without a 5xx and from that route.
 * Other commands must be known tools, so a new kind of command in the docs is looked at rather than
 * passed over. A {@code curl} outside the shell blocks must ask for an existing route too.
 */
class DocExamplesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern FENCE = Pattern.compile("(?ms)^```(sh|bash|shell)\\n(.*?)^```");
    private static final Pattern HEREDOC = Pattern.compile("<<-?\\s*'?\"?(\\w+)'?\"?");
    private static final Pattern DOC_WORKFLOW = Pattern.compile("(?m)^\\s*workflow:\\s*([a-z0-9/_-]+)\\s*(#.*)?$");
    private static final Pattern TABLE_ROW = Pattern.compile("^\\| (GET|POST|PUT|DELETE|PATCH) \\| `(/[^`]*)` \\|", Pattern.MULTILINE);
    /** A Mainstay URL in a {@code curl} anywhere in a doc, shell block or not. */
    private static final Pattern URL = Pattern.compile("(?:\\$B|\\$\\{B}|http://(?:127\\.0\\.0\\.1|localhost):8080)(/[^\\s\"'?\\\\)]*)");
    private static final Pattern METHOD = Pattern.compile("(?:-X|--request)\\s+([A-Z]+)");
    /** Tools the docs may show that are not Mainstay's: each one's examples are for the reader's own system. */
    private static final Set<String> OTHER_TOOLS = Set.of(
            "export", "unset", "cd", "cat", "echo", "printf", "mkdir", "cp", "mv", "rm", "sed", "diff", "grep", "sleep", "wait", "kill",
            "for", "do", "done", "while", "if", "then", "fi", "true", "python3", "node", "npm", "npx", "jq", "sqlite3", "psql", "pg_dump",
            "pg_restore", "pg_basebackup", "git", "java", "mvn", "head", "tail", "wc", "sort", "uniq", "ss", "ps", "time", "apt-get", "sudo", "nginx", "systemctl", "promtool", "wrk", "hey", "openssl", "otelcol", "docker",
            "curl");

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();

    /** One simple command of a doc's shell block, with where it stands. */
    record Example(Path file, int line, List<String> words) {
        @Override
        public String toString() {
            return ROOT.relativize(file) + ":" + line + ": " + String.join(" ", words);
        }
    }

    /** A path template with its parameters unnamed, so {@code {a}} and {@code {id}} compare equal. */
    private static String unnamed(String template) {
        return template.replaceAll("\\{[^}]*}", "{}");
    }

    @Test
    void theEndpointTableOfTheApiDocsIsTheRouteTableInOrder() {
        String api = read(ROOT.resolve("docs/api.md"));
        List<String> documented = new ArrayList<>();
        Matcher m = TABLE_ROW.matcher(api);
        while (m.find()) {
            documented.add(m.group(1) + " " + unnamed(m.group(2)));
        }
        List<String> routed = node.server().routes().routes().stream().map(r -> r.method() + " " + unnamed(r.path())).toList();
        assertThat(documented).as("the endpoint table of docs/api.md").isEqualTo(routed);
    }

    @Test
    void docsHoldShellExamples() {
        // A parser that found nothing would pass every check below.
        List<Example> all = examples();
        assertThat(all).hasSizeGreaterThan(100);
        assertThat(all.stream().filter(e -> e.words().getFirst().equals("curl"))).hasSizeGreaterThan(50);
        assertThat(all.stream().filter(e -> e.words().getFirst().equals("./mainstay"))).hasSizeGreaterThan(30);
    }

    @Test
    void everyCommandIsMainstaysOrAKnownTool() {
        List<String> unknown = examples().stream()
                .filter(e -> !e.words().getFirst().equals("./mainstay") && !OTHER_TOOLS.contains(e.words().getFirst()))
                .map(Example::toString).toList();
        assertThat(unknown).as("commands in the docs that this test does not know; add the tool to OTHER_TOOLS or fix the block").isEmpty();
    }

    @Test
    void everyMainstayCommandParses() {
        String launcher = read(ROOT.resolve("mainstay"));
        Matcher benches = Pattern.compile("\\n\\s*([a-z|]+)\\) ;;\\n\\s*\\*\\)\\n\\s*echo \"Usage: ./mainstay bench").matcher(launcher);
        assertThat(benches.find()).as("the launcher's list of benchmarks").isTrue();
        Set<String> benchNames = Set.of(benches.group(1).split("\\|"));
        List<String> failures = new ArrayList<>();
        for (Example e : examples()) {
            if (!e.words().getFirst().equals("./mainstay")) {
                continue;
            }
            List<String> args = e.words().subList(1, e.words().size());
            if (args.isEmpty()) {
                continue;
            }
            switch (args.getFirst()) {
                case "test", "build" -> {
                    // Maven's own arguments follow; the launcher passes them on.
                }
                case "fake-provider" -> {
                    // The launcher runs the testkit's own command for this one, from the testkit's jar.
                    if (!launcher.contains("\n  fake-provider)")) {
                        failures.add(e + "  (the launcher has no fake-provider command)");
                    }
                    try {
                        new CommandLine(new FakeProviderCommand()).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
                    } catch (CommandLine.ParameterException ex) {
                        failures.add(e + "  (" + ex.getMessage() + ")");
                    }
                }
                case "bench" -> {
                    String name = args.size() > 1 ? args.get(1) : "";
                    if (!benchNames.contains(name) && !name.equals("--help") && !name.equals("-h")) {
                        failures.add(e + "  (no benchmark '" + name + "'; the launcher has " + benchNames + ")");
                    }
                }
                default -> {
                    try {
                        Main.commandLine().parseArgs(args.toArray(String[]::new));
                    } catch (CommandLine.ParameterException ex) {
                        failures.add(e + "  (" + ex.getMessage() + ")");
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void everyCurlInTheDocsAsksForARouteThatExists() {
        // Every line with a curl, in a shell block or not: the blocks' commands are also sent below.
        Set<String> known = knownWorkflows();
        List<String> checked = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        for (Path doc : docs()) {
            for (String command : curls(read(doc))) {
                Matcher url = URL.matcher(command);
                if (!url.find()) {
                    continue;
                }
                String path = url.group(1).replaceAll("\\$\\{?[A-Za-z0-9_]+}?", "x1");
                Matcher method = METHOD.matcher(command);
                String verb = method.find() ? method.group(1) : command.matches("(?s).*\\s(-d|--data\\S*)\\s.*") ? "POST" : "GET";
                checked.add(verb + " " + path);
                String missing = routeProblem(verb, path, known);
                if (missing != null) {
                    broken.add(ROOT.relativize(doc) + ": " + verb + " " + path + "  <-  " + command.lines().findFirst().orElse("").strip() + "  (" + missing + ")");
                }
            }
        }
        assertThat(checked).as("curl examples found").hasSizeGreaterThan(50);
        assertThat(broken).as("documented requests without a route").isEmpty();
    }

    @Test
    void everyCurlReachesItsRouteOnARunningNode() throws Exception {
        Set<String> docWorkflows = documentedWorkflows();
        Set<String> known = knownWorkflows();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        List<String> failures = new ArrayList<>();
        int sent = 0;
        for (Example e : examples()) {
            if (!e.words().getFirst().equals("curl")) {
                continue;
            }
            Curl curl;
            try {
                curl = Curl.parse(e.words());
            } catch (IllegalArgumentException ex) {
                failures.add(e + "  (" + ex.getMessage() + ")");
                continue;
            }
            if (curl.url().isEmpty()) {
                failures.add(e + "  (no URL)");
                continue;
            }
            String path = curl.mainstayPath();
            if (path == null) {
                continue; // a request to another server the docs start (the fake provider, a receiver)
            }
            if (curl.json() && curl.body() != null && !curl.body().startsWith("@")) {
                try {
                    Json.parse(curl.body());
                } catch (RuntimeException ex) {
                    failures.add(e + "  (the body is not JSON: " + ex.getMessage() + ")");
                    continue;
                }
            }
            String routed = routeProblem(curl.method(), path.replaceFirst("\\?.*", ""), known);
            if (routed != null) {
                failures.add(e + "  (" + routed + ")");
                continue;
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.server().baseUrl() + path)).timeout(Duration.ofSeconds(60));
            if (curl.headers().keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Authorization"))) {
                // Without a key every path answers 401; with one, only a path that exists answers other than 404.
                request.header("Authorization", "Bearer " + TestNode.DEMO_KEY);
            }
            curl.headers().forEach((name, value) -> {
                if (!HttpHeaders.RESTRICTED.contains(name.toLowerCase())) {
                    request.header(name, value);
                }
            });
            byte[] body = curl.body() == null || curl.body().startsWith("@") ? new byte[0] : curl.body().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            request.method(curl.method(), body.length == 0 && curl.method().equals("GET")
                    ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            HttpResponse<java.io.InputStream> r = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            sent++;
            String type = r.headers().firstValue("Content-Type").orElse("");
            String text;
            try (var in = r.body()) {
                // A stream of events runs until its job ends: its status is what this test needs.
                text = type.startsWith("text/event-stream") ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            JsonNode problem = type.contains("json") && !text.isEmpty() ? Json.parse(text) : Json.object();
            String code = problem.path("code").asString("");
            if (r.statusCode() >= 500) {
                failures.add(e + "  (" + r.statusCode() + " " + text + ")");
            } else if (r.statusCode() == 405 || code.equals("method_not_allowed")) {
                failures.add(e + "  (" + curl.method() + " is not allowed at " + path + ")");
            } else if (r.statusCode() == 404 && code.equals("not_found") && problem.path("detail").asString("").startsWith("no resource at")) {
                // The route table has the route: a node that answers as if it had none disagrees with it.
                failures.add(e + "  (the route table has " + curl.method() + " " + path + " but the node answered: no endpoint)");
            } else if (code.equals("unknown_workflow") && !docWorkflows.contains(workflowOf(path))) {
                failures.add(e + "  (no workflow '" + workflowOf(path) + "' is shipped or written out in the docs)");
            }
        }
        assertThat(sent).isGreaterThan(50);
        assertThat(failures).isEmpty();
    }

    private static String workflowOf(String path) {
        String p = path.replaceFirst("\\?.*", "").replaceFirst("^/v1/", "");
        return p;
    }

    /**
     * Why {@code method path} (no query) is no request the docs may show, or null: the route table
     * has no route for it, or the route is a workflow's and {@code known} lacks that workflow. A
     * POST to a workflow only the docs write out has no route on this node and is fine.
     */
    private static String routeProblem(String method, String path, Set<String> known) {
        Optional<Route> route = node.server().routes().find(method, path);
        boolean workflowPath = method.equals("POST") && path.startsWith("/v1/") && (route.isEmpty() || route.get().path().equals("/v1/{workflow}"));
        if (workflowPath) {
            return known.contains(workflowOf(path)) ? null : "no workflow '" + workflowOf(path) + "' is shipped or written out in the docs";
        }
        return route.isPresent() ? null : "no route for " + method + " " + path + " in the route table";
    }

    /** The workflows the docs write out in their YAML. */
    private static Set<String> documentedWorkflows() {
        Set<String> out = new TreeSet<>();
        for (Path doc : docs()) {
            Matcher m = DOC_WORKFLOW.matcher(read(doc));
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** The workflows of the shipped examples and those the docs write out. */
    private static Set<String> knownWorkflows() {
        Set<String> out = documentedWorkflows();
        try (Stream<Path> files = Files.walk(ROOT.resolve("examples/workflows"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                Matcher m = DOC_WORKFLOW.matcher(read(f));
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Each {@code curl} command of a doc, wherever it stands, with its continuation lines. */
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

    /** The headers Java's client sets itself and refuses to take. */
    private static final class HttpHeaders {
        static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");
    }

    /** What one {@code curl} command line asks for. */
    record Curl(String method, String url, Map<String, String> headers, String body) {
        private static final Set<String> FLAGS = Set.of("-s", "-S", "-sS", "-i", "-N", "-v", "-f", "-L", "--silent", "--include", "--no-buffer",
                "--fail", "--show-error", "--http1.0", "--http1.1", "-si", "-is", "-sN", "-Ns");

        static Curl parse(List<String> words) {
            String method = null;
            String url = "";
            Map<String, String> headers = new LinkedHashMap<>();
            String body = null;
            for (int i = 1; i < words.size(); i++) {
                String w = words.get(i);
                switch (w) {
                    case "-X", "--request" -> method = words.get(++i);
                    case "-H", "--header" -> {
                        String h = words.get(++i);
                        int colon = h.indexOf(':');
                        if (colon < 1) {
                            throw new IllegalArgumentException("header without a name: " + h);
                        }
                        headers.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
                    }
                    case "-d", "--data", "--data-binary", "--data-raw" -> body = words.get(++i);
                    case "-o", "--output", "-w", "--write-out", "--max-time", "-m" -> i++;
                    default -> {
                        if (w.startsWith("-") && !FLAGS.contains(w)) {
                            throw new IllegalArgumentException("an option this test does not know: " + w);
                        }
                        if (!w.startsWith("-")) {
                            url = w;
                        }
                    }
                }
            }
            if (method == null) {
                method = body == null ? "GET" : "POST";
            }
            return new Curl(method, url, headers, body);
        }

        boolean json() {
            return headers.entrySet().stream().anyMatch(h -> h.getKey().equalsIgnoreCase("Content-Type") && h.getValue().contains("json"));
        }

        /** The path and query on the Mainstay node the docs run, or null for another server. */
        String mainstayPath() {
            String u = url.replace("${B}", "$B");
            String rest;
            if (u.startsWith("$B")) {
                rest = u.substring(2);
            } else if (u.startsWith("http://127.0.0.1:8080") || u.startsWith("http://localhost:8080")) {
                rest = u.substring(u.indexOf(":8080") + 5);
            } else {
                return null;
            }
            // Ids and keys held in shell variables (or a function's arguments) become values a reader
            // could have: any id works, since only the endpoint is checked.
            return rest.replaceAll("\\$\\{?([A-Za-z_][A-Za-z0-9_]*|[0-9])}?", "x_$1");
        }

        @Override
        public Map<String, String> headers() {
            Map<String, String> out = new LinkedHashMap<>();
            headers.forEach((k, v) -> out.put(k, k.equalsIgnoreCase("Authorization") ? bearer(v) : v));
            return out;
        }

        /** Every key in the docs is the demo account's or the admin key, as a reader following them holds. */
        private static String bearer(String value) {
            String upper = value.toUpperCase();
            return "Bearer " + (upper.contains("ADMIN") ? TestNode.ADMIN_KEY : TestNode.DEMO_KEY);
        }
    }

    // ---- reading the docs -----------------------------------------------------------------------

    static List<Path> docs() {
        try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
            List<Path> out = new ArrayList<>();
            out.add(ROOT.resolve("README.md"));
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Example> examples() {
        List<Example> out = new ArrayList<>();
        for (Path doc : docs()) {
            String text = read(doc);
            Matcher m = FENCE.matcher(text);
            while (m.find()) {
                int firstLine = lineOf(text, m.start(2));
                out.addAll(commands(doc, firstLine, m.group(2)));
            }
        }
        return out;
    }

    /** The simple commands of one block: continuations joined, heredoc bodies and comments left out. */
    static List<Example> commands(Path doc, int firstLine, String block) {
        List<Example> out = new ArrayList<>();
        String[] lines = block.split("\n", -1);
        String heredocEnd = null;
        StringBuilder pending = new StringBuilder();
        int pendingLine = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (heredocEnd != null) {
                if (line.trim().equals(heredocEnd)) {
                    heredocEnd = null;
                }
                continue;
            }
            if (pending.isEmpty()) {
                pendingLine = firstLine + i;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            pending.append(line);
            String command = pending.toString();
            pending.setLength(0);
            Matcher h = HEREDOC.matcher(command);
            if (h.find()) {
                heredocEnd = h.group(1);
            }
            for (List<String> words : ShellWords.simpleCommands(command)) {
                out.add(new Example(doc, pendingLine, words));
            }
        }
        return out;
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits a shell line into simple commands of words, as far as the docs' examples need. */
    static final class ShellWords {
        private ShellWords() {
        }

        static List<List<String>> simpleCommands(String line) {
            List<List<String>> commands = new ArrayList<>();
            List<String> words = new ArrayList<>();
            StringBuilder word = new StringBuilder();
            boolean inWord = false;
            int parens = 0;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\'') {
                    int end = line.indexOf('\'', i + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException("unclosed ' in: " + line);
                    }
                    word.append(line, i + 1, end);
                    inWord = true;
                    i = end;
                } else if (c == '"') {
                    i++;
                    while (i < line.length() && line.charAt(i) != '"') {
                        char d = line.charAt(i);
                        if (d == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                            d = line.charAt(++i);
                        }
                        word.append(d);
                        i++;
                    }
                    inWord = true;
                } else if (c == '\\' && i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                    inWord = true;
                } else if (c == '$' && i + 1 < line.length() && line.charAt(i + 1) == '(') {
                    // A command substitution stands for one word whose value this test does not need.
                    parens = 1;
                    int j = i + 2;
                    while (j < line.length() && parens > 0) {
                        parens += line.charAt(j) == '(' ? 1 : line.charAt(j) == ')' ? -1 : 0;
                        j++;
                    }
                    word.append("$(…)");
                    inWord = true;
                    i = j - 1;
                } else if (c == '#' && !inWord) {
                    break;
                } else if (Character.isWhitespace(c) || c == ';' || c == '|' || c == '&' || c == '{' || c == '}' || c == '<' || c == '>') {
                    if (inWord) {
                        words.add(word.toString());
                        word.setLength(0);
                        inWord = false;
                    }
                    if (c == '<' || c == '>') {
                        // A redirection's target is no word of the command.
                        while (i + 1 < line.length() && (line.charAt(i + 1) == '<' || line.charAt(i + 1) == '>' || line.charAt(i + 1) == '&')) {
                            i++;
                        }
                        while (i + 1 < line.length() && line.charAt(i + 1) == ' ') {
                            i++;
                        }
                        int j = i + 1;
                        while (j < line.length() && !Character.isWhitespace(line.charAt(j)) && ";|&".indexOf(line.charAt(j)) < 0) {
                            j++;
                        }
                        i = j - 1;
                    } else if (!Character.isWhitespace(c)) {
                        end(commands, words);
                        words = new ArrayList<>();
                    }
                } else {
                    word.append(c);
                    inWord = true;
                }
            }
            if (inWord) {
                words.add(word.toString());
            }
            end(commands, words);
            return commands;
        }

        /** Drops leading variable assignments ({@code VAR=value cmd}); a bare assignment is no command. */
        private static void end(List<List<String>> commands, List<String> words) {
            int i = 0;
            while (i < words.size() && words.get(i).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                i++;
            }
            if (i < words.size()) {
                List<String> rest = words.subList(i, words.size());
                // A shell function's definition (name() { … }) and a loop's or branch's keyword lead into a command.
                while (!rest.isEmpty() && (rest.getFirst().endsWith("()") || Set.of("do", "then", "else", "time").contains(rest.getFirst()))) {
                    rest = rest.subList(1, rest.size());
                }
                if (!rest.isEmpty()) {
                    commands.add(List.copyOf(rest));
                }
            }
        }
    }
}
