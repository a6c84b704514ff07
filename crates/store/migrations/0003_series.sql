-- Aggregate figures published by others (DTM rounds, the commission, UNHCR, IDMC): each series
-- kept apart with its source, method and date, never merged into another or into the registry.
CREATE TABLE external_series (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    method TEXT NOT NULL,
    population_group TEXT NOT NULL,
    published_on TEXT,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL
);

CREATE TABLE external_figures (
    series_id TEXT NOT NULL REFERENCES external_series (id),
    row_number BIGINT NOT NULL,
    reference_date TEXT NOT NULL,
    round TEXT,
    pcode TEXT NOT NULL,
    gazetteer TEXT NOT NULL,
    admin_level BIGINT NOT NULL,
    matched_by TEXT NOT NULL,
    place_as_given TEXT NOT NULL,
    individuals BIGINT,
    households BIGINT,
    females BIGINT,
    males BIGINT,
    PRIMARY KEY (series_id, row_number)
);
CREATE INDEX external_figures_date ON external_figures (series_id, reference_date);
