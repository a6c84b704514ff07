-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Integers are BIGINT, booleans 0/1,
-- instants integer milliseconds UTC, dates ISO text with a precision column, ids UUIDv7 text.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE gazetteers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    valid_on TEXT NOT NULL,
    is_current BIGINT NOT NULL,
    attribution TEXT NOT NULL
);

CREATE TABLE locations (
    gazetteer TEXT NOT NULL REFERENCES gazetteers (id),
    pcode TEXT NOT NULL,
    name TEXT NOT NULL,
    name_ref TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    admin_level BIGINT NOT NULL,
    parent_pcode TEXT,
    PRIMARY KEY (gazetteer, pcode)
);
CREATE INDEX locations_name_folded ON locations (name_folded);

CREATE TABLE location_aliases (
    gazetteer TEXT NOT NULL,
    pcode TEXT NOT NULL,
    alias TEXT NOT NULL,
    alias_folded TEXT NOT NULL,
    origin TEXT NOT NULL,
    PRIMARY KEY (gazetteer, pcode, alias_folded)
);

CREATE TABLE pcode_crosswalk (
    from_gazetteer TEXT NOT NULL,
    from_pcode TEXT NOT NULL,
    to_gazetteer TEXT NOT NULL,
    to_pcode TEXT NOT NULL,
    admin_level BIGINT NOT NULL,
    share_of_from DOUBLE PRECISION NOT NULL,
    share_of_to DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (from_gazetteer, from_pcode, to_gazetteer, to_pcode)
);

CREATE TABLE population_groups (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    hxl_hashtag TEXT
);

CREATE TABLE sectors (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    group_type TEXT NOT NULL,
    parent_code TEXT
);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id TEXT REFERENCES organisations (id),
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE households (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    external_id TEXT NOT NULL,
    registration_point TEXT NOT NULL,
    registration_point_gazetteer TEXT NOT NULL,
    registration_date TEXT NOT NULL,
    population_group TEXT NOT NULL REFERENCES population_groups (code),
    origin TEXT,
    origin_gazetteer TEXT,
    registered_location TEXT,
    registered_location_gazetteer TEXT,
    current_location TEXT,
    current_location_gazetteer TEXT,
    shelter_type TEXT,
    intention TEXT,
    head_person_id TEXT,
    status TEXT NOT NULL,
    displacement_count BIGINT NOT NULL,
    back_and_forth BIGINT NOT NULL,
    displaced_since TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (organisation_id, external_id)
);
CREATE INDEX households_current_location ON households (current_location);
CREATE INDEX households_population_group ON households (population_group);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    external_id TEXT,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    father_name TEXT,
    other_spellings TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    sex TEXT,
    birth_date TEXT,
    birth_date_precision TEXT,
    relationship TEXT,
    documents_held TEXT NOT NULL,
    documents_missing TEXT NOT NULL,
    specific_needs TEXT NOT NULL,
    phone TEXT,
    status TEXT NOT NULL,
    current_location TEXT,
    current_location_gazetteer TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (household_id, external_id)
);
CREATE INDEX people_household ON people (household_id);
CREATE INDEX people_name_folded ON people (name_folded);

CREATE TABLE movements (
    id TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    person_id TEXT REFERENCES people (id),
    external_id TEXT,
    kind TEXT NOT NULL,
    date TEXT NOT NULL,
    date_precision TEXT NOT NULL,
    from_location TEXT,
    from_gazetteer TEXT,
    to_location TEXT,
    to_gazetteer TEXT,
    country TEXT,
    cause TEXT,
    source TEXT,
    seq BIGINT NOT NULL,
    voided_at BIGINT,
    voided_by TEXT,
    void_reason TEXT,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (household_id, external_id)
);
CREATE INDEX movements_household ON movements (household_id);
CREATE INDEX movements_date ON movements (date);

-- Every change to a household, person or movement after its creation: who, when, why, and
-- each changed field's old and new value (JSON). Creation is the row's created_* columns.
CREATE TABLE record_versions (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    changes TEXT NOT NULL,
    UNIQUE (entity, entity_id, version)
);

CREATE TABLE import_batches (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    summary TEXT NOT NULL
);
