package dev.rosarium.infra.cli;

import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.workflows.SweepWorkflow;
import dev.rosarium.workflows.TrialOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code rosarium export}: a finished trial's merged model or adapter, copied out. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Copy a finished trial's merged model (a transformers directory) or, with --adapter, its "
                + "adapter (peft's format) to --out. A sweep id exports its best trial.")
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "Workflow id of a finished trial or sweep.")
    String id;

    @Option(names = "--out", required = true, description = "Directory to create.")
    Path out;

    @Option(names = "--adapter", description = "Export the adapter instead of the merged model.")
    boolean adapter;

    @Mixin
    StackOptions stack;

    @Override
    public Integer call() throws Exception {
        try (Stack st = Stack.open(stack, false, false)) {
            SweepWorkflow sweep = st.sweep(id);
            TrialOutcome o = sweep != null ? sweep.progress().best()
                    : st.client().newUntypedWorkflowStub(id).getResult(TrialOutcome.class);
            if (o == null || o.modelDirectory() == null) {
                System.err.println("rosarium export: " + id + " has no finished trial to export");
                return 1;
            }
            String from = adapter ? o.adapterDirectory() : o.modelDirectory();
            if (from == null) {
                System.err.println("rosarium export: trial " + o.trialId() + " (" + o.params()
                        + ") has no adapter file; export its merged model instead");
                return 1;
            }
            Path src = Path.of(from);
            AtomicFiles.writeDirectory(out, tmp -> {
                try (Stream<Path> files = Files.list(src)) {
                    for (Path f : files.toList()) {
                        Files.copy(f, tmp.resolve(f.getFileName().toString()));
                    }
                }
            });
            System.out.println("exported " + (adapter ? "adapter" : "merged model") + " of " + o.trialId() + " to " + out);
            return 0;
        }
    }
}
