package dev.mainstay.access;

import java.time.Instant;

/** A tenant. Every job, key and usage record belongs to exactly one account. */
public record Account(String id, String name, String plan, Instant createdAt) {
}
