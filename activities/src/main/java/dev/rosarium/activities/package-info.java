/**
 * The activities of a trial (see docs/DESIGN in the shared design): prepare (a Beam pipeline that
 * tokenizes a data set into content-addressed shards), warm-up (RoSA mask statistics), train,
 * merge, evaluate, and tracking through MLflow with a local outbox. Activities are idempotent:
 * a step whose content-addressed output exists is a no-op.
 */
package dev.rosarium.activities;
