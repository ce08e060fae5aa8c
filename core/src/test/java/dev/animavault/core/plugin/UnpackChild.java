package dev.animavault.core.plugin;

import java.nio.file.Path;

/** A child JVM for {@link PluginUnpackCrashTest}: loads the plugins of a directory, to be killed meanwhile. */
public final class UnpackChild {
    private UnpackChild() {
    }

    public static void main(String[] args) {
        System.out.println("loading");
        System.out.flush();
        PluginRegistry.load(Path.of(args[0])).close();
        System.out.println("loaded");
    }
}
