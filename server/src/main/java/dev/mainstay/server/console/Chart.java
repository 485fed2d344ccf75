package dev.mainstay.server.console;

import dev.mainstay.stats.JobStats;
import java.util.List;
import java.util.Locale;

/**
 * The console's charts, drawn on the server as SVG: the overview's finished jobs per time bucket
 * as stacked bars (completed, degraded, failed), a workflow's eval quality, and spend against a
 * budget. Colours are presentation attributes, not styles, so the content
 * security policy needs no {@code unsafe-inline}; a title on each bar gives its numbers in words.
 */
final class Chart {
    private static final int WIDTH = 720;
    private static final int HEIGHT = 160;

    private Chart() {
    }

    static String finished(List<JobStats.Bucket> series) {
        long max = Math.max(1, series.stream().mapToLong(b -> b.completed() + b.degraded() + b.failed()).max().orElse(1));
        int n = Math.max(1, series.size());
        double slot = (double) WIDTH / n;
        double bar = Math.max(1, Math.min(slot * 0.8, 28));
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT + 20)
                .append("\" role=\"img\" aria-labelledby=\"chart-title\" class=\"chart\"><title id=\"chart-title\">Finished jobs per ")
                .append("bucket: completed, degraded, failed</title>");
        svg.append("<line x1=\"0\" y1=\"").append(HEIGHT).append("\" x2=\"").append(WIDTH).append("\" y2=\"").append(HEIGHT).append("\" stroke=\"#9aa3ad\"/>");
        for (int i = 0; i < series.size(); i++) {
            JobStats.Bucket b = series.get(i);
            double x = i * slot + (slot - bar) / 2;
            double y = HEIGHT;
            svg.append("<g><title>").append(b.start()).append(": ").append(b.completed()).append(" completed, ").append(b.degraded()).append(" degraded, ")
                    .append(b.failed()).append(" failed</title>");
            for (long[] part : new long[][] {{b.completed(), 0}, {b.degraded(), 1}, {b.failed(), 2}}) {
                double h = (double) HEIGHT * part[0] / max;
                if (h <= 0) {
                    continue;
                }
                y -= h;
                String fill = part[1] == 0 ? "#2e8b57" : part[1] == 1 ? "#d49a00" : "#c0392b";
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", x, y, bar, h, fill));
            }
            svg.append("</g>");
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"12\" fill=\"#5a6472\">%s</text>", HEIGHT + 15,
                series.isEmpty() ? "" : series.getFirst().start().toString()));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#5a6472\" text-anchor=\"end\">max %d per bucket</text>", WIDTH, HEIGHT + 15, max));
        return svg.append("</svg>").toString();
    }

    /** A workflow's quality score (0 to 1) over its eval runs, oldest first, as a line with a dot per run. */
    static String quality(List<double[]> points) {
        int n = points.size();
        double step = n <= 1 ? 0 : (double) (WIDTH - 20) / (n - 1);
        StringBuilder path = new StringBuilder();
        StringBuilder dots = new StringBuilder();
        for (int i = 0; i < n; i++) {
            double x = 10 + i * step;
            double y = 10 + (HEIGHT - 20) * (1 - Math.max(0, Math.min(1, points.get(i)[1])));
            path.append(i == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
            dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#1f5fbf\"><title>run %d: quality %.3f</title></circle>", x, y, i + 1,
                    points.get(i)[1]));
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + WIDTH + " " + HEIGHT + "\" role=\"img\" class=\"chart\"><title>Quality score of each eval run, "
                + "0 at the bottom, 1 at the top</title><line x1=\"0\" y1=\"" + (HEIGHT - 10) + "\" x2=\"" + WIDTH + "\" y2=\"" + (HEIGHT - 10) + "\" stroke=\"#9aa3ad\"/>"
                + "<path d=\"" + path + "\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\"/>" + dots + "</svg>";
    }

    /** One day's figure of a budget chart: {@code label} is how the page writes {@code value}. */
    record Point(String day, long value, String label) {
    }

    /**
     * Spend over a budget's period, a dot per day joined by a line, against the budget as a dashed
     * line when one is set. The budget line and every dot carry their figure as written on the page
     * ({@code data-value}) and a title in words; the page gives the same figures as a table, the
     * chart's text alternative.
     *
     * @param id the chart's element id, unique on the page
     * @param title what the chart shows, in words (its accessible name)
     * @param limit the budget, or {@code null} when none is set
     * @param limitLabel how the page writes {@code limit}
     */
    static String budget(String id, String title, List<Point> points, Long limit, String limitLabel) {
        long top = Math.max(1, Math.max(limit == null ? 0 : limit, points.stream().mapToLong(Point::value).max().orElse(0)));
        // Headroom above the higher of the budget and the spend, so that neither sits on the frame.
        double scale = (HEIGHT - 20) / (top * 1.1);
        int n = points.size();
        double step = n <= 1 ? 0 : (double) (WIDTH - 40) / (n - 1);
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT + 20).append("\" role=\"img\" id=\"")
                .append(id).append("\" aria-labelledby=\"").append(id).append("-title\" class=\"chart budget-chart\"><title id=\"").append(id).append("-title\">")
                .append(escape(title)).append("</title>");
        svg.append("<line x1=\"0\" y1=\"").append(HEIGHT).append("\" x2=\"").append(WIDTH).append("\" y2=\"").append(HEIGHT).append("\" stroke=\"#9aa3ad\"/>");
        if (limit != null) {
            double y = HEIGHT - limit * scale;
            svg.append(String.format(Locale.ROOT, "<line class=\"budget-line\" data-value=\"%s\" x1=\"0\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c0392b\" "
                    + "stroke-width=\"2\" stroke-dasharray=\"6 4\"><title>budget %s</title></line>", escape(limitLabel), y, WIDTH, y, escape(limitLabel)));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" fill=\"#c0392b\" text-anchor=\"end\">budget %s</text>", WIDTH,
                    Math.max(12, y - 4), escape(limitLabel)));
        }
        StringBuilder path = new StringBuilder();
        StringBuilder dots = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Point p = points.get(i);
            double x = 20 + i * step;
            double y = HEIGHT - p.value() * scale;
            path.append(i == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
            dots.append(String.format(Locale.ROOT, "<circle class=\"spend\" data-day=\"%s\" data-value=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#1f5fbf\">"
                    + "<title>%s: %s</title></circle>", p.day(), escape(p.label()), x, y, p.day(), escape(p.label())));
        }
        if (n > 1) {
            svg.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\"/>");
        }
        svg.append(dots);
        if (n > 0) {
            svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"12\" fill=\"#5a6472\">%s</text>", HEIGHT + 15, points.getFirst().day()));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#5a6472\" text-anchor=\"end\">%s</text>", WIDTH, HEIGHT + 15,
                    points.getLast().day()));
        }
        return svg.append("</svg>").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
