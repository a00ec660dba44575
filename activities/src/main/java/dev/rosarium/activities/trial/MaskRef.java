package dev.rosarium.activities.trial;

/** A RoSA mask file and the content hash it is named by. */
public record MaskRef(String file, String contentHash) {
}
