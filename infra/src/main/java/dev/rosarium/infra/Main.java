package dev.rosarium.infra;

import dev.rosarium.infra.cli.ExportCommand;
import dev.rosarium.infra.cli.GenerateCommand;
import dev.rosarium.infra.cli.QuickstartCommand;
import dev.rosarium.infra.cli.RunCommand;
import dev.rosarium.infra.cli.ServerCommand;
import dev.rosarium.infra.cli.SignalCommands;
import dev.rosarium.infra.cli.StatusCommand;
import dev.rosarium.infra.cli.SweepCommand;
import dev.rosarium.infra.cli.SyncCommand;
import dev.rosarium.infra.cli.TrainCommand;
import dev.rosarium.infra.cli.WorkerCommand;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rosarium} command line. */
@Command(name = "rosarium", mixinStandardHelpOptions = true, version = "rosarium 0.1.0",
        description = "Fine-tune language models with sparse and low-rank adapters; run trials and sweeps as "
                + "Temporal workflows tracked in MLflow.",
        subcommands = {QuickstartCommand.class, RunCommand.class, SweepCommand.class, StatusCommand.class,
                SignalCommands.Pause.class, SignalCommands.Resume.class, SignalCommands.Cancel.class,
                WorkerCommand.class, ServerCommand.class, SyncCommand.class, ExportCommand.class,
                TrainCommand.class, GenerateCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  done (every trial finished or was pruned)",
                "  1  a trial failed, the sweep was cancelled, or nothing to export",
                "  2  bad input: command line, spec file (the message names the file and field), data",
                "  3  a service (Temporal) cannot be reached"})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof java.io.IOException) {
                cmd.getErr().println("rosarium " + cmd.getCommandName() + ": " + e.getMessage());
                return 2;
            }
            if (e instanceof StatusRuntimeException s) {
                cmd.getErr().println("rosarium " + cmd.getCommandName() + ": Temporal: " + s.getStatus());
                return 3;
            }
            throw e;
        });
        return cl;
    }
}
