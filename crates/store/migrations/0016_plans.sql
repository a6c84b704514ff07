-- Response plans (a humanitarian response plan, an agency appeal), their sectors and
-- indicators, and targets and people in need per indicator × place × period. Operation-level
-- facts, not personal data.
CREATE TABLE response_plans (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    -- Space-separated sector codes.
    sectors TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE indicators (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES response_plans (id),
    code TEXT NOT NULL,
    sector TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    name_en TEXT NOT NULL,
    unit TEXT NOT NULL,
    -- How values add up (sum, max, latest, average): fixed once values are reported.
    across_periods TEXT NOT NULL,
    across_places TEXT NOT NULL,
    -- Space-separated: sex, age, population_group.
    disaggregations TEXT NOT NULL,
    -- Space-separated kinds of assistance whose deliveries count as reached; empty when
    -- only partners report it.
    kinds TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (plan_id, code)
);

CREATE TABLE indicator_targets (
    indicator_id TEXT NOT NULL REFERENCES indicators (id),
    -- P-code of a région or cercle.
    place TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    in_need DOUBLE PRECISION,
    targeted DOUBLE PRECISION,
    -- The file (and row) or user that set it last.
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (indicator_id, place, start_date, end_date)
);

-- Partners' monthly activity reports: one per organisation × indicator × place × month,
-- submitted, sent back with a comment, or accepted (then locked).
CREATE TABLE activity_reports (
    id TEXT PRIMARY KEY,
    indicator_id TEXT NOT NULL REFERENCES indicators (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    place TEXT NOT NULL,
    -- First day of the month reported.
    month TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    female DOUBLE PRECISION,
    male DOUBLE PRECISION,
    status TEXT NOT NULL,
    comment TEXT,
    submitted_at BIGINT NOT NULL,
    submitted_by TEXT NOT NULL,
    reviewed_at BIGINT,
    reviewed_by TEXT,
    UNIQUE (indicator_id, organisation_id, place, month)
);
