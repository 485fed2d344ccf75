package dev.mainstay.server.testing;

/** Accounts and their limits through the admin API, as an operator makes them. */
public final class Accounts {
    private Accounts() {
    }

    /** Creates an account with {@code plan} (and {@code roles} for its first key); returns that key's secret. */
    public static String create(Http http, String plan, String... roles) {
        String list = String.join("\", \"", roles);
        return http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Acme " + plan + "\", \"plan\": \"" + plan + "\""
                + (roles.length == 0 ? "" : ", \"roles\": [\"" + list + "\"]") + "}").json().path("api_key").path("secret").asString();
    }

    /** The id of the account {@code key} belongs to. */
    public static String id(Http http, String key) {
        return http.get("/v1/usage", key).json().path("account").asString();
    }

    /** {@code PUT /v1/admin/accounts/{id}/limits} with {@code body}. */
    public static Http.Response putLimits(Http http, String accountId, String body) {
        return http.put("/v1/admin/accounts/" + accountId + "/limits", TestNode.ADMIN_KEY, body);
    }
}
