-- Households received by sync, waiting for the duplicates check: two offices registering one
-- family meet in the review queue. Kept in a table, not in memory, so that a stop between the
-- batch and the check loses none of them.
CREATE TABLE linkage_arrivals (
    household_id TEXT PRIMARY KEY
);
