package dev.mainstay.provider;

/** One chat message sent to a model. */
public record Message(Role role, String content) {
    /** Who speaks. */
    public enum Role {
        SYSTEM, USER, ASSISTANT;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static Message system(String content) { return new Message(Role.SYSTEM, content); }
    public static Message user(String content) { return new Message(Role.USER, content); }
    public static Message assistant(String content) { return new Message(Role.ASSISTANT, content); }
}
