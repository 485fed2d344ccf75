package dev.mainstay.redaction;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * One stretch of text to redact: a group of detections that overlap one another, replaced as a
 * whole so that no detected character survives. It is labelled with the category of its longest
 * detection, the earlier {@link Category} on a tie, the leftmost after that.
 *
 * @param detected how many values of each category the stretch holds. A detection inside a longer
 *     one is part of that value, not a value of its own (the national part of an international
 *     phone number, digits inside an IBAN that look like a phone number); of detections of one
 *     category that partly overlap, as many are counted as can be picked without overlap. A
 *     policy that blocks any counted category refuses the content, even when another category
 *     labels the stretch.
 */
record Finding(int start, int end, Category category, Map<Category, Integer> detected) {
    private static final Comparator<Span> WINNER = Comparator.comparingInt(Span::length).reversed()
            .thenComparing(Span::category)
            .thenComparingInt(Span::start);

    /** Groups overlapping spans (sharing at least one character) into findings, left to right. */
    static List<Finding> resolve(List<Span> spans) {
        if (spans.isEmpty()) {
            return List.of();
        }
        List<Span> sorted = new ArrayList<>(new HashSet<>(spans));
        sorted.sort(Comparator.comparingInt(Span::start).thenComparing(Comparator.comparingInt(Span::end).reversed()));
        List<Finding> out = new ArrayList<>();
        List<Span> group = new ArrayList<>();
        int groupEnd = -1;
        for (Span s : sorted) {
            if (!group.isEmpty() && s.start() >= groupEnd) {
                out.add(of(group));
                group.clear();
            }
            group.add(s);
            groupEnd = Math.max(groupEnd, s.end());
        }
        out.add(of(group));
        return out;
    }

    private static Finding of(List<Span> group) {
        Span winner = group.stream().min(WINNER).orElseThrow();
        int start = group.getFirst().start();
        int end = group.stream().mapToInt(Span::end).max().orElseThrow();
        // Count values, not detections: drop what lies inside a longer detection (or inside one
        // as long, of an earlier category), then count the most detections of each category that
        // do not overlap one another (two glued card numbers can also match across their
        // junction; that is still two cards). Both in n log n: a chain of overlapping detections
        // can span a whole hostile text.
        List<Span> byStart = new ArrayList<>(group);
        byStart.sort(Comparator.comparingInt(Span::start).thenComparing(Comparator.comparingInt(Span::end).reversed()).thenComparing(Span::category));
        List<Span> kept = new ArrayList<>();
        int maxEnd = -1;
        for (Span s : byStart) {
            if (s.end() > maxEnd) {
                kept.add(s);
            }
            maxEnd = Math.max(maxEnd, s.end());
        }
        kept.sort(Comparator.comparingInt(Span::end));
        Map<Category, Integer> detected = new EnumMap<>(Category.class);
        Map<Category, Integer> lastEnd = new EnumMap<>(Category.class);
        for (Span s : kept) {
            if (s.start() >= lastEnd.getOrDefault(s.category(), -1)) {
                detected.merge(s.category(), 1, Integer::sum);
                lastEnd.put(s.category(), s.end());
            }
        }
        return new Finding(start, end, winner.category(), detected);
    }
}
