package dev.mainstay.evals;

import tools.jackson.core.JsonPointer;
import tools.jackson.databind.JsonNode;

/**
 * Where in a job's output a scorer looks: an RFC 6901 JSON Pointer ({@code /points/0}), written
 * in a suite as {@code pointer: /points/0} or, for a top-level field, {@code field: points}.
 * The empty pointer is the whole output.
 */
record OutputPointer(String pointer) {
    static final OutputPointer WHOLE = new OutputPointer("");

    OutputPointer {
        JsonPointer.compile(pointer); // throws IllegalArgumentException on a malformed pointer
    }

    static OutputPointer field(String name) {
        return new OutputPointer("/" + name.replace("~", "~0").replace("/", "~1"));
    }

    /** The value at this pointer; a missing node when there is none. */
    JsonNode read(JsonNode document) {
        return document == null ? tools.jackson.databind.node.MissingNode.getInstance() : document.at(JsonPointer.compile(pointer));
    }

    /**
     * The value at this pointer in the observed output, or, when there is none, empty with
     * {@link #absent} saying why.
     */
    JsonNode read(Evidence e) {
        return e.observed().hasOutput() ? read(e.observed().output()) : tools.jackson.databind.node.MissingNode.getInstance();
    }

    /** The score 0 for a scorer that found nothing here. */
    Score.Scored absent(Evidence e) {
        Observation o = e.observed();
        if (!o.hasOutput()) {
            return Score.Scored.fail("the job has no output (status " + o.status() + (o.errorCode() == null ? "" : ", " + o.errorCode()) + ")");
        }
        return Score.Scored.fail("the output has no value at " + display());
    }

    /** How messages name it: the pointer, or {@code the output} for the whole. */
    String display() {
        return pointer.isEmpty() ? "the output" : pointer;
    }

    @Override
    public String toString() {
        return pointer.isEmpty() ? "/" : pointer;
    }
}
