-- Presence: each organisation's offices in the operation (kind, place, staff) and its
-- implementing partners, as factsheets list them. Operation-level facts, no personal data.
CREATE TABLE offices (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    -- country_office, sub_office, field_office, field_unit.
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- P-code of the région, cercle or commune where it sits.
    pcode TEXT NOT NULL,
    national_staff BIGINT NOT NULL,
    international_staff BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (organisation_id, name)
);

CREATE TABLE implementing_partners (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    partner_id TEXT NOT NULL REFERENCES organisations (id),
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, partner_id)
);
