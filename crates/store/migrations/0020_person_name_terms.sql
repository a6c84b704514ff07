-- Name search without scanning every person: each person's name words (accents and case
-- folded, kind 'w') and the spelling keys of their names (kind 'k'), looked up by prefix and
-- by equality in the primary key. Written with the person (`registry::names`).
CREATE TABLE person_name_terms (
    kind TEXT NOT NULL,
    term TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    PRIMARY KEY (kind, term, person_id)
);
CREATE INDEX person_name_terms_person ON person_name_terms (person_id);
-- Name search no longer reads people.name_folded through this index.
DROP INDEX people_name_folded;
