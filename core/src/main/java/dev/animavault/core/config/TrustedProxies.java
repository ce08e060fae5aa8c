package dev.animavault.core.config;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The reverse proxies whose {@code X-Forwarded-For} the vault believes ({@code server.trusted-proxies},
 * {@code ANIMA_VAULT_HTTP_TRUSTED_PROXIES}): IP addresses or CIDRs, literals only (never resolved through
 * DNS). With none configured (the default) the header is ignored and the client is the TCP peer.
 *
 * <p>{@link #clientAddress}: when the peer is a trusted proxy, the header's addresses are walked from the
 * right (the one the nearest proxy appended) past every trusted proxy; the first one that is not trusted is
 * the client. A malformed entry stops the walk at the last address known good, so a client cannot hide
 * behind garbage; a header from an untrusted peer is never read. Immutable, thread-safe.
 */
public final class TrustedProxies {
    /** No trusted proxy: {@code X-Forwarded-For} is ignored. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private record Net(byte[] address, int bits) {
        boolean contains(byte[] a) {
            if (a.length != address.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((address[i / 8] & mask) != (a[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Net> nets;
    private final List<String> entries;

    private TrustedProxies(List<String> entries) {
        this.entries = List.copyOf(entries);
        List<Net> parsed = new ArrayList<>();
        for (String e : entries) {
            parsed.add(parse(e.trim()));
        }
        this.nets = List.copyOf(parsed);
    }

    /**
     * Parses the configured entries.
     *
     * @throws VaultException {@code CONFIGURATION} naming an entry that is not an IP address or CIDR
     */
    public static TrustedProxies of(List<String> entries) {
        return entries.isEmpty() ? NONE : new TrustedProxies(entries);
    }

    /** The configured entries. */
    public List<String> entries() {
        return entries;
    }

    /** Whether any proxy is trusted. */
    public boolean any() {
        return !nets.isEmpty();
    }

    private static Net parse(String entry) {
        int slash = entry.indexOf('/');
        byte[] address = literal(slash < 0 ? entry : entry.substring(0, slash));
        if (address == null) {
            throw bad(entry);
        }
        int bits = address.length * 8;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw bad(entry);
            }
            if (bits < 0 || bits > address.length * 8) {
                throw bad(entry);
            }
        }
        return new Net(address, bits);
    }

    private static VaultException bad(String entry) {
        return new VaultException(ErrorCode.CONFIGURATION, "server.trusted-proxies entry '" + entry
                + "' is not an IP address or CIDR (such as 10.0.0.0/8 or ::1)");
    }

    /** The bytes of an IP literal, or null when it is not one (no DNS lookup ever). */
    static byte[] literal(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return null;
        }
        if (s.indexOf(':') >= 0) {
            if (!IPV6_CHARS.matcher(s).matches()) {
                return null;
            }
        } else if (!IPV4.matcher(s).matches()) {
            return null;
        }
        try {
            // a literal of these shapes is parsed, never looked up (a non-literal is refused by the patterns)
            return InetAddress.getByName(s).getAddress();
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final java.util.regex.Pattern IPV6_CHARS = java.util.regex.Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private boolean trusted(byte[] a) {
        for (Net n : nets) {
            if (n.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client's address.
     *
     * @param peer          the TCP peer's address (an IP literal)
     * @param forwardedFor  the {@code X-Forwarded-For} values joined by commas, or null
     */
    public String clientAddress(String peer, String forwardedFor) {
        if (nets.isEmpty() || forwardedFor == null) {
            return peer;
        }
        byte[] p = literal(peer);
        if (p == null || !trusted(p)) {
            return peer;
        }
        String client = peer;
        int end = forwardedFor.length();
        while (end > 0) {
            int comma = forwardedFor.lastIndexOf(',', end - 1);
            String hop = forwardedFor.substring(comma + 1, end).trim();
            end = comma < 0 ? 0 : comma;
            byte[] a = literal(hop);
            if (a == null) {
                return client; // garbage: the last hop a trusted proxy vouched for
            }
            client = hop;
            if (!trusted(a)) {
                return client;
            }
        }
        return client;
    }
}
