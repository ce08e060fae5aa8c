package dev.animavault.core;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * Test support for the warm-up tests: loads the test class path itself (not through the application class loader, on
 * top of the platform loader) and tells which classes it has loaded, so a test can see what a warm-up initialised.
 */
public final class IsolatedClassLoader extends URLClassLoader {
    public IsolatedClassLoader(String name) throws MalformedURLException {
        super(name, classPath(), ClassLoader.getPlatformClassLoader());
    }

    /** Whether this loader has loaded the class of that binary name. */
    public boolean loaded(String name) {
        return findLoadedClass(name) != null;
    }

    /**
     * Calls the static no-argument method {@code method} of this loader's copy of {@code className} on a new
     * platform thread whose context class loader is this one (as the warm-ups run), and returns what it returned.
     * A failure of the call is returned as the {@link Throwable}, so a test can assert on it.
     */
    public Object callStatic(String className, String method, String threadName) throws InterruptedException {
        Object[] result = new Object[1];
        Thread t = Thread.ofPlatform().name(threadName).unstarted(() -> {
            try {
                java.lang.reflect.Method m = Class.forName(className, true, this).getDeclaredMethod(method);
                m.setAccessible(true); // another runtime package than the caller's copy of the class
                result[0] = m.invoke(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                result[0] = e;
            }
        });
        t.setContextClassLoader(this);
        t.start();
        t.join();
        return result[0];
    }

    private static URL[] classPath() throws MalformedURLException {
        String[] entries = System.getProperty("java.class.path").split(File.pathSeparator);
        URL[] urls = new URL[entries.length];
        for (int i = 0; i < entries.length; i++) {
            urls[i] = Path.of(entries[i]).toUri().toURL();
        }
        return urls;
    }
}
