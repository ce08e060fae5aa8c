package dev.animavault.core.http;

import io.helidon.common.mapper.DefaultMapperProvider__ServiceDescriptor;
import io.helidon.common.mapper.DefaultResolverService__ServiceDescriptor;
import io.helidon.common.mapper.MappersFactory__ServiceDescriptor;
import io.helidon.service.registry.GlobalServiceRegistry;
import io.helidon.service.registry.ServiceRegistryConfig;
import io.helidon.service.registry.ServiceRegistryManager;

/**
 * Issue 19 (twelfth pass of docs/performance.md): Helidon's global service registry without its class path
 * discovery. Left alone, the first use of Helidon's routing makes the JVM's global registry with full discovery: every
 * jar's {@code META-INF/helidon/.../service-registry.json} (23 service descriptors, parsed and each initialised by
 * reflection) and {@code service.loader} lists, ~40-50 ms of the warm-up thread's CPU at every start. The server uses
 * none of those services but Helidon's default mappers (String to number and boolean conversions), which are added
 * here explicitly; the others (Helidon config from the registry, metrics factories, the registry's request scope and
 * HTTP entry point interceptors, registry-started servers) serve applications that let the registry wire them.
 *
 * <p>Installed once per JVM, by whichever of the warm-up and {@link VaultServer#start} comes first, and only when
 * nothing set a global registry before (an embedding application's stays).
 */
final class HelidonRegistry {

    private HelidonRegistry() {
    }

    /** Installs the registry unless one is set; the work runs once (a holder class's initialisation). */
    static void install() {
        Once.ran();
    }

    private static final class Once {
        static {
            if (!GlobalServiceRegistry.configured()) {
                GlobalServiceRegistry.registry(ServiceRegistryManager.create(ServiceRegistryConfig.builder()
                        .discoverServices(false)
                        .addServiceDescriptor(DefaultMapperProvider__ServiceDescriptor.INSTANCE)
                        .addServiceDescriptor(DefaultResolverService__ServiceDescriptor.INSTANCE)
                        .addServiceDescriptor(MappersFactory__ServiceDescriptor.INSTANCE)
                        .build()).registry());
            }
        }

        static void ran() {
            // the class initialisation above is the work
        }
    }
}
