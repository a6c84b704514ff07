-- The 4W rows partners send as an HXL 3W/5W sheet (organisations that do not register people
-- in Djoliba): one per organisation × sector × activity × place × month × population group.
-- Operation-level aggregates, not personal data.
CREATE TABLE activity_rows (
    id TEXT PRIMARY KEY,
    -- As written in the sheet (an acronym or a name).
    organisation TEXT NOT NULL,
    sector TEXT NOT NULL,
    activity TEXT NOT NULL,
    -- P-code of a région or cercle.
    place TEXT NOT NULL,
    -- First day of the month.
    month TEXT NOT NULL,
    -- Population group code; '' when the sheet gives none.
    population_group TEXT NOT NULL,
    targeted DOUBLE PRECISION,
    reached DOUBLE PRECISION,
    female DOUBLE PRECISION,
    male DOUBLE PRECISION,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (organisation, sector, activity, place, month, population_group)
);
CREATE INDEX activity_rows_month ON activity_rows (month);

-- What a plan asks for, per sector ('' for "not specified"), place ('' for the whole plan)
-- and year, in US dollars.
CREATE TABLE funding_requirements (
    plan_id TEXT NOT NULL REFERENCES response_plans (id),
    sector TEXT NOT NULL,
    place TEXT NOT NULL,
    year BIGINT NOT NULL,
    required_usd DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (plan_id, sector, place, year)
);

-- Contributions as OCHA FTS records them: one flow per id, a status (pledge, commitment,
-- paid), the amount as given with its currency and the rate used, and the US dollars.
CREATE TABLE funding_flows (
    -- The flow's id as given (FTS flow id, else the donor's reference).
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    donor TEXT NOT NULL,
    recipient TEXT NOT NULL,
    -- NULL for money outside any plan.
    plan_id TEXT REFERENCES response_plans (id),
    project TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The commitment a payment pays: the commitment is counted once, with what was paid.
    parent_id TEXT,
    original_amount DOUBLE PRECISION NOT NULL,
    currency TEXT NOT NULL,
    -- Units of the currency per US dollar.
    exchange_rate DOUBLE PRECISION NOT NULL,
    amount_usd DOUBLE PRECISION NOT NULL,
    year BIGINT NOT NULL,
    decision_date TEXT,
    reported_date TEXT,
    -- How money tagged to several sectors counts: 'shared' (by the shares given) or
    -- 'overlap' (in full under each, as FTS counts it).
    sharing TEXT NOT NULL,
    -- Space-separated région P-codes; '' when not known.
    places TEXT NOT NULL,
    description TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX funding_flows_plan ON funding_flows (plan_id, year);

-- The sectors a flow is tagged to: '' for a label outside the code list (kept as written)
-- or none at all, which count as "not specified".
CREATE TABLE funding_flow_sectors (
    flow_id TEXT NOT NULL REFERENCES funding_flows (id),
    position BIGINT NOT NULL,
    sector TEXT NOT NULL,
    label TEXT NOT NULL,
    -- Fraction of the flow (0 to 1) when shared; 1 when counted in full.
    share DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (flow_id, position)
);

-- Budgets and expenditure of an organisation per year, by pillar (UNHCR's four) or sector.
CREATE TABLE budgets (
    organisation TEXT NOT NULL,
    year BIGINT NOT NULL,
    -- 'pillar' or 'sector'.
    dimension TEXT NOT NULL,
    code TEXT NOT NULL,
    budget_usd DOUBLE PRECISION,
    expenditure_usd DOUBLE PRECISION,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (organisation, year, dimension, code)
);

-- Projects as appeals list them (amount requested, planned beneficiaries); money received is
-- the flows naming the project; programmes name their project, indicators are listed.
CREATE TABLE projects (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    plan_id TEXT REFERENCES response_plans (id),
    sectors TEXT NOT NULL,
    year BIGINT NOT NULL,
    requested_usd DOUBLE PRECISION NOT NULL,
    planned_beneficiaries DOUBLE PRECISION,
    indicators TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
