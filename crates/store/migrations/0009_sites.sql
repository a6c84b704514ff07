-- Displacement sites (camps, collective centres, informal sites) inside a commune. A site's
-- code is its commune's P-code, "S" and a number (ML070101S001): it nests under the commune as
-- P-codes nest, so figures by commune include their sites, and stock can be counted by site.
CREATE TABLE sites (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    commune TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
