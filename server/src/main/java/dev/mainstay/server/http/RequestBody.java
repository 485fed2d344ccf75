package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a JSON request body within the configured limits: a JSON content type, at most
 * {@code max_body_bytes} (413, declared or streamed; a chunked body is refused at the first chunk
 * size that passes the limit), well-formed UTF-8, and no deeper nesting or longer strings than
 * {@code max_json_depth} and {@code max_string_length} allow (400).
 */
final class RequestBody {
    private final long maxBytes;
    private final int maxDepth;
    private final int maxStringLength;
    private final JsonMapper mapper;

    RequestBody(long maxBytes, int maxDepth, int maxStringLength) {
        this.maxBytes = maxBytes;
        this.maxDepth = maxDepth;
        this.maxStringLength = maxStringLength;
        this.mapper = Json.mapper(maxDepth, maxStringLength);
    }

    /** A JSON body as received (its bytes, for a signature over them) and as parsed. */
    record Raw(byte[] bytes, JsonNode json) {
    }

    JsonNode json(ServerRequest req) {
        return raw(req).json();
    }

    /** Reads the body as {@link #json} does, keeping its bytes. */
    Raw raw(ServerRequest req) {
        Optional<String> contentType = req.headers().first(HeaderNames.CONTENT_TYPE);
        String type = contentType.map(t -> t.split(";", 2)[0].strip().toLowerCase(Locale.ROOT)).orElse("");
        if (!(type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json")))) {
            throw refuse(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "the body must be JSON: send 'Content-Type: application/json'"
                    + (type.isEmpty() ? " (no Content-Type was sent)" : " (got '" + printable(type) + "')"));
        }
        OptionalLong declared;
        try {
            declared = req.headers().contentLength();
        } catch (RuntimeException e) {
            throw refuse(ErrorCode.INVALID_INPUT, "the Content-Length header is not a number");
        }
        // A body refused unread, or read only in part, leaves the connection mid-stream: it closes
        // after the answer rather than reading on through bytes nobody wants.
        if (declared.isPresent() && declared.getAsLong() > maxBytes) {
            throw closing(refuse(ErrorCode.PAYLOAD_TOO_LARGE, "the body is " + declared.getAsLong() + " bytes; the limit is " + maxBytes + " bytes"));
        }
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes((int) maxBytes + 1);
        } catch (IOException | RuntimeException e) {
            BodyRefusedException refused = refusal(e);
            throw closing(refused != null ? refuse(refused.code(), refused.getMessage()) : refuse(ErrorCode.INVALID_INPUT, "the request body could not be read"));
        }
        if (bytes.length > maxBytes) {
            throw closing(refuse(ErrorCode.PAYLOAD_TOO_LARGE, "the body is larger than the limit of " + maxBytes + " bytes"));
        }
        if (bytes.length == 0) {
            throw refuse(ErrorCode.INVALID_INPUT, "the request body is empty; send a JSON object");
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw refuse(ErrorCode.INVALID_INPUT, "the body is not valid UTF-8");
        }
        try {
            JsonNode node = mapper.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw refuse(ErrorCode.INVALID_INPUT, "the request body is empty; send a JSON object");
            }
            return new Raw(bytes, node);
        } catch (StreamConstraintsException e) {
            String what = String.valueOf(e.getOriginalMessage()).toLowerCase(Locale.ROOT);
            throw refuse(ErrorCode.INVALID_INPUT, what.contains("nesting")
                    ? "the JSON body is nested too deeply (at most " + maxDepth + " levels)"
                    : what.contains("number")
                    ? "the JSON body has a number with too many digits"
                    : "the JSON body has a string or field name that is too long (strings: at most " + maxStringLength + " characters)");
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage().split("\n", 2)[0];
            var loc = e.getLocation();
            throw refuse(ErrorCode.INVALID_INPUT, "the body is not valid JSON" + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")")
                    + ": " + printable(msg));
        }
    }

    private static ApiException closing(ApiException e) {
        return e.withHeader("Connection", "close");
    }

    /** The transport's refusal of this body, when that is why reading it failed. */
    private static BodyRefusedException refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BodyRefusedException refused) {
                return refused;
            }
        }
        return null;
    }

    /** At most 200 characters of {@code text}, for echoing client input back in a detail. */
    private static String printable(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
