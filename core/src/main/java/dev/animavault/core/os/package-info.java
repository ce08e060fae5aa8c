/**
 * The operating system's scheduler, Linux only: {@link dev.animavault.core.os.Nice} sets one thread's nice value
 * through {@code setpriority} (the foreign function API), {@link dev.animavault.core.os.CompilerThreads} lowers the
 * JVM's JIT compiler threads at the server's start when asked to (issue 19; off by default). Both do nothing, and say why, where that is
 * unavailable.
 */
package dev.animavault.core.os;
