package dev.animavault.cli;

import dev.animavault.client.AnimaException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A leaf command that calls the vault: turns the SDK's exceptions into a one-line message on stderr
 * and a documented exit code ({@link ExitCodes}), so no stack trace reaches an operator.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    /** Does the work; returns the exit code (usually {@link ExitCodes#OK}). */
    abstract int run(Output out) throws Exception;

    @Override
    public final Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(new Output(spec.commandLine().getOut(), options.json()));
        } catch (AnimaException e) {
            err.println("error: " + e.getMessage()
                    + e.requestId().map(id -> " (request id " + id + ")").orElse(""));
            err.flush();
            return ExitCodes.of(e);
        } catch (java.io.IOException e) {
            err.println("error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            err.flush();
            return ExitCodes.ERROR;
        } finally {
            spec.commandLine().getOut().flush();
        }
    }
}
