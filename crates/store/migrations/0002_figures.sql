-- IRIS: leaving the IDP stock is a recorded solutions decision, apart from any movement.
CREATE TABLE solutions (
    id TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    person_id TEXT REFERENCES people (id),
    decided_on TEXT NOT NULL,
    basis TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    voided_at BIGINT,
    voided_by TEXT,
    void_reason TEXT,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX solutions_household ON solutions (household_id);

-- Bumped by every change to the registry, so cached figures know when they are stale.
CREATE TABLE registry_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);
