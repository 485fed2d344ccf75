package dev.mainstay.server.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A reader of the Prometheus text exposition format (version 0.0.4), strict enough that a
 * malformed line fails the test that reads it: {@code # HELP}/{@code # TYPE} comments, samples
 * with escaped label values, optional timestamps. Tests look values up by name and labels.
 */
public final class PrometheusText {
    /** One sample: its full name (with {@code _total}, {@code _bucket}… suffixes), labels and value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 4 && parts[1].equals("TYPE")) {
                    if (types.put(parts[2], parts[3]) != null) {
                        throw new IllegalArgumentException("line " + lineNo + ": a second TYPE for " + parts[2]);
                    }
                }
                continue;
            }
            samples.add(sample(line, lineNo));
        }
        return new PrometheusText(List.copyOf(samples), Map.copyOf(types));
    }

    private static Sample sample(String line, int lineNo) {
        int i = 0;
        while (i < line.length() && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_' || line.charAt(i) == ':')) {
            i++;
        }
        String name = line.substring(0, i);
        if (name.isEmpty() || Character.isDigit(name.charAt(0))) {
            throw new IllegalArgumentException("line " + lineNo + ": no metric name in '" + line + "'");
        }
        Map<String, String> labels = new TreeMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                if (!label.matches("[a-zA-Z_][a-zA-Z0-9_]*") || line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("line " + lineNo + ": bad label '" + label + "' in '" + line + "'");
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        value.append(switch (next) {
                            case 'n' -> '\n';
                            case '\\' -> '\\';
                            case '"' -> '"';
                            default -> throw new IllegalArgumentException("line " + lineNo + ": bad escape \\" + next);
                        });
                    } else {
                        value.append(c);
                    }
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new IllegalArgumentException("line " + lineNo + ": label " + label + " twice");
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new IllegalArgumentException("line " + lineNo + ": no value in '" + line + "'");
        }
        String[] rest = line.substring(i + 1).split(" ");
        double value = switch (rest[0]) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(rest[0]);
        };
        return new Sample(name, Map.copyOf(labels), value);
    }

    public List<Sample> samples() {
        return samples;
    }

    /** The declared type of a metric family ({@code counter}, {@code histogram}…), or null. */
    public String type(String family) {
        return types.get(family);
    }

    /** The metric families declared with {@code # TYPE}. */
    public java.util.Set<String> families() {
        return types.keySet();
    }

    /**
     * The one sample named {@code name} whose labels include {@code labels} (given as name,
     * value pairs); 0 when there is none, since an untouched counter is absent, not zero.
     * More than one match is an error: the test asked an ambiguous question.
     */
    public double value(String name, String... labels) {
        List<Sample> found = matching(name, labels);
        if (found.size() > 1) {
            throw new IllegalArgumentException(found.size() + " samples match " + name + " " + List.of(labels) + ": " + found);
        }
        return found.isEmpty() ? 0 : found.getFirst().value();
    }

    /** The sum of every sample named {@code name} whose labels include {@code labels}. */
    public double sum(String name, String... labels) {
        return matching(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    public List<Sample> matching(String name, String... labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs: " + List.of(labels));
        }
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean all = true;
            for (int k = 0; k < labels.length; k += 2) {
                all &= Objects.equals(s.labels().get(labels[k]), labels[k + 1]);
            }
            if (all) {
                out.add(s);
            }
        }
        return out;
    }
}
