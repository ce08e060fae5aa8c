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

    private static URL[] classPath() throws MalformedURLException {
        String[] entries = System.getProperty("java.class.path").split(File.pathSeparator);
        URL[] urls = new URL[entries.length];
        for (int i = 0; i < entries.length; i++) {
            urls[i] = Path.of(entries[i]).toUri().toURL();
        }
        return urls;
    }
}
