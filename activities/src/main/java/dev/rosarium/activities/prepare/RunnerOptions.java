package dev.rosarium.activities.prepare;

import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.ReleaseInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Turns a request's runner string into Beam pipeline options: its first word names the runner
 * ({@code direct}, {@code flink}, {@code spark}), the rest are Beam options passed through
 * ({@code "flink --flinkMaster=host:8081 --parallelism=8"}). Only the direct runner ships with
 * Rosarium; the others need their Beam runner artifact on the classpath, and asking for one that
 * is absent says which artifact to add.
 */
final class RunnerOptions {
    private enum Runner {
        DIRECT("org.apache.beam.runners.direct.DirectRunner", "beam-runners-direct-java", ""),
        FLINK("org.apache.beam.runners.flink.FlinkRunner", "beam-runners-flink-1.19",
                " (the suffix is your Flink cluster's version: 1.19, 1.20, 2.0 ...)"),
        SPARK("org.apache.beam.runners.spark.SparkRunner", "beam-runners-spark-3", "");

        final String className;
        final String artifact;
        final String note;

        Runner(String className, String artifact, String note) {
            this.className = className;
            this.artifact = artifact;
            this.note = note;
        }
    }

    private RunnerOptions() {
    }

    static PipelineOptions parse(String runner) {
        String[] words = runner.strip().split("\\s+");
        Runner r;
        try {
            r = Runner.valueOf(words[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("runner '" + words[0] + "' is not known; expected direct, flink or spark,"
                    + " optionally followed by Beam pipeline options", e);
        }
        try {
            Class.forName(r.className, false, RunnerOptions.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("runner '" + words[0] + "' needs Beam's " + r.className
                    + ", which is not on the classpath: add the Maven artifact org.apache.beam:" + r.artifact + ":"
                    + ReleaseInfo.getReleaseInfo().getVersion() + r.note + " to the activities module", e);
        }
        List<String> args = new ArrayList<>();
        args.add("--runner=" + r.className);
        args.addAll(Arrays.asList(words).subList(1, words.length));
        return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().create();
    }
}
