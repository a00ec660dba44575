package dev.rosarium.infra;

import dev.rosarium.infra.cli.GenerateCommand;
import dev.rosarium.infra.cli.SyncCommand;
import dev.rosarium.infra.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rosarium} command line. */
@Command(name = "rosarium", mixinStandardHelpOptions = true, version = "rosarium 0.1.0",
        description = "Fine-tune language models with sparse and low-rank adapters.",
        subcommands = {TrainCommand.class, GenerateCommand.class, SyncCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
