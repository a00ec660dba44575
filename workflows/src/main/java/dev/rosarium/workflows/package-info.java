/**
 * Deterministic Temporal workflows: a sweep starts one trial child per configuration, a trial
 * chains prepare, warm-up, train, merge and evaluate. Only decisions and small values live here;
 * tensors and files never pass through Temporal.
 */
package dev.rosarium.workflows;
