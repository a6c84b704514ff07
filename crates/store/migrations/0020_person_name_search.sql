-- Name search without scanning every person. Each person's searchable name (people.name_folded:
-- folded words and spelling keys) is indexed as terms: the words, the words backwards (for the
-- end of a name) and the keys, found by prefix and equality (`registry::names`).
-- SQLite: a full-text index (FTS5, contentless) keyed by a number per person. A corrected name
-- gets a new number (never one used before: AUTOINCREMENT) and document; the old document
-- stays under a number no person has.
/*sqlite:
CREATE TABLE person_search_ids (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE person_search USING fts5 (
    terms, content = '', detail = none
);
*/
-- PostgreSQL: one row per term, looked up in the primary key. A changed name deletes its old
-- terms by the same key.
/*postgres:
CREATE TABLE person_name_terms (
    kind TEXT NOT NULL,
    term TEXT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (kind, term, person_id)
);
*/
-- Name search no longer reads people.name_folded through this index.
DROP INDEX people_name_folded;
