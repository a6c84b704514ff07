-- A member removed from a household (recorded in error, or no longer part of it): the record
-- and its history stay; figures, lists, checks, searches and exports leave it out. Why is in
-- the person's version that removed it.
ALTER TABLE people ADD COLUMN removed_at BIGINT;
