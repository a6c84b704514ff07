-- A field office's users see the households of their régions only: admin 1 P-codes, comma
-- separated; empty or NULL for every région.
ALTER TABLE users ADD COLUMN regions TEXT;
