-- Post-distribution monitoring: samples of a round's entitlements that received something,
-- drawn at random (reproducibly, from the seed kept) or in full, and what each answered.
CREATE TABLE monitoring_samples (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    method TEXT NOT NULL,
    -- Entitlements that had received something when the sample was drawn.
    population BIGINT NOT NULL,
    seed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX monitoring_samples_cycle ON monitoring_samples (cycle_id);

-- One per entitlement drawn; the answer stays empty until the household is asked.
CREATE TABLE monitoring_answers (
    sample_id TEXT NOT NULL REFERENCES monitoring_samples (id),
    entitlement_id TEXT NOT NULL REFERENCES entitlements (id),
    -- The order of the draw: asking in this order keeps a stopped survey random.
    position BIGINT NOT NULL,
    answer TEXT,
    amount_reported DOUBLE PRECISION,
    issue TEXT,
    asked_on TEXT,
    recorded_at BIGINT,
    recorded_by TEXT,
    PRIMARY KEY (sample_id, entitlement_id)
);
