-- SQLite: the words and backwards words of the name index, each once. A search expands a typed
-- prefix into the words it begins (when they are few) and asks FTS5 for those exactly: FTS5
-- reads every document of a prefix before giving the first, and only as many of an exact
-- word's as the search keeps (`registry::names`). Filled here from the index itself; kept by
-- every write of the index from now on.
/*sqlite:
CREATE TABLE person_search_words (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.person_search_vocabulary USING fts5vocab(main, person_search, row);
INSERT INTO person_search_words (term)
    SELECT term FROM temp.person_search_vocabulary WHERE substr(term, 1, 2) <> '0k';
DROP TABLE temp.person_search_vocabulary;
*/
