package dev.mainstay.property;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * The random source of one generated case of a {@link Property}: every value the case uses comes
 * from here, so the seed alone makes the case again. What the property passes to
 * {@link #draw(String, Function)} is its case: a failure prints it with the seed.
 *
 * <p>Numbers and sizes are not uniform: a draw in a range gives an edge (either bound, one inside
 * either bound, or zero) about one time in eight, and a value near the lower bound (log-uniform
 * over the range's magnitudes) three times in eight, so empty lists, zeros and the extremes come
 * up in every few dozen cases whatever the range.
 */
public final class SeededRandom implements RandomGenerator {
    public static final String LOWERCASE = "abcdefghijklmnopqrstuvwxyz";
    public static final String UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    public static final String DIGITS = "0123456789";

    private final long seed;
    private final SplittableRandom source;
    private final List<String> drawn = new ArrayList<>();

    public SeededRandom(long seed) {
        this.seed = seed;
        this.source = new SplittableRandom(seed);
    }

    public long seed() {
        return seed;
    }

    @Override
    public long nextLong() {
        return source.nextLong();
    }

    /**
     * Generates part of the case and keeps it, under {@code name}, for the failure message.
     * Values are written down as drawn, before the property can change them.
     */
    public <T> T draw(String name, Function<? super SeededRandom, ? extends T> generator) {
        T value = generator.apply(this);
        drawn.add(name + " = " + value);
        return value;
    }

    /** The values drawn so far, as {@code name = value} lines. */
    List<String> drawn() {
        return List.copyOf(drawn);
    }

    /** A number from {@code min} to {@code max}, both included; edges and small offsets more often than uniform. */
    public long longBetween(long min, long max) {
        if (min > max) {
            throw new IllegalArgumentException("min " + min + " is above max " + max);
        }
        long span = max - min; // read as unsigned: exact even for the whole range of long
        return switch (nextInt(8)) {
            case 0 -> edge(min, max);
            case 1, 2, 3 -> {
                int bits = 64 - Long.numberOfLeadingZeros(span);
                int magnitude = nextInt(bits + 1);
                long cap = magnitude == 64 ? -1L : (1L << magnitude) - 1;
                yield min + offset(Long.compareUnsigned(cap, span) < 0 ? cap : span);
            }
            default -> min + offset(span);
        };
    }

    /** As {@link #longBetween(long, long)}. */
    public int intBetween(int min, int max) {
        return (int) longBetween(min, max);
    }

    /** One of {@code values}, each as likely. */
    public <T> T pick(List<? extends T> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("nothing to pick from");
        }
        return values.get(nextInt(values.size()));
    }

    /** One of {@code values}, each as likely. */
    @SafeVarargs
    public final <T> T pick(T... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("nothing to pick from");
        }
        return values[nextInt(values.length)];
    }

    /** One constant of {@code type}, each as likely. */
    public <E extends Enum<E>> E pick(Class<E> type) {
        return pick(type.getEnumConstants());
    }

    /** The value of one of {@code generators}, each as likely to be chosen. */
    @SafeVarargs
    public final <T> T oneOf(Function<? super SeededRandom, ? extends T>... generators) {
        if (generators.length == 0) {
            throw new IllegalArgumentException("no generator to choose from");
        }
        return generators[nextInt(generators.length)].apply(this);
    }

    /** A list of {@code minSize} to {@code maxSize} elements; short and empty lists come up often. */
    public <T> List<T> list(int minSize, int maxSize, Function<? super SeededRandom, ? extends T> element) {
        int size = intBetween(minSize, maxSize);
        List<T> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(element.apply(this));
        }
        return out;
    }

    /** {@code minSize} to {@code maxSize} different elements of {@code values} (at most all of them), in random order. */
    public <T> List<T> distinct(List<? extends T> values, int minSize, int maxSize) {
        List<T> shuffled = new ArrayList<>(values);
        for (int i = shuffled.size() - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            T swap = shuffled.get(i);
            shuffled.set(i, shuffled.get(j));
            shuffled.set(j, swap);
        }
        return new ArrayList<>(shuffled.subList(0, intBetween(minSize, Math.min(maxSize, shuffled.size()))));
    }

    /** A string of {@code minLength} to {@code maxLength} characters of {@code alphabet}, each as likely. */
    public String string(int minLength, int maxLength, String alphabet) {
        int[] chars = alphabet.codePoints().toArray();
        int length = intBetween(minLength, maxLength);
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.appendCodePoint(chars[nextInt(chars.length)]);
        }
        return out.toString();
    }

    /**
     * A string of {@code minLength} to {@code maxLength} UTF-16 units of any value, lone surrogates
     * and control characters included; one in four is ASCII.
     */
    public String anyString(int minLength, int maxLength) {
        int length = intBetween(minLength, maxLength);
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) (nextInt(4) == 0 ? nextInt(0x80) : nextInt(0x1_0000)));
        }
        return out.toString();
    }

    private long edge(long min, long max) {
        List<Long> edges = new ArrayList<>(List.of(min, max));
        if (min != max) {
            edges.add(min + 1);
            edges.add(max - 1);
        }
        if (min < 0 && max > 0) {
            edges.add(0L);
        }
        return pick(edges);
    }

    /** Uniform from 0 to {@code span}, both included, {@code span} read as unsigned. */
    private long offset(long span) {
        if (span == -1L) {
            return nextLong();
        }
        if (span >= 0 && span < Long.MAX_VALUE) {
            return nextLong(span + 1);
        }
        while (true) {
            long candidate = nextLong();
            if (Long.compareUnsigned(candidate, span) <= 0) {
                return candidate;
            }
        }
    }

    /** The seed as {@code mainstay.seed} takes it: 16 hexadecimal digits. */
    static String format(long seed) {
        return "%016x".formatted(seed);
    }

    /** Reads a seed as {@link #format(long)} writes it; a leading {@code 0x} is allowed. */
    static long parse(String text) {
        String digits = text.strip();
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            digits = digits.substring(2);
        }
        try {
            return Long.parseUnsignedLong(digits, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mainstay.seed '" + text + "' is not a seed: expected up to 16 hexadecimal digits as a failure prints them", e);
        }
    }

    @Override
    public String toString() {
        return "seed " + format(seed);
    }
}
