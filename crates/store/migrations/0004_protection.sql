-- Data sharing between organisations: what `to_org`'s users may see of `from_org`'s records.
CREATE TABLE sharing_agreements (
    from_org TEXT NOT NULL REFERENCES organisations (id),
    to_org TEXT NOT NULL REFERENCES organisations (id),
    level TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (from_org, to_org)
);

-- Tamper-evident audit: each row's hash covers its content and the previous row's hash.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- The chain's head, updated by every audit write: on PostgreSQL its row lock keeps writers in turn.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');
