package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;
import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.ApiKeys;
import dev.mainstay.access.Principal;
import dev.mainstay.access.WorkflowAccess;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.job.JobIds;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The operator's account and key endpoints: {@code POST /v1/admin/accounts} and
 * {@code /v1/admin/accounts/{account}/keys[/{key}]}. Admin keys only. A key's secret is in the
 * answer to its creation and nowhere else; every creation and revocation is audited.
 */
final class KeysResource implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(KeysResource.class);
    private static final Set<String> DEFAULT_ROLES = Set.of("member");

    private final Store store;
    private final Clock clock;
    private final JobIds ids;
    private final Authenticator auth;
    private final RequestBody bodies;
    private final AccountLimits newAccountLimits;

    /** @param newAccountLimits the limits every new account starts with ({@code limits.defaults}) */
    KeysResource(Store store, Clock clock, Authenticator auth, RequestBody bodies, AccountLimits newAccountLimits) {
        this.newAccountLimits = newAccountLimits;
        this.store = store;
        this.clock = clock;
        this.ids = new JobIds(clock);
        this.auth = auth;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/admin/accounts", handler(req -> createAccount(auth.admin(req), req)))
                .get("/v1/admin/accounts/{account}/keys", handler(req -> {
                    auth.admin(req);
                    return list(account(req));
                }))
                .post("/v1/admin/accounts/{account}/keys", handler(req -> create(auth.admin(req), account(req), req)))
                .delete("/v1/admin/accounts/{account}/keys/{key}", handler(req -> revoke(auth.admin(req), account(req), req.path().pathParameters().get("key"))));
    }

    private String account(ServerRequest req) {
        return account(store, req);
    }

    /** The account the path names ({@code {account}}), which must exist. */
    static String account(Store store, ServerRequest req) {
        String accountId = req.path().pathParameters().get("account");
        if (store.account(accountId).isEmpty()) {
            throw refuse(ErrorCode.NOT_FOUND, "no account '" + accountId + "'");
        }
        return accountId;
    }

    private Reply list(String accountId) {
        ArrayNode keys = Json.array();
        Instant now = clock.instant();
        store.apiKeys(accountId).forEach(k -> keys.add(view(k, now)));
        return Reply.json(200, Json.object().put("account", accountId).set("keys", keys));
    }

    private Reply create(Principal admin, String accountId, ServerRequest req) {
        JsonNode body = bodies.json(req);
        if (!body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        List<Violation> errors = new ArrayList<>();
        for (String field : body.propertyNames()) {
            if (!Set.of("name", "roles", "expires_at").contains(field)) {
                errors.add(new Violation(Json.pointer("", field), "unknown field (allowed: name, roles, expires_at)"));
            }
        }
        JsonNode name = body.get("name");
        if (name != null && !name.isNull() && (!name.isString() || name.stringValue().isBlank() || name.stringValue().length() > 200)) {
            errors.add(new Violation("/name", "must be a non-empty string of at most 200 characters"));
        }
        Set<String> roles = roles(body.get("roles"), errors);
        Instant expires = null;
        JsonNode e = body.get("expires_at");
        if (e != null && !e.isNull()) {
            expires = Timestamps.time(e.isString() ? e.stringValue().strip() : "").map(t -> t.truncatedTo(ChronoUnit.MILLIS)).orElse(null);
            if (expires == null) {
                errors.add(new Violation("/expires_at", "must be an RFC 3339 time with a four-digit year, such as 2027-01-31T00:00:00Z"));
            } else if (!expires.isAfter(now)) {
                errors.add(new Violation("/expires_at", "must be in the future (now is " + now + ")"));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the key request is not valid", errors);
        }
        String keyName = name == null || name.isNull() ? null : name.stringValue().strip();
        return Reply.json(201, issue(admin, accountId, keyName, roles, expires, now));
    }

    /** Makes a key, records it and returns its view with the secret (the only time it is shown). */
    private ObjectNode issue(Principal admin, String accountId, String name, Set<String> roles, Instant expires, Instant now) {
        String secret = ApiKeys.newSecret(false);
        ApiKey key = new ApiKey(ids.next("key"), accountId, ApiKeys.hash(secret), ApiKeys.prefix(secret), roles, false, now, name, expires, null);
        if (!store.addApiKey(key)) {
            throw new IllegalStateException("a fresh 160-bit secret collided with a stored key. Indicates a bug.");
        }
        ObjectNode details = Json.object().put("prefix", key.prefix()).put("name", name).put("expires_at", expires == null ? null : expires.toString());
        ArrayNode r = details.putArray("roles");
        key.roles().stream().sorted().forEach(r::add);
        store.audit(List.of(new AuditEvent(now, "key:" + admin.keyId(), AuditAction.KEY_CREATED, accountId, key.id(), details)));
        LOG.info("key {} ({}) of account {} created by {}", key.id(), key.prefix(), accountId, admin.keyId());
        ObjectNode out = view(key, now);
        out.put("secret", secret);
        out.put("note", "the secret is shown once; only its hash is stored");
        return out;
    }

    private Reply revoke(Principal admin, String accountId, String keyId) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        ApiKey before = store.apiKeys(accountId).stream().filter(k -> k.id().equals(keyId)).findFirst()
                .orElseThrow(() -> refuse(ErrorCode.NOT_FOUND, "account '" + accountId + "' has no key '" + keyId + "'"));
        ApiKey revoked = store.revokeApiKey(accountId, keyId, now)
                .orElseThrow(() -> refuse(ErrorCode.NOT_FOUND, "account '" + accountId + "' has no key '" + keyId + "'"));
        if (before.revokedAt() == null) {
            store.audit(List.of(new AuditEvent(now, "key:" + admin.keyId(), AuditAction.KEY_REVOKED, accountId, keyId,
                    Json.object().put("prefix", revoked.prefix()).put("name", revoked.name()))));
            LOG.info("key {} of account {} revoked by {}", keyId, accountId, admin.keyId());
        }
        return Reply.json(200, view(revoked, now));
    }

    /** {@code POST /v1/admin/accounts}: a new account and its first key. */
    private Reply createAccount(Principal admin, ServerRequest req) {
        JsonNode body = bodies.json(req);
        List<Violation> errors = new ArrayList<>();
        if (!body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        for (String field : body.propertyNames()) {
            if (!Set.of("name", "plan", "roles").contains(field)) {
                errors.add(new Violation(Json.pointer("", field), "unknown field (allowed: name, plan, roles)"));
            }
        }
        JsonNode name = body.get("name");
        if (name == null || !name.isString() || name.stringValue().isBlank() || name.stringValue().length() > 200) {
            errors.add(new Violation("/name", "required: a non-empty string of at most 200 characters"));
        }
        JsonNode plan = body.get("plan");
        if (plan != null && (!plan.isString() || !plan.stringValue().matches("[a-z0-9_-]{1,40}"))) {
            errors.add(new Violation("/plan", "must be a short lowercase word such as free, pro or enterprise"));
        }
        Set<String> roles = roles(body.get("roles"), errors);
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the account request is not valid", errors);
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        Account account = new Account(ids.next("acct"), name.stringValue().strip(), plan == null ? "free" : plan.stringValue(), now);
        store.createAccount(account);
        LOG.info("account {} created by {}", account.id(), admin.keyId());
        NewAccounts.applyLimits(store, account.id(), newAccountLimits, now);
        ObjectNode key = issue(admin, account.id(), null, roles, null, now);
        ObjectNode out = Json.object();
        out.putObject("account").put("id", account.id()).put("name", account.name()).put("plan", account.plan()).put("created_at", now.toString())
                .set("limits", newAccountLimits.toJson());
        key.remove("note");
        out.set("api_key", key);
        out.put("note", "the secret is shown once; only its hash is stored");
        return Reply.json(201, out);
    }

    /** Role names from a request; {@code member} when the field is absent. */
    private static Set<String> roles(JsonNode node, List<Violation> errors) {
        if (node == null) {
            return DEFAULT_ROLES;
        }
        if (!node.isArray() || node.size() > 50) {
            errors.add(new Violation("/roles", "must be a list of at most 50 role names"));
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode r = node.get(i);
            if (!r.isString() || !WorkflowAccess.ROLE.matcher(r.stringValue()).matches()) {
                errors.add(new Violation("/roles/" + i, "must be a role name: lowercase letters, digits, '-' and '_', at most 40"));
            } else {
                out.add(r.stringValue());
            }
        }
        return out;
    }

    /** A key as operators see it: never the secret or its hash. */
    static ObjectNode view(ApiKey k, Instant now) {
        ObjectNode o = Json.object();
        o.put("id", k.id());
        o.put("account", k.accountId());
        o.put("name", k.name());
        o.put("prefix", k.prefix());
        ArrayNode roles = o.putArray("roles");
        k.roles().stream().sorted().forEach(roles::add);
        o.put("admin", k.admin());
        o.put("status", k.revokedAt() != null ? "revoked" : k.usableAt(now) ? "active" : "expired");
        o.put("created_at", k.createdAt().toString());
        o.put("expires_at", k.expiresAt() == null ? null : k.expiresAt().toString());
        o.put("revoked_at", k.revokedAt() == null ? null : k.revokedAt().toString());
        return o;
    }
}
