-- A household's changes in the order they were applied: sent again, whole, to a node whose
-- scope the household entered after its earlier changes went there as withheld numbers.
CREATE INDEX sync_changes_household ON sync_changes (household_id, local_order);
