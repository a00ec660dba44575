package dev.rosarium.activities.tracking;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunTagsTest {
    @Test
    void gitCommitIsTheCheckedOutCommitAndEmptyOutsideARepository() throws Exception {
        Path repo = Path.of(System.getProperty("rosarium.home", ".."));
        String commit = RunTags.gitCommit(repo).orElseThrow();
        assertTrue(commit.matches("[0-9a-f]{40}"), commit);
        assertEquals(java.util.Optional.empty(), RunTags.gitCommit(Files.createTempDirectory("not-a-repo")));
    }
}
