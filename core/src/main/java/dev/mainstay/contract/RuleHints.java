package dev.mainstay.contract;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelExpr;
import dev.cel.parser.CelStandardMacro;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What rules say an answer's values must be drawn from, read the way a model reads its
 * instructions: {@code output.owner in input.attendees}, {@code output.items.all(i, i.owner in
 * input.attendees)}, {@code input.attendees.exists(a, a == output.owner)} bind an output field to
 * an input list; {@code output.team == input.team} to an input value. Output fields are named by
 * pointers with {@code *} for every item of a list ({@code /items/*}{@code /owner}), input fields
 * by their dotted path ({@code attendees}, {@code meeting.team}). A rule under a negation binds
 * nothing: it says where a value may not come from.
 */
final class RuleHints {
    private static final Cel PARSER = CelFactory.standardCelBuilder().setStandardMacros(CelStandardMacro.STANDARD_MACROS).build();

    /** An input field a value must be one of ({@code list}) or equal to. */
    record Source(String inputPath, boolean list) {
    }

    private RuleHints() {
    }

    /** Output pointer → where its value must come from, over every rule that parses. */
    static Map<String, Source> of(Iterable<String> rules) {
        Map<String, Source> out = new LinkedHashMap<>();
        for (String rule : rules) {
            try {
                walk(PARSER.parse(rule).getAst().getExpr(), new HashMap<>(), false, out);
            } catch (CelValidationException | RuntimeException unreadable) {
                // A rule the hints cannot read binds nothing; the contract still checks it.
            }
        }
        return out;
    }

    /** Where an identifier or selection points: an output pointer, an input path, or an item of an input list. */
    private record Ref(String output, String input, boolean inputItem) {
    }

    private static void walk(CelExpr e, Map<String, Ref> vars, boolean negated, Map<String, Source> out) {
        switch (e.getKind()) {
            case COMPREHENSION -> {
                var c = e.comprehension();
                Ref range = ref(c.iterRange(), vars);
                Map<String, Ref> inner = new HashMap<>(vars);
                if (range != null && range.output() != null) {
                    inner.put(c.iterVar(), new Ref(range.output() + "/*", null, false));
                } else if (range != null && range.input() != null && !range.inputItem()) {
                    inner.put(c.iterVar(), new Ref(null, range.input(), true));
                } else {
                    inner.remove(c.iterVar());
                }
                walk(c.loopStep(), inner, negated, out);
                walk(c.loopCondition(), inner, negated, out);
            }
            case CALL -> {
                var call = e.call();
                String f = call.function();
                if (f.equals("!_")) {
                    call.args().forEach(a -> walk(a, vars, !negated, out));
                    return;
                }
                if (!negated && call.args().size() == 2 && (f.equals("@in") || f.equals("_==_"))) {
                    Ref a = ref(call.args().get(0), vars);
                    Ref b = ref(call.args().get(1), vars);
                    bind(f, a, b, out);
                    if (f.equals("_==_")) {
                        bind(f, b, a, out);
                    }
                }
                call.target().ifPresent(t -> walk(t, vars, negated, out));
                call.args().forEach(a -> walk(a, vars, negated, out));
            }
            default -> {
                // constants, identifiers, selections, literals: nothing to bind
            }
        }
    }

    private static void bind(String f, Ref value, Ref source, Map<String, Source> out) {
        if (value == null || value.output() == null || source == null || source.input() == null) {
            return;
        }
        if (f.equals("@in") && !source.inputItem()) {
            out.putIfAbsent(value.output(), new Source(source.input(), true));
        } else if (f.equals("_==_")) {
            out.putIfAbsent(value.output(), new Source(source.input(), source.inputItem()));
        }
    }

    private static Ref ref(CelExpr e, Map<String, Ref> vars) {
        switch (e.getKind()) {
            case IDENT -> {
                String name = e.ident().name();
                return switch (name) {
                    case "output" -> new Ref("", null, false);
                    case "input" -> new Ref(null, "", false);
                    default -> vars.get(name);
                };
            }
            case SELECT -> {
                var s = e.select();
                if (s.testOnly()) {
                    return null;
                }
                Ref base = ref(s.operand(), vars);
                if (base == null || base.inputItem()) {
                    return null;
                }
                if (base.output() != null) {
                    return new Ref(base.output() + "/" + s.field().replace("~", "~0").replace("/", "~1"), null, false);
                }
                return new Ref(null, base.input().isEmpty() ? s.field() : base.input() + "." + s.field(), false);
            }
            default -> {
                return null;
            }
        }
    }
}
