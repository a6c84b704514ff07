-- A series keeps its name; each import of it is a version, and its figures belong to the
-- version. Replacing a series adds a version; removing it keeps every version for the audit,
-- and the series then counts nowhere. The columns of external_series about its file describe
-- its first version.
ALTER TABLE external_series ADD COLUMN current_version TEXT;
ALTER TABLE external_series ADD COLUMN removed_at BIGINT;
ALTER TABLE external_series ADD COLUMN removed_by TEXT;

CREATE TABLE external_series_versions (
    id TEXT PRIMARY KEY,
    series_id TEXT NOT NULL REFERENCES external_series (id),
    number BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    -- Individuals in the rows left out because their place was not matched.
    people_skipped BIGINT NOT NULL,
    -- "Header: #tag" of each column left out for a tag outside the HXL vocabulary, one per line.
    columns_left_out TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    UNIQUE (series_id, number)
);
INSERT INTO external_series_versions (id, series_id, number, file_name, file_sha256, rows_skipped, people_skipped, columns_left_out, imported_at, imported_by)
    SELECT id, id, 1, file_name, file_sha256, rows_skipped, 0, '', imported_at, imported_by FROM external_series;
UPDATE external_series SET current_version = id;
CREATE INDEX external_series_versions_file ON external_series_versions (file_sha256);

-- The figures, now of a version, with their date as given and its precision (`day`, `month`,
-- `year`): reference_date is the last day the date covers.
CREATE TABLE external_series_figures (
    version_id TEXT NOT NULL REFERENCES external_series_versions (id),
    row_number BIGINT NOT NULL,
    reference_date TEXT NOT NULL,
    date_precision TEXT NOT NULL,
    date_as_given TEXT NOT NULL,
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
    PRIMARY KEY (version_id, row_number)
);
INSERT INTO external_series_figures (version_id, row_number, reference_date, date_precision, date_as_given, round, pcode, gazetteer, admin_level, matched_by, place_as_given, individuals, households, females, males)
    SELECT series_id, row_number, reference_date, 'day', reference_date, round, pcode, gazetteer, admin_level, matched_by, place_as_given, individuals, households, females, males FROM external_figures;
DROP TABLE external_figures;
CREATE INDEX external_series_figures_date ON external_series_figures (version_id, reference_date);
