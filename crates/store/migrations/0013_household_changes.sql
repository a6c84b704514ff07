-- The registry's change feed: for each household, the registry counter (registry_version) of
-- its latest change. What is computed from the registry and kept in memory (the duplicate
-- check's index) catches up with the households changed after the counter it was built at,
-- instead of being rebuilt.
CREATE TABLE household_changes (
    household_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
CREATE INDEX household_changes_version ON household_changes (version);
-- Every household as changed at the current counter: an index built before this migration
-- starts again from the whole registry.
INSERT INTO household_changes (household_id, version)
    SELECT id, (SELECT version FROM registry_version WHERE id = 1) FROM households;
