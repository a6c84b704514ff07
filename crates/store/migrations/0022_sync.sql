-- Offline sync between installations (nodes). See ARCHITECTURE.md, "Sync".

-- This installation as a node: absent until `djoliba sync init`. The epoch is bumped when the
-- database is restored from a backup, so that no sequence number is ever used twice.
CREATE TABLE sync_node (
    id BIGINT PRIMARY KEY,
    node_id TEXT NOT NULL,
    name TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    next_seq BIGINT NOT NULL,
    -- Order in which this node recorded changes (its own and received ones): what it forwards.
    next_order BIGINT NOT NULL,
    -- Ed25519 secret key (hex) that signs this node's bundles.
    signing_key TEXT NOT NULL,
    -- The last row of this node's audit log put in its feed (the chain travels).
    audit_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every change this node made or received, applied or rejected: the feed it ships. A change
-- from (node, epoch) is recorded only after that origin's previous sequence number, so the
-- highest seq per origin says everything received from it.
CREATE TABLE sync_changes (
    node_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    local_order BIGINT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    -- The household the change belongs to (what a node's scope is checked on).
    household_id TEXT,
    -- JSON: fields, dependencies, author, time, reason.
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    -- applied | rejected
    outcome TEXT NOT NULL,
    rejection TEXT,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (node_id, epoch, seq)
);
CREATE INDEX sync_changes_order ON sync_changes (local_order);
CREATE INDEX sync_changes_entity ON sync_changes (entity_id);
-- The few changes refused or withheld: what a dependency is checked against.
CREATE INDEX sync_changes_not_applied ON sync_changes (node_id, epoch, seq) WHERE outcome <> 'applied';

-- For each origin (a node in one epoch), the highest sequence number recorded: this node's
-- vector, what it tells a peer it holds.
CREATE TABLE sync_origins (
    node_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (node_id, epoch)
);

-- Changes received before what they depend on: applied once it arrives.
CREATE TABLE sync_pending (
    node_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    -- The node that sent it (its scope decides what it may change).
    sent_by TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (node_id, epoch, seq)
);

-- Each synced record's fields as merged: per field, its current values ("heads"), one unless
-- two edits were made without seeing each other.
CREATE TABLE sync_entities (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    created_by_change TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
);

-- Fields with more than one current value, and households whose merged movements do not
-- form a consistent chronology (field '_timeline'): what a person must resolve.
CREATE TABLE sync_conflicts (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    household_id TEXT,
    detail TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (entity, entity_id, field)
);
CREATE INDEX sync_conflicts_household ON sync_conflicts (household_id);

-- The nodes this one knows: those it enrolled (a country office) or enrolled with.
CREATE TABLE sync_peers (
    node_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- Ed25519 public key (hex): verifies the peer's bundles.
    public_key TEXT NOT NULL,
    -- SHA-256 of the token the peer presents when it calls this node (enrolled nodes).
    token_hash TEXT,
    -- Where this node calls the peer, and the token it presents (the node enrolled with it).
    url TEXT,
    token TEXT,
    -- JSON lists; empty for all: what the peer receives from this node and may change here.
    organisations TEXT NOT NULL,
    regions TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_contact_at BIGINT,
    -- JSON: the peer's last known vector (highest seq per origin), for pending counts.
    known_vector TEXT NOT NULL
);

-- Other nodes' audit logs, as shipped: each node's hash chain, verified on arrival and by
-- `djoliba audit verify`. A restored node's chain continues in a new epoch.
CREATE TABLE sync_audit (
    id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
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
CREATE INDEX sync_audit_chain ON sync_audit (node_id, seq);
