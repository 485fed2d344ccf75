package dev.mainstay.provider;

/** One place a route can send a call: a configured provider and a model name on it. */
public record Target(String provider, String model) {
    @Override
    public String toString() {
        return provider + "/" + model;
    }
}
