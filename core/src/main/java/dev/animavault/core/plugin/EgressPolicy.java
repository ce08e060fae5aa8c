package dev.animavault.core.plugin;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Which destinations outbound calls may reach: public addresses always; loopback, private, link-local,
 * unique-local and wildcard addresses only when a configured entry (a host name, an address, or a CIDR)
 * allows them.
 */
public final class EgressPolicy {
    private final List<String> allow;

    public EgressPolicy(List<String> allow) {
        this.allow = allow.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).toList();
    }

    /** Throws {@code EGRESS_DENIED} unless the URI's host may be reached. */
    public void check(URI uri) {
        if (!allow.contains(bareHost(uri))) {
            checkedAddresses(uri);
        }
    }

    private static String bareHost(URI uri) {
        String h = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /**
     * Resolves the URI's host once and returns its addresses after checking each of them (a host listed
     * by name in the allow-list is not checked), so a caller can connect to exactly the address that
     * was checked instead of resolving again (a DNS answer that changes between check and connect).
     *
     * @throws VaultException {@code EGRESS_DENIED} when an address may not be reached, {@code UPSTREAM_ERROR}
     *                        when the host does not resolve
     */
    public InetAddress[] checkedAddresses(URI uri) {
        String host = uri.getHost();
        if (host == null) {
            throw new VaultException(ErrorCode.EGRESS_DENIED, "outbound URL has no host");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new VaultException(ErrorCode.EGRESS_DENIED, "outbound URL scheme must be http or https");
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(h);
        } catch (UnknownHostException e) {
            throw new VaultException(ErrorCode.UPSTREAM_ERROR, "cannot resolve outbound host " + host);
        }
        if (allow.contains(h)) {
            return addresses;
        }
        for (InetAddress a : addresses) {
            if (isInternal(a) && allow.stream().noneMatch(entry -> matches(entry, a))) {
                throw new VaultException(ErrorCode.EGRESS_DENIED, "outbound call to " + host + " (" + a.getHostAddress()
                        + ") is denied: internal addresses must be allow-listed in vault.egress.allow");
            }
        }
        return addresses;
    }

    /** Whether the allow-list names {@code host} itself, or an address or network {@code address} falls in. */
    public boolean isAllowListed(String host, InetAddress address) {
        String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return allow.contains(h) || allow.stream().anyMatch(entry -> matches(entry, address));
    }

    /**
     * Whether an allow-list entry names this host, or an address or network every address it resolves to
     * falls in. A host that does not resolve is not listed.
     */
    public boolean isAllowListed(String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (allow.contains(h)) {
            return true;
        }
        try {
            InetAddress[] addresses = InetAddress.getAllByName(h);
            for (InetAddress a : addresses) {
                if (allow.stream().noneMatch(entry -> matches(entry, a))) {
                    return false;
                }
            }
            return addresses.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    static boolean isInternal(InetAddress a) {
        byte[] b = a.getAddress();
        boolean uniqueLocalV6 = b.length == 16 && (b[0] & 0xfe) == 0xfc;
        boolean cgnat = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
        return a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress() || uniqueLocalV6 || cgnat;
    }

    static boolean matches(String entry, InetAddress a) {
        int slash = entry.indexOf('/');
        try {
            if (slash < 0) {
                return InetAddress.getByName(entry).equals(a);
            }
            byte[] net = InetAddress.getByName(entry.substring(0, slash)).getAddress();
            int bits = Integer.parseInt(entry.substring(slash + 1));
            byte[] addr = a.getAddress();
            if (net.length != addr.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((net[i / 8] & mask) != (addr[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException | NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }
}
