package dev.mainstay.redaction;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Applies a {@link RedactionPolicy} to content before it leaves Mainstay: finds the values of every
 * category the policy does not allow, then masks, tokenizes or refuses them. Immutable and
 * thread-safe; build one per policy and reuse it.
 *
 * <pre>{@code
 * Redactor redactor = Redactor.of(workflowPolicy.forProvider(providerData));
 * TokenVault vault = redactor.jobVault(job.input(), finishedStageOutputs);
 * Redaction<String> prompt = redactor.redact(promptText, vault);      // may throw RedactionBlockedException
 * String answer = provider.call(prompt.value());
 * String restored = prompt.restore(answer);
 * }</pre>
 *
 * <p>Detectors read a normalised view of the text (NFKC, digits of every script as ASCII, every
 * Unicode space as a space, every dash as {@code -}) and replace the original characters behind
 * what they find, so a value restores exactly as it was written. A value the vault already holds
 * (from the job's input or an earlier stage) is replaced wherever it appears, even where no
 * detector would find it again (glued to more digits, say).
 *
 * <p>Redact the original content, not content that was already redacted: a token in the input is
 * taken for the user's own text and protected as such (it restores to itself), so redacting twice
 * and restoring once gives back the once-redacted text.
 */
public final class Redactor {
    /**
     * The shortest known value looked for verbatim. Every detected value but a short IPv6 address
     * ({@code ::1}) is at least this long; shorter strings recur by chance.
     */
    private static final int MIN_KNOWN = 6;

    private final RedactionPolicy policy;
    private final List<Detector> detectors;

    private Redactor(RedactionPolicy policy) {
        this.policy = policy;
        List<Detector> list = new ArrayList<>();
        for (Category c : Category.values()) {
            if (policy.mode(c) != Mode.ALLOW) {
                list.add(Detector.of(c));
            }
        }
        this.detectors = List.copyOf(list);
    }

    public static Redactor of(RedactionPolicy policy) {
        return new Redactor(policy);
    }

    private static final Redactor SECRETS = new Redactor(RedactionPolicy.NONE.with(Category.SECRET, Mode.MASK));

    /**
     * {@code text} with every secret (API key and token shapes, JWTs, private keys, credentials of
     * an {@code Authorization} header) replaced by {@code [SECRET]}: for text that is logged or
     * stored as an error message, such as a provider's error body. {@code null} stays {@code null}.
     */
    public static String scrubSecrets(String text) {
        return text == null || text.isEmpty() ? text : SECRETS.redact(text).value();
    }

    public RedactionPolicy policy() {
        return policy;
    }

    /** Redacts {@code text} as the first content of a job. */
    public Redaction<String> redact(String text) {
        return redact(text, TokenVault.empty());
    }

    /**
     * Redacts {@code text}, reusing the tokens of {@code vault} for values seen before.
     *
     * @throws RedactionBlockedException if the text holds a value of a blocked category
     */
    public Redaction<String> redact(String text, TokenVault vault) {
        Scan scan = scan(text, known(vault));
        refuseIfBlocked(scan.report());
        TokenVault.Issuer issuer = vault.issuer();
        scan.literals().forEach(l -> issuer.reserve(text.substring(l[0], l[1])));
        return new Redaction<>(apply(text, scan, issuer), issuer.vault(), scan.report());
    }

    /** Redacts a JSON document as the first content of a job. */
    public Redaction<JsonNode> redact(JsonNode tree) {
        return redact(tree, TokenVault.empty());
    }

    /**
     * Redacts every string value of {@code tree}, in document order; object keys, booleans, nulls
     * and the structure are kept. An integral number that is itself a detected value (a card
     * number written as a JSON number) becomes a string holding its mask or token. The tree is not
     * modified; the result is a copy.
     *
     * @throws RedactionBlockedException if any value holds a value of a blocked category; the
     *     counts cover the whole document
     */
    public Redaction<JsonNode> redact(JsonNode tree, TokenVault vault) {
        List<Scan> scans = new ArrayList<>();
        collect(tree, scans, known(vault));
        Report report = scans.stream().map(Scan::report).reduce(Report.EMPTY, Report::plus);
        refuseIfBlocked(report);
        TokenVault.Issuer issuer = vault.issuer();
        // Reserve the token-shaped strings of the whole document before issuing any token: the
        // model sees the document as one text.
        for (Scan s : scans) {
            s.literals().forEach(l -> issuer.reserve(s.text().substring(l[0], l[1])));
        }
        JsonNode out = rebuild(tree, scans.iterator(), issuer);
        return new Redaction<>(out, issuer.vault(), report);
    }

    /**
     * The vault of a job before one of its prompts: the tokens that redacting the job's durable
     * content issues, in a fixed order (the input, then each finished stage's output in stage
     * order), for every category this policy tokenizes. It depends on nothing but that content,
     * so it is the same on every node, on every attempt and after any restart, and is never
     * stored: a value of the input gets the same token in every stage, and a value an earlier
     * stage restored into its output is known, and replaced, wherever a later prompt holds it.
     * Masked and blocked categories get no tokens, so that nothing can ever restore them; the
     * detectors find them in each prompt.
     *
     * @param input the job's input
     * @param outputs the outputs of the stages that finished before this prompt, in stage order
     */
    public TokenVault jobVault(JsonNode input, List<JsonNode> outputs) {
        if (policy.categories(Mode.TOKENIZE).isEmpty()) {
            return TokenVault.empty();
        }
        EnumMap<Category, Mode> seeding = new EnumMap<>(Category.class);
        policy.categories(Mode.TOKENIZE).forEach(c -> seeding.put(c, Mode.TOKENIZE));
        Redactor seed = new Redactor(new RedactionPolicy(seeding));
        TokenVault vault = seed.redact(input, TokenVault.empty()).vault();
        for (JsonNode output : outputs) {
            vault = seed.redact(output, vault).vault();
        }
        return vault;
    }

    @Override
    public String toString() {
        return "Redactor[" + policy + "]";
    }

    /** Values of {@code vault} to look for: those of the categories this policy does not allow, long enough not to match by chance. */
    private List<Known> known(TokenVault vault) {
        if (vault.isEmpty()) {
            return List.of();
        }
        List<Known> out = new ArrayList<>();
        vault.values().forEach((category, values) -> {
            if (policy.mode(category) != Mode.ALLOW) {
                for (String v : values) {
                    if (v.length() >= MIN_KNOWN) {
                        out.add(new Known(category, v));
                    }
                }
            }
        });
        return out;
    }

    /** A value the job's vault holds, of a category this policy hides. */
    private record Known(Category category, String value) {
        @Override
        public String toString() {
            return "Known[" + category.wire() + ", chars=" + value.length() + "]";
        }
    }

    /**
     * The findings of one text, and the token-shaped strings in it that no finding covers.
     *
     * @param literals {@code [start, end)} of each token-shaped string, left to right
     */
    private record Scan(String text, List<Finding> findings, List<int[]> literals, Report report) {
        @Override
        public String toString() {
            return "Scan[chars=" + text.length() + ", found " + report + "]";
        }
    }

    private Scan scan(String text, List<Known> known) {
        Normalized normalized = Normalized.of(text);
        List<Span> spans = new ArrayList<>();
        for (Detector d : detectors) {
            d.find(normalized.view(), spans);
        }
        spans.replaceAll(normalized::toOriginal);
        for (Known k : known) {
            for (int at = text.indexOf(k.value()); at >= 0; at = text.indexOf(k.value(), at + k.value().length())) {
                spans.add(new Span(at, at + k.value().length(), k.category()));
            }
        }
        List<Finding> findings = Finding.resolve(spans);
        List<int[]> literals = new ArrayList<>();
        if (text.indexOf("[[") >= 0) {
            Matcher m = Placeholders.TOKEN.matcher(text);
            int f = 0;
            while (m.find()) {
                while (f < findings.size() && findings.get(f).end() <= m.start()) {
                    f++;
                }
                boolean covered = f < findings.size() && findings.get(f).start() < m.end();
                if (!covered) {
                    literals.add(new int[] {m.start(), m.end()});
                }
            }
        }
        Map<Category, Integer> counts = new EnumMap<>(Category.class);
        findings.forEach(finding -> finding.detected().forEach((c, n) -> counts.merge(c, n, Integer::sum)));
        return new Scan(text, findings, literals, new Report(counts));
    }

    private void refuseIfBlocked(Report found) {
        Set<Category> blocking = policy.categories(Mode.BLOCK);
        if (!blocking.isEmpty()) {
            Report blocked = found.only(blocking);
            if (!blocked.isEmpty()) {
                throw new RedactionBlockedException(blocked);
            }
        }
    }

    /** The text with findings replaced and literals that equal an issued token escaped, left to right. */
    private String apply(String text, Scan scan, TokenVault.Issuer issuer) {
        List<Finding> findings = scan.findings();
        List<int[]> literals = scan.literals();
        if (findings.isEmpty() && literals.stream().noneMatch(l -> issuer.issued(text.substring(l[0], l[1])))) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16 * (findings.size() + literals.size()));
        int copied = 0;
        int f = 0;
        int l = 0;
        while (f < findings.size() || l < literals.size()) {
            boolean findingFirst = l == literals.size() || (f < findings.size() && findings.get(f).start() < literals.get(l)[0]);
            if (findingFirst) {
                Finding finding = findings.get(f++);
                String value = text.substring(finding.start(), finding.end());
                out.append(text, copied, finding.start()).append(switch (policy.mode(finding.category())) {
                    case MASK -> Placeholders.mask(finding.category());
                    case TOKENIZE -> issuer.token(finding.category(), value);
                    case ALLOW, BLOCK -> throw new IllegalStateException(
                            "a " + finding.category().wire() + " finding under mode " + policy.mode(finding.category()).wire() + ". Indicates a bug.");
                });
                copied = finding.end();
            } else {
                int[] literal = literals.get(l++);
                String shape = text.substring(literal[0], literal[1]);
                if (issuer.issued(shape)) {
                    out.append(text, copied, literal[0]).append(issuer.escape(shape));
                    copied = literal[1];
                }
            }
        }
        return out.append(text, copied, text.length()).toString();
    }

    private void collect(JsonNode node, List<Scan> scans, List<Known> known) {
        if (node.isString()) {
            scans.add(scan(node.stringValue(), known));
        } else if (node.isIntegralNumber()) {
            scans.add(scan(node.asString(), known));
        } else if (node.isObject() || node.isArray()) {
            node.values().forEach(child -> collect(child, scans, known));
        }
    }

    private JsonNode rebuild(JsonNode node, Iterator<Scan> scans, TokenVault.Issuer issuer) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (node.isString()) {
            Scan s = scans.next();
            return f.stringNode(apply(s.text(), s, issuer));
        }
        if (node.isIntegralNumber()) {
            Scan s = scans.next();
            return s.findings().isEmpty() ? node.deepCopy() : f.stringNode(apply(s.text(), s, issuer));
        }
        if (node.isObject()) {
            ObjectNode out = f.objectNode();
            node.properties().forEach(e -> out.set(e.getKey(), rebuild(e.getValue(), scans, issuer)));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = f.arrayNode();
            node.values().forEach(v -> out.add(rebuild(v, scans, issuer)));
            return out;
        }
        return node.deepCopy();
    }
}
