package dev.mainstay.bench;

import java.util.ArrayList;
import java.util.List;

/** A Markdown table built row by row. */
final class Table {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... header) {
        this.header = List.of(header);
    }

    Table row(Object... cells) {
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| ").append(String.join(" | ", header)).append(" |\n");
        sb.append("|").append("---|".repeat(header.size())).append("\n");
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return sb.toString();
    }

    static String num(double v) {
        return String.format(java.util.Locale.ROOT, v >= 100 ? "%,.0f" : "%.2f", v);
    }

    static String pct(double ratio) {
        return String.format(java.util.Locale.ROOT, "%.0f%%", ratio * 100);
    }

    static String ms(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.2f ms", nanos / 1e6);
    }
}
