package dev.animavault.client;

/** {@code /v1/vault}: secrets and the audit log. */
public final class Vault {
    private final Secrets secrets;
    private final Audit audit;

    Vault(Transport transport) {
        this.secrets = new Secrets(transport);
        this.audit = new Audit(transport);
    }

    public Secrets secrets() {
        return secrets;
    }

    public Audit audit() {
        return audit;
    }
}
