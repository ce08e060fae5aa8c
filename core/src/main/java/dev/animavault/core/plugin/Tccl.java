package dev.animavault.core.plugin;

import dev.animavault.core.telemetry.Tracing;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs calls into a plugin with the plugin's class loader as the thread context class loader (JDBC
 * drivers, ServiceLoader and Jackson modules look there).
 */
public final class Tccl {
    private Tccl() {
    }

    /** Calls {@code action} with {@code loader} as TCCL, restoring the previous one. */
    public static <T> T call(ClassLoader loader, Callable<T> action) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return action.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /**
     * A proxy of {@code target} that implements {@code primary} and every other SPI interface the target
     * implements (so optional capabilities stay visible to {@code instanceof}), each call made with the
     * plugin's class loader as TCCL.
     */
    @SuppressWarnings("unchecked")
    public static <T> T wrap(Class<T> primary, T target, ClassLoader loader) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        interfaces.add(primary);
        collectSpiInterfaces(target.getClass(), interfaces);
        InvocationHandler handler = new Handler(target, loader, kind(primary));
        return (T) Proxy.newProxyInstance(Tccl.class.getClassLoader(), interfaces.toArray(Class<?>[]::new), handler);
    }

    // the span name prefix of a plugin's calls (issue 15: core's spans per plugin call)
    private static String kind(Class<?> primary) {
        return switch (primary.getSimpleName()) {
            case "StorageBackend" -> "storage";
            case "AuditSink" -> "audit";
            case "CredentialType" -> "credential";
            case "RootKeyProvider" -> "rootkey";
            default -> primary.getSimpleName().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static void collectSpiInterfaces(Class<?> type, Set<Class<?>> into) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (i.getName().startsWith("dev.animavault.spi.")) {
                    into.add(i);
                }
                collectSpiInterfaces(i, into);
            }
        }
    }

    private record Handler(Object target, ClassLoader loader, String kind, ConcurrentHashMap<Method, Method> accessible)
            implements InvocationHandler {
        Handler(Object target, ClassLoader loader, String kind) {
            this(target, loader, kind, new ConcurrentHashMap<>());
        }

        /**
         * The method with access checks turned off: they are done once here instead of on every call
         * (the SPI interfaces are public and exported, so this never widens access).
         */
        private Method unchecked(Method method) {
            Method m = accessible.get(method);
            if (m == null) {
                m = accessible.computeIfAbsent(method, k -> {
                    try {
                        Method copy = k.getDeclaringClass().getMethod(k.getName(), k.getParameterTypes());
                        return copy.trySetAccessible() ? copy : k;
                    } catch (NoSuchMethodException e) {
                        return k;
                    }
                });
            }
            return m;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> "plugin:" + target;
                    default -> method.invoke(target, args);
                };
            }
            io.opentelemetry.api.trace.Tracer tracer = Tracing.tracer();
            if (tracer == null) {
                return call(method, args); // untraced: no SDK (the common case), nothing allocated for tracing
            }
            try {
                return Tracing.plugin(tracer, kind, target.getClass().getSimpleName(), method.getName(),
                        () -> {
                            try {
                                return call(method, args);
                            } catch (Exception | Error e) {
                                throw e;
                            } catch (Throwable e) {
                                throw new IllegalStateException(e);
                            }
                        });
            } catch (Exception | Error e) {
                throw e;
            }
        }

        private Object call(Method method, Object[] args) throws Throwable {
            Thread t = Thread.currentThread();
            ClassLoader previous = t.getContextClassLoader();
            t.setContextClassLoader(loader);
            try {
                return unchecked(method).invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                t.setContextClassLoader(previous);
            }
        }
    }
}
