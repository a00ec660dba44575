package dev.rosarium.infra.cli;

import dev.rosarium.infra.spec.SpecFile;
import dev.rosarium.workflows.spec.SweepSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code rosarium quickstart}: the whole stack on the embedded defaults, one small real sweep. */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Start an embedded Temporal server and a local MLflow server, run a small real sweep (MiniLM "
                + "on SST-2 rows: LoRA, RoSA, SpA and full fine-tuning on the CPU), print the results table and "
                + "the MLflow address. With a terminal, MLflow stays up until Enter is pressed.")
public final class QuickstartCommand implements Callable<Integer> {
    static final String SPEC = "/specs/quickstart.yaml";

    @Mixin
    StackOptions stack;

    @Option(names = "--exit", description = "Stop MLflow and exit once the sweep is done, even with a terminal.")
    boolean exit;

    @Option(names = "--print-spec", description = "Print the quickstart spec and exit.")
    boolean printSpec;

    @Override
    public Integer call() throws Exception {
        String yaml;
        try (InputStream in = QuickstartCommand.class.getResourceAsStream(SPEC)) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (printSpec) {
            System.out.print(yaml);
            return 0;
        }
        SweepSpec spec = SpecFile.parse(yaml, "quickstart.yaml");
        long t0 = System.nanoTime();
        try (Stack st = Stack.open(stack, true, true)) {
            int code = SweepCommand.launch(st, spec, SweepCommand.defaultId(spec.name()), false, true, 1);
            System.out.printf(java.util.Locale.ROOT, "quickstart took %.0f s%n", (System.nanoTime() - t0) / 1e9);
            if (!exit && System.console() != null && st.trackingUri() != null) {
                System.out.println("Browse the runs at " + st.trackingUri() + " ; press Enter to stop MLflow.");
                System.console().readLine();
            }
            return code;
        }
    }
}
