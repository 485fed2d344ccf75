package dev.mainstay.store;

/**
 * What an erasure covers: one job, every job of an account, or every job whose declared subject
 * ({@code subject:} in the workflow) has a given value, named by its keyed digest (SubjectDigest).
 */
public sealed interface ErasureScope {
    /** The scope's kind as stored and shown: {@code job}, {@code account} or {@code subject}. */
    String kind();

    /** What the scope names as stored: a job id, an account id or a subject digest, never a subject value. */
    String target();

    /** The scope of a stored kind and target. */
    static ErasureScope of(String kind, String target) {
        return switch (kind) {
            case "job" -> new Job(target);
            case "account" -> new Account(target);
            case "subject" -> new Subject(target);
            default -> throw new IllegalArgumentException("unknown erasure scope '" + kind + "'. Indicates a bug.");
        };
    }

    record Job(String jobId) implements ErasureScope {
        @Override
        public String kind() {
            return "job";
        }

        @Override
        public String target() {
            return jobId;
        }
    }

    record Account(String accountId) implements ErasureScope {
        @Override
        public String kind() {
            return "account";
        }

        @Override
        public String target() {
            return accountId;
        }
    }

    record Subject(String digest) implements ErasureScope {
        @Override
        public String kind() {
            return "subject";
        }

        @Override
        public String target() {
            return digest;
        }
    }
}
