package dev.animavault.core.rotation;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.security.Security;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real name-resolution step for tests (registered in the test classpath's
 * {@code META-INF/services/java.net.spi.InetAddressResolverProvider}, so every {@code InetAddress} lookup
 * of the test JVM goes through it): names under {@code .anima.test} are answered from a programmable map
 * (and counted), everything else by the JDK's built-in resolver. Turns off the JVM's positive lookup cache
 * (this runs before the cache policy is first read), so a changed answer is seen at the next lookup.
 */
public final class TestDnsResolver extends InetAddressResolverProvider {
    private static final Map<String, InetAddress> ANSWERS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> LOOKUPS = new ConcurrentHashMap<>();

    /** From now on {@code host} resolves to {@code address} (an IP literal). */
    static void answer(String host, String address) {
        try {
            ANSWERS.put(host, InetAddress.getByAddress(host, InetAddress.getByName(address).getAddress()));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** How many times {@code host} was looked up through this resolver. */
    static int lookups(String host) {
        AtomicInteger n = LOOKUPS.get(host);
        return n == null ? 0 : n.get();
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        Security.setProperty("networkaddress.cache.ttl", "0");
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                if (host.endsWith(".anima.test")) {
                    LOOKUPS.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
                    InetAddress a = ANSWERS.get(host);
                    if (a == null) {
                        throw new UnknownHostException(host);
                    }
                    return List.of(a).stream();
                }
                return builtin.lookupByName(host, policy);
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                return builtin.lookupByAddress(addr);
            }
        };
    }

    @Override
    public String name() {
        return "anima-test-dns";
    }
}
