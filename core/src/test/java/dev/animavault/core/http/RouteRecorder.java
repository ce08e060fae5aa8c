package dev.animavault.core.http;

import io.helidon.http.Method;
import io.helidon.http.PathMatcher;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Records the routes a routing function registers, by handing it an {@link HttpRouting.Builder} (and,
 * to every {@link HttpService}, an {@link HttpRules}) that writes down each method and path instead of
 * building anything. Handlers are never called. Services registered under a path get that path as
 * prefix, as Helidon does.
 */
final class RouteRecorder {
    /** One registered route: an exact path template, or a prefix that matches everything under it. */
    record Route(String method, String path, boolean prefix) {
        @Override
        public String toString() {
            return method + " " + path + (prefix ? "**" : "");
        }
    }

    private static final Set<String> VERBS = Set.of("get", "post", "put", "delete", "head", "options", "trace", "patch");

    private final List<Route> routes = new ArrayList<>();

    List<Route> routes() {
        return List.copyOf(routes);
    }

    /** A builder to pass where the server's routing function expects Helidon's. */
    HttpRouting.Builder builder() {
        return (HttpRouting.Builder) proxy(HttpRouting.Builder.class, "", true);
    }

    private Object proxy(Class<?> type, String prefix, boolean root) {
        InvocationHandler handler = (proxy, method, args) -> {
            String name = method.getName();
            Class<?>[] p = method.getParameterTypes();
            Object self = method.getReturnType().isInstance(proxy) ? proxy : null;
            if (VERBS.contains(name) || name.equals("any")) {
                String verb = name.equals("any") ? "ANY" : name.toUpperCase(java.util.Locale.ROOT);
                if (p.length > 0 && p[0] == String.class) {
                    add(verb, join(prefix, (String) args[0]), false);
                } else if (!(root && verb.equals("ANY"))) { // the root's any(handler) is the 404 fallback
                    add(verb, prefix.isEmpty() ? "/" : prefix, true);
                }
                return self;
            }
            if (name.equals("route")) {
                if (p.length == 3 && p[0] == Method.class && p[1] == String.class) {
                    add(((Method) args[0]).text(), join(prefix, (String) args[1]), false);
                } else if (p.length == 3 && p[0] == Method.class && PathMatcher.class.isAssignableFrom(p[1])) {
                    add(((Method) args[0]).text(), matcherPath(prefix, (PathMatcher) args[1]), isPrefix((PathMatcher) args[1]));
                } else if (p.length == 2 && p[0] == Method.class) {
                    add(((Method) args[0]).text(), prefix.isEmpty() ? "/" : prefix, true);
                } else {
                    throw new AssertionError("RouteRecorder cannot see the method and path of route" + List.of(p)
                            + ": register routes with get/post/put/delete(path, handler) or route(Method, path|PathMatcher, "
                            + "handler), or teach RouteRecorder this form");
                }
                return self;
            }
            if (name.equals("register")) {
                String at = prefix;
                int from = 0;
                if (p.length > 0 && p[0] == String.class) {
                    at = join(prefix, (String) args[0]);
                    from = 1;
                }
                for (int i = from; i < args.length; i++) {
                    registerAll(at, args[i]);
                }
                return self;
            }
            if (name.equals("build")) {
                return null;
            }
            if (name.equals("toString")) {
                return "RouteRecorder" + routes;
            }
            if (name.equals("hashCode")) {
                return System.identityHashCode(proxy);
            }
            if (name.equals("equals")) {
                return proxy == args[0];
            }
            // filters, error handlers, features, security: not routes
            return self;
        };
        return Proxy.newProxyInstance(RouteRecorder.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private void registerAll(String at, Object arg) {
        if (arg instanceof HttpService service) {
            service.routing((HttpRules) proxy(HttpRules.class, at, false));
        } else if (arg instanceof Supplier<?> supplier) {
            registerAll(at, supplier.get());
        } else if (arg instanceof Object[] array) {
            for (Object o : array) {
                registerAll(at, o);
            }
        } else if (arg instanceof Collection<?> list) {
            for (Object o : list) {
                registerAll(at, o);
            }
        } else {
            throw new AssertionError("RouteRecorder cannot register " + arg);
        }
    }

    private void add(String method, String path, boolean prefix) {
        routes.add(new Route(method, path, prefix));
    }

    private static boolean isPrefix(PathMatcher m) {
        return m.getClass().getSimpleName().contains("Prefix");
    }

    private static String matcherPath(String prefix, PathMatcher m) {
        String s = m.toString();
        // Helidon's matchers print e.g. "prefix: /v1/vault/secrets/"; keep the path
        s = s.replaceFirst("^[A-Za-z ]+:\\s*", "").replaceAll("[*]+$", "");
        if (!s.startsWith("/")) {
            throw new AssertionError("RouteRecorder cannot read the path of " + m + " (" + m.getClass() + ")");
        }
        return join(prefix, s);
    }

    /** Helidon's "/" under a service mounted at /x is /x itself. */
    static String join(String prefix, String path) {
        String joined = prefix + (path.equals("/") ? "" : path);
        if (joined.length() > 1 && joined.endsWith("/")) {
            joined = joined.substring(0, joined.length() - 1);
        }
        return joined.isEmpty() ? "/" : joined;
    }
}
