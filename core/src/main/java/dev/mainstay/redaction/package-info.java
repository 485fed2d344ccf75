/**
 * Redaction of sensitive values in content before it leaves Mainstay for a provider, and their
 * restoration in the answer.
 *
 * <p>The public types: {@link dev.mainstay.redaction.RedactionPolicy} (a workflow's
 * {@code redact} block: a {@link dev.mainstay.redaction.Mode} per
 * {@link dev.mainstay.redaction.Category}), {@link dev.mainstay.redaction.ProviderDataPolicy} (what
 * a provider may receive in the clear), {@link dev.mainstay.redaction.Redactor} (applies a policy
 * to a string or a JSON tree), {@link dev.mainstay.redaction.Redaction} (the result: content,
 * {@link dev.mainstay.redaction.TokenVault}, {@link dev.mainstay.redaction.Report}) and
 * {@link dev.mainstay.redaction.RedactionBlockedException}.
 *
 * <h2>Detection</h2>
 *
 * Detectors read a normalised view of the text:
 * Unicode NFKC, every decimal digit of any script as its ASCII digit, every space separator
 * (no-break, thin, figure, ideographic...) as a space, every dash (en, em, non-breaking hyphen,
 * minus sign...) as {@code -}, invisible format characters (zero-width spaces, soft hyphens,
 * direction marks) left out. What a detector finds in the view replaces the original characters
 * behind it, so a placeholder restores the value exactly as it was written.
 *
 * <p>Each category has one detector, a precompiled pattern tried only where a value can start,
 * followed by a check (Luhn, mod 97, ranges, IPv6 grammar, a phone number's validity). Rules in
 * brief (the detector classes say more):
 *
 * <ul>
 *   <li>{@code secret}: {@code sk-...} (OpenAI, Anthropic), {@code AKIA}/{@code ASIA} key ids,
 *       GitHub {@code ghp_}/{@code gho_}/{@code ghu_}/{@code ghs_}/{@code ghr_}/{@code github_pat_},
 *       Slack {@code xox[abpr]-}, Google {@code AIza}, JWTs ({@code eyJ...eyJ...}), the credential
 *       of an {@code Authorization: Bearer|Basic|Token} header, PEM private key blocks.
 *   <li>{@code card}: 13–19 digits starting 2–6, Luhn-valid, compact or printed in groups
 *       (4-4-4-4, 4-4-4-4-3, 4-6-5, 4-6-4) with spaces or dashes of any kind.
 *   <li>{@code iban}: registry country code and length, check digits 02–98, mod 97 = 1; compact
 *       or in groups of four.
 *   <li>{@code ssn}: {@code ddd-dd-dddd} without area 000, 666, 9xx, group 00, serial 0000.
 *   <li>{@code ip}: IPv4 (octets up to 255; a four-part version number such as 1.2.3.4 counts as
 *       an address) and IPv6 (RFC 4291 text forms; a compressed one needs a decimal digit).
 *   <li>{@code email}: RFC 6531 addresses: a local part of letters, marks and digits of any
 *       script and the punctuation names carry ({@code o'neil}, {@code café.owner}), host labels
 *       of any script, a top-level domain of letters or punycode.
 *   <li>{@code phone}: at least 7 digits and a phone's shape: international with {@code +},
 *       North American, trunk-prefixed national ({@code 0...}, 9–13 digits), or a bare run of
 *       7–15 digits right after a phone word ({@code tel}, {@code phone}, {@code call}...); and
 *       the international numbers Google's libphonenumber finds valid, whatever their
 *       punctuation. A bare run of digits alone is never a phone: it is as likely an order number.
 * </ul>
 *
 * No value is detected inside a longer number. Most are not detected inside a word either:
 * detectors refuse to start right after a letter or digit (and, depending on the shape, a dot or
 * dash) and to end right before one. Three categories are found glued to words, where the
 * evidence allows: a card (its Luhn check, and a word of at least two letters, not a hexadecimal
 * run: {@code card4012888888881881end}), a phone (a phone word right before it, or a number
 * libphonenumber finds valid: {@code phone+14155550188x}), an email (the {@code @} and a domain).
 * PEM private key blocks are found wherever they start.
 *
 * <h2>The job's vault</h2>
 *
 * A job has one {@link dev.mainstay.redaction.TokenVault}, derived before each prompt from what
 * the job has durably recorded ({@link dev.mainstay.redaction.Redactor#jobVault}): a value gets
 * the same placeholder in every stage, on every node, after any restart, and a value it holds is
 * replaced wherever a later prompt shows it, even where no detector would find it again. Nothing
 * about it is stored. Only tokenized categories have tokens in it: nothing can restore a masked
 * or blocked value.
 *
 * <h2>Overlaps</h2>
 *
 * Detections that share a character are replaced together, as one stretch, so that no detected
 * character survives; the stretch is labelled by its longest detection, and among equally long
 * ones by the category declared first in {@link dev.mainstay.redaction.Category} (secret, card,
 * iban, ssn, ip, email, phone). The {@link dev.mainstay.redaction.Report} counts values: a
 * detection inside a longer one is not counted on its own.
 *
 * <h2>Replacements</h2>
 *
 * A mask is {@code [EMAIL]}; a token is {@code [[EMAIL_1]]}, numbered per label in order of first
 * appearance within a job (its input, then its stages' outputs, then the prompt). Token-shaped
 * text already in the content is never issued as a token, so restoring never turns the user's own
 * text into a value. Redacting twice finds nothing new
 * when values are separated from their neighbours by whitespace or punctuation; a value glued to
 * another one (no separator) may only be found once its neighbour is replaced.
 */
package dev.mainstay.redaction;
