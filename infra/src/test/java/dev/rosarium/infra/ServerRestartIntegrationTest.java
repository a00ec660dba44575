package dev.rosarium.infra;

import dev.rosarium.infra.temporal.Temporal;
import io.temporal.client.WorkflowClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (b) with a server restart: the dev server keeps its state in a SQLite file, so when
 * both the server and the worker are killed with SIGKILL in the middle of training, a server started
 * again on that file and a new worker finish the trial from the last checkpoint, with the result of
 * an uninterrupted run.
 */
class ServerRestartIntegrationTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)   // fail, never hang CI
    void trialSurvivesAServerAndWorkerCrash() throws Exception {
        Path spec = tmp.resolve("trial.yaml");
        Files.writeString(spec, ResumeIntegrationTest.SPEC);
        Path work = tmp.resolve("work");
        Path outbox = tmp.resolve("outbox");
        int every = ResumeIntegrationTest.EVERY;
        try (Services s = Services.start(tmp); DevServer server = DevServer.start(tmp.resolve("temporal"))) {
            String id = "it-restart-" + System.nanoTime();
            assertEquals(0, Main.commandLine().execute("run", spec.toString(), "--id", id, "--detach",
                    "--temporal", server.address(), "--mlflow", s.mlflow, "--outbox", outbox.toString(),
                    "--work", work.toString()));
            Process first = ResumeIntegrationTest.worker(server.address(), s.mlflow, outbox, work,
                    tmp.resolve("worker-1.log"));
            long newestAtKill;
            try {
                long deadline = System.nanoTime() + 300_000_000_000L;
                while (ResumeIntegrationTest.newestCheckpoint(work) < 2 * every) {
                    assertTrue(first.isAlive(), "the worker exited before it was killed");
                    assertTrue(System.nanoTime() < deadline, "training never reached its second checkpoint");
                    Thread.sleep(20);
                }
                first.destroyForcibly().waitFor();
                server.kill();
                newestAtKill = ResumeIntegrationTest.newestCheckpoint(work);
            } finally {
                first.destroyForcibly().waitFor();
            }
            server.restart();
            WorkflowClient client = Temporal.connect(server.address(), "default");
            ResumeIntegrationTest.finishesLikeAnUninterruptedRun(client, id, newestAtKill, spec, server.address(),
                    s.mlflow, outbox, work, tmp);
        }
    }
}
