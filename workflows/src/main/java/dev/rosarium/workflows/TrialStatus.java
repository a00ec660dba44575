package dev.rosarium.workflows;

/** Where a trial of a sweep stands. PRUNED: stopped early by the sweep's rule. */
public enum TrialStatus { RUNNING, FINISHED, PRUNED, FAILED, CANCELLED }
