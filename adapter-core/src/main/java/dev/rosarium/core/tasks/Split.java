package dev.rosarium.core.tasks;

/** Which part of a data set: the training rows or the held-out rows a task is scored on. */
public enum Split {
    TRAIN,
    EVAL
}
