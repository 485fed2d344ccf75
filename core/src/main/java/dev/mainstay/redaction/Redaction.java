package dev.mainstay.redaction;

import tools.jackson.databind.JsonNode;

/**
 * The result of redacting one piece of content.
 *
 * @param value the content to send: a {@code String} or a {@code JsonNode}, with every value of a
 *     masked or tokenized category replaced
 * @param vault the job's vault extended by this redaction's tokens: pass it to the next
 *     redaction of the same job, and use it to restore the answer
 * @param report how many values of each category were found in this content
 * @param <T> {@code String} or {@code JsonNode}
 */
public record Redaction<T>(T value, TokenVault vault, Report report) {
    /** {@code output} with this redaction's (and earlier ones') tokens turned back into values. */
    public String restore(String output) {
        return vault.restore(output);
    }

    /** {@code output} with tokens restored in string values and keys. */
    public JsonNode restore(JsonNode output) {
        return vault.restore(output);
    }

    /** Shows the report and the size of the vault; never the content (an allowed category may be in it). */
    @Override
    public String toString() {
        return "Redaction[report=" + report + ", " + vault + "]";
    }
}
