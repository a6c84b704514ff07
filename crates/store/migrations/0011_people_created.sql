-- The duplicate check brings its index up to date with the people registered since it was
-- built: a range over (created_at, id), not a scan of everyone.
CREATE INDEX people_created ON people (created_at, id);
