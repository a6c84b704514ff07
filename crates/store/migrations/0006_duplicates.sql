-- Duplicate registrations: candidate pairs found by the linkage engine (batch runs, or a
-- registrar's check), their review, and merges that keep both records.
CREATE TABLE duplicate_pairs (
    id TEXT PRIMARY KEY,
    -- The earlier registration (kept as the person) and the later one (marked as its duplicate
    -- when the pair is accepted).
    person_a TEXT NOT NULL REFERENCES people (id),
    person_b TEXT NOT NULL REFERENCES people (id),
    probability DOUBLE PRECISION NOT NULL,
    -- pending, accepted or rejected.
    status TEXT NOT NULL,
    found_at BIGINT NOT NULL,
    found_by TEXT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT,
    reason TEXT,
    UNIQUE (person_a, person_b)
);
CREATE INDEX duplicate_pairs_status ON duplicate_pairs (status);
-- Set when a duplicate pair is accepted: this record is the same person as that one. Both
-- records and their histories stay; figures count the person once.
ALTER TABLE people ADD COLUMN duplicate_of TEXT;
