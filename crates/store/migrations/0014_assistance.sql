-- Assistance: programmes (what an organisation delivers, with its entitlement rule), cycles
-- (distribution rounds), entitlements (a household, or one of its members, planned in a
-- round), the people each entitlement covers, and deliveries against entitlements.
CREATE TABLE programmes (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    sector TEXT NOT NULL REFERENCES sectors (code),
    kind TEXT NOT NULL,
    target_unit TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    -- Space-separated P-codes or site codes; empty for everywhere.
    places TEXT NOT NULL,
    donor TEXT,
    project TEXT,
    eligibility TEXT NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    per TEXT NOT NULL,
    cap_per_household BIGINT,
    unit TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (organisation_id, code)
);

CREATE TABLE cycles (
    id TEXT PRIMARY KEY,
    programme_id TEXT NOT NULL REFERENCES programmes (id),
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX cycles_programme ON cycles (programme_id);

-- One per household planned in a round, or per member when the programme assists persons
-- (person_key is the member's id then, '' otherwise: one entitlement each, by construction).
CREATE TABLE entitlements (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    household_id TEXT NOT NULL REFERENCES households (id),
    person_key TEXT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL,
    -- Planned although the duplicate-assistance check found another entitlement: why.
    override_reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (cycle_id, household_id, person_key)
);
CREATE INDEX entitlements_household ON entitlements (household_id);

-- The people an entitlement covers, as they stood when it was planned: the
-- duplicate-assistance check and reach count people, whatever household they move to.
CREATE TABLE entitlement_people (
    entitlement_id TEXT NOT NULL REFERENCES entitlements (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    PRIMARY KEY (entitlement_id, person_id)
);
CREATE INDEX entitlement_people_person ON entitlement_people (person_id);

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    entitlement_id TEXT NOT NULL REFERENCES entitlements (id),
    date TEXT NOT NULL,
    place TEXT,
    quantity DOUBLE PRECISION NOT NULL,
    modality TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reference TEXT,
    delivered_by TEXT,
    note TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX deliveries_entitlement ON deliveries (entitlement_id);
CREATE INDEX deliveries_date ON deliveries (date);
