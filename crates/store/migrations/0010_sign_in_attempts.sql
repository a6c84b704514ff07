-- Sign-in attempts per account and source, counted atomically to throttle guessing: an
-- attempt is recorded as failed before its password is checked, and cleared if it succeeds.
CREATE TABLE sign_in_attempts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    failed BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts (username, source, at);
