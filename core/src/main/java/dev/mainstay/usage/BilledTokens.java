package dev.mainstay.usage;

import dev.mainstay.provider.ProviderOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The token counts a model call is charged for. A provider's own counts are taken as they are
 * when they are plausible. A count that is missing or not a whole number
 * ({@link ProviderOutcome.Success#UNREPORTED}), negative, or larger than the call could have used
 * is replaced by the estimate the call's budget reservation made: the prompt as Mainstay counts
 * it, and the stage's {@code max_output_tokens} for the answer (or the answer's own length, when
 * that is more). Such a charge has basis {@link Charge.Basis#ESTIMATED} and a note naming what the
 * provider reported, so the call is still recorded and budgets stay conservative whatever the
 * provider says.
 *
 * @param note why the counts were estimated, naming the provider's values; {@code null} when reported
 */
public record BilledTokens(long input, long cachedInput, long output, Charge.Basis basis, String note) {
    /** A call that got no answer: nothing was reported and nothing is charged. */
    public static final BilledTokens NONE = new BilledTokens(0, 0, 0, Charge.Basis.REPORTED, null);

    /**
     * How many times the estimate a believable count may be. Estimates err high for most models
     * and are exact for OpenAI's; a provider adds a few hundred tokens of its own at most (tool
     * instructions, chat formatting). Ten times, plus {@link #SLACK}, is far beyond either.
     */
    static final long FACTOR = 10;

    /** Tokens allowed above {@link #FACTOR} times the estimate, so that tiny prompts keep room for a provider's own additions. */
    static final long SLACK = 10_000;

    public BilledTokens {
        if (input < 0 || cachedInput < 0 || output < 0 || cachedInput > input) {
            throw new IllegalArgumentException("billed tokens must be non-negative with cached within input, got input " + input
                    + ", cached " + cachedInput + ", output " + output + ". Indicates a bug.");
        }
        if ((basis == Charge.Basis.ESTIMATED) != (note != null)) {
            throw new IllegalArgumentException("an estimated charge, and only one, carries a note. Indicates a bug.");
        }
    }

    /**
     * The counts to charge for an answered call.
     *
     * @param reportedInput every prompt token as the provider reported it, or {@link ProviderOutcome.Success#UNREPORTED}
     * @param reportedCached the prompt tokens it served from its cache, likewise
     * @param reportedOutput the answer's tokens, likewise
     * @param maxOutputTokens the most the call was allowed to answer
     * @param estimatedInput the prompt counted as the reservation counts it; asked only when needed
     * @param visibleOutput the tokens of the answer's text as Mainstay counts them; asked only when needed
     */
    public static BilledTokens of(long reportedInput, long reportedCached, long reportedOutput, int maxOutputTokens,
                                  LongSupplier estimatedInput, LongSupplier visibleOutput) {
        List<String> unusable = new ArrayList<>(2);
        long input = reportedInput;
        long estimate = -1;
        if (reportedInput <= 0) {
            // Every call sends at least its instructions, so a prompt of no tokens is not one either.
            unusable.add("prompt tokens " + shown(reportedInput));
        } else if (reportedInput > SLACK) {
            // At or below SLACK every count is plausible, so the prompt is only counted above it.
            estimate = estimatedInput.getAsLong();
            if (reportedInput > plausible(estimate)) {
                unusable.add("prompt tokens " + reportedInput + ", more than " + plausible(estimate) + " for a prompt of about " + estimate);
            }
        }
        boolean inputEstimated = !unusable.isEmpty();
        if (inputEstimated) {
            input = estimate >= 0 ? estimate : estimatedInput.getAsLong();
        }
        long output = reportedOutput;
        int before = unusable.size();
        if (reportedOutput < 0) {
            unusable.add("answer tokens " + shown(reportedOutput));
        } else if (reportedOutput > plausible(maxOutputTokens)) {
            unusable.add("answer tokens " + reportedOutput + ", more than " + plausible(maxOutputTokens) + " for max_output_tokens " + maxOutputTokens);
        }
        if (unusable.size() > before) {
            output = Math.max(maxOutputTokens, visibleOutput.getAsLong());
        }
        // Cached tokens are a part of the prompt's; a count that is not stays unbilled at the
        // cached price, which bills those tokens at the full input price instead.
        long cached = inputEstimated || reportedCached < 0 || reportedCached > input ? 0 : reportedCached;
        if (unusable.isEmpty()) {
            return new BilledTokens(input, cached, output, Charge.Basis.REPORTED, null);
        }
        return new BilledTokens(input, cached, output, Charge.Basis.ESTIMATED,
                "the provider reported " + String.join(" and ", unusable) + "; charged " + input + " prompt and " + output + " answer tokens as estimated");
    }

    private static long plausible(long estimate) {
        return Math.addExact(Math.multiplyExact(Math.max(estimate, 0), FACTOR), SLACK);
    }

    private static String shown(long reported) {
        return reported == ProviderOutcome.Success.UNREPORTED ? "missing or not a usable whole number" : Long.toString(reported);
    }
}
