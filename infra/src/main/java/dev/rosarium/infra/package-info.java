/**
 * The rosarium command line and what it starts: workers, the embedded Temporal test server and a
 * local MLflow server, configuration.
 */
package dev.rosarium.infra;
