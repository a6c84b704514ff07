-- Imports shared by every server on one database (several servers behind a load balancer):
-- the files a user checked and may confirm (on any server), and the imports running or
-- finished, with their progress, so that any server can show them.
CREATE TABLE kept_uploads (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    -- Milliseconds; after 30 minutes the files are gone.
    kept_at BIGINT NOT NULL
);
CREATE INDEX kept_uploads_user ON kept_uploads (user_id, kept_at);
CREATE TABLE kept_upload_files (
    upload_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    /*sqlite: content BLOB NOT NULL, */
    /*postgres: content BYTEA NOT NULL, */
    PRIMARY KEY (upload_id, position)
);
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    file_names TEXT NOT NULL,
    phase TEXT NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    -- What the user is shown once it ended (JSON), NULL while it runs.
    outcome TEXT,
    started_at BIGINT NOT NULL,
    -- Last progress written: a job silent for long ran on a server that stopped.
    updated_at BIGINT NOT NULL
);
