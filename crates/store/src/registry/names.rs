//! Name search through an index, not a scan. A person's searchable name (`searchable_name`:
//! folded words, then `#key#` per spelling key) becomes terms: each word, each word backwards
//! (for the end of a name) and each key. A search word matches a person when it begins or ends
//! one of their name words, accents and case aside ("djen" and "hamed" find Djénéba and
//! Mohamed), or has the spelling key of one of their names (Mahamadou finds Mohamed, Maiga
//! finds Maïga; see `linkage::standardise`). Every word of a search must match.
//!
//! One interface, an index made for each database:
//! - SQLite: a contentless FTS5 index (`person_search`, keyed by `person_search_ids.n`): a
//!   registration adds a document per person, at a fraction of the cost of rows in a B-tree;
//!   a corrected name gets a new number and document.
//!   Its writes run last in their transaction ([`Tx::last`]), so a search inside the writing
//!   transaction does not see them yet (none does).
//! - PostgreSQL: a row per term (`person_name_terms`) looked up in its primary key, by equality
//!   and by prefix range. Word terms are compared only within `[0-9a-z]`, where byte order and
//!   the usual collations agree, so the range is right whatever the database's collation.

use crate::db::{Backend, Tx, Value};
use crate::error::StoreError;
use crate::visibility::Cond;
use crate::{params, Store};

/// The alphabet of word terms that prefix ranges cover, in collation order.
const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// How terms of each kind are written in the full-text index: words as they are, backwards
/// words and keys behind a mark no folded name word begins with (a digit, then a letter).
const BACKWARDS: &str = "0r";
const KEY: &str = "0k";

/// A person's terms from their searchable name: ("w", word), ("r", word backwards) and
/// ("k", key), each once.
pub(crate) fn terms(name_folded: &str) -> Vec<(&'static str, String)> {
    let mut terms: Vec<(&'static str, String)> = Vec::new();
    for token in name_folded.split(' ').filter(|t| !t.is_empty()) {
        let found = match token.strip_prefix('#').and_then(|t| t.strip_suffix('#')) {
            Some(key) => vec![("k", key.to_string())],
            None => vec![("w", token.to_string()), ("r", token.chars().rev().collect())],
        };
        for term in found {
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    terms
}

/// The terms as one full-text document.
fn document(name_folded: &str) -> String {
    let words: Vec<String> = terms(name_folded)
        .into_iter()
        .map(|(kind, term)| match kind {
            "r" => format!("{BACKWARDS}{term}"),
            "k" => format!("{KEY}{term}"),
            _ => term,
        })
        .collect();
    words.join(" ")
}

/// Indexes a person's new searchable name in place of the old one.
pub(crate) fn rename(tx: &mut Tx<'_>, id: &str, old_name_folded: &str, name_folded: &str) -> Result<(), StoreError> {
    match tx.backend() {
        Backend::Sqlite => {
            // A new number and document; the old document stays behind under a number no
            // person has, which searches never reach. (Forgetting it would need its exact old
            // terms, and wrong ones would damage the index.)
            tx.execute("DELETE FROM person_search_ids WHERE person_id = $1", params![id])?;
            write_terms(tx, &[(id, name_folded)])?;
        }
        Backend::Postgres => {
            for (kind, term) in terms(old_name_folded) {
                tx.execute(
                    "DELETE FROM person_name_terms WHERE kind = $1 AND term = $2 AND person_id = $3",
                    params![kind, term, id],
                )?;
            }
            write_terms(tx, &[(id, name_folded)])?;
        }
    }
    Ok(())
}

/// Indexes the searchable names of people just recorded.
pub(crate) fn write_terms(tx: &mut Tx<'_>, people: &[(&str, &str)]) -> Result<(), StoreError> {
    write(tx, people, true)
}

/// On SQLite, `last`: the documents are written at the end of the transaction (see
/// [`Tx::last`]); otherwise right after the batch's numbers (one flush per batch).
fn write(tx: &mut Tx<'_>, people: &[(&str, &str)], last: bool) -> Result<(), StoreError> {
    match tx.backend() {
        Backend::Sqlite => {
            // Numbers follow the table's AUTOINCREMENT counter, read once: SQLite's write
            // transaction is exclusive, and a number is never given twice (a renamed person's
            // old document stays under the old one).
            let counter = tx.query_int(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'person_search_ids'",
                params![],
            )?;
            let mut numbers = Vec::with_capacity(people.len());
            for (n, (id, _)) in (counter + 1..).zip(people) {
                tx.execute("INSERT INTO person_search_ids (n, person_id) VALUES ($1, $2)", params![n, *id])?;
                numbers.push(n);
            }
            // The words a prefix search may expand into, each once per call.
            let mut words = std::collections::BTreeSet::new();
            for (_, name_folded) in people {
                for (kind, term) in terms(name_folded) {
                    match kind {
                        "w" => words.insert(term),
                        "r" => words.insert(format!("{BACKWARDS}{term}")),
                        _ => false,
                    };
                }
            }
            for word in words {
                tx.execute("INSERT OR IGNORE INTO person_search_words (term) VALUES ($1)", params![word])?;
            }
            const INSERT: &str = "INSERT INTO person_search (rowid, terms) VALUES ($1, $2)";
            for (n, (_, name_folded)) in numbers.into_iter().zip(people) {
                let values = vec![Value::from(n), document(name_folded).into()];
                if last {
                    tx.last(INSERT, values)?;
                } else {
                    tx.execute(INSERT, &values)?;
                }
            }
            Ok(())
        }
        Backend::Postgres => {
            let mut rows = Vec::new();
            for (id, name_folded) in people {
                for (kind, term) in terms(name_folded) {
                    rows.push(vec![Value::from(kind), term.into(), Value::from(*id)]);
                }
            }
            tx.insert_rows("person_name_terms", &["kind", "term", "person_id"], rows)
        }
    }
}

/// The first string after every string that begins with `prefix`, if `prefix` is made of the
/// [`ALPHABET`] (`None` otherwise: then only equality is safe; `Some(None)`: no bound above).
fn prefix_end(prefix: &str) -> Option<Option<String>> {
    let mut bytes = prefix.as_bytes().to_vec();
    if bytes.iter().any(|b| !ALPHABET.contains(b)) {
        return None;
    }
    while let Some(last) = bytes.pop() {
        if let Some(next) = ALPHABET.iter().position(|b| *b == last).and_then(|i| ALPHABET.get(i + 1)) {
            bytes.push(*next);
            return Some(Some(String::from_utf8(bytes).unwrap_or_default()));
        }
    }
    Some(None)
}

/// What one search word may match: (kind, term, by prefix).
fn alternatives(word: &str) -> Vec<(&'static str, String, bool)> {
    // One letter begins too many names to be a search: it must be a whole word; the end of a
    // name counts from three letters.
    let letters = word.chars().count();
    let mut found = vec![("w", word.to_string(), letters >= 2)];
    if letters >= 3 {
        found.push(("r", word.chars().rev().collect(), true));
    }
    found.extend(super::name_keys(word).into_iter().map(|key| ("k", key, false)));
    found
}

/// A name search over the people whose id is `person_id` (a column): every word of the query
/// begins or ends one of their name words or shares a spelling key with one of their names.
/// `None` when the query has no word.
pub(crate) fn name_condition(backend: Backend, person_id: &str, query: &str) -> Option<(String, Vec<Value>)> {
    let words = search_words(query);
    if words.is_empty() {
        return None;
    }
    match backend {
        Backend::Sqlite => Some((
            format!(
                "{person_id} IN (SELECT i.person_id FROM person_search s JOIN person_search_ids i ON i.n = s.rowid \
                 WHERE person_search MATCH ?)"
            ),
            // Without a transaction nothing is looked up, and nothing can fail.
            vec![fts_expression(None, &words).unwrap_or_default().into()],
        )),
        Backend::Postgres => {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let mut conditions = Vec::new();
            let mut params: Vec<Value> = Vec::new();
            for word in words {
                let mut lookups = Vec::new();
                for (kind, term, prefix) in alternatives(word) {
                    let select = format!("SELECT person_id FROM person_name_terms WHERE kind = '{kind}' AND term");
                    match prefix_end(&term).filter(|_| prefix) {
                        Some(Some(end)) => {
                            lookups.push(format!("{select} >= ? AND term < ?"));
                            params.extend([Value::from(term), end.into()]);
                        }
                        Some(None) => {
                            lookups.push(format!("{select} >= ?"));
                            params.push(term.into());
                        }
                        None => {
                            lookups.push(format!("{select} = ?"));
                            params.push(term.into());
                        }
                    }
                }
                conditions.push(format!("({})", lookups.join(" UNION ")));
            }
            // One set of people, the words' sets intersected, for the planner to look people up
            // by it rather than join every person to each word's set.
            Some((
                format!("{person_id} IN (SELECT person_id FROM ({}) AS found)", conditions.join(" INTERSECT ")),
                params,
            ))
        }
    }
}

/// The folded words of a search.
fn search_words(query: &str) -> Vec<String> {
    domain::text::fold(query).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The FTS5 query of a search: every word, each through any of its alternatives. Folded words
/// are letters and digits: nothing in them needs quoting. With a transaction, a prefix that
/// begins at most [`PREFIX_WORDS_AT_MOST`] indexed words is asked for as those words.
fn fts_expression(tx: Option<&mut Tx<'_>>, words: &[String]) -> Result<String, StoreError> {
    let mut tx = tx;
    let mut expression = Vec::new();
    for word in words {
        let mut any: Vec<String> = Vec::new();
        for (kind, term, prefix) in alternatives(word) {
            let mark = match kind {
                "r" => BACKWARDS,
                "k" => KEY,
                _ => "",
            };
            let marked = format!("{mark}{term}");
            let expanded = match (tx.as_deref_mut(), prefix_end(&marked).filter(|_| prefix)) {
                (Some(tx), Some(end)) => prefix_words(tx, &marked, end.as_deref())?,
                _ => None,
            };
            // None found: the prefix itself, which the index answers at once when nothing
            // begins with it, and which still finds a name FTS5 folds otherwise than `fold`
            // (ø, ł, đ: kept by `fold`, made o, l, d by FTS5).
            match expanded.filter(|words| !words.is_empty()) {
                Some(words) => any.extend(words.into_iter().map(|w| format!("\"{w}\""))),
                None => any.push(format!("\"{marked}\"{}", if prefix { "*" } else { "" })),
            }
        }
        expression.push(format!("({})", any.join(" OR ")));
    }
    Ok(expression.join(" AND "))
}

/// How many indexed words a typed prefix may stand for and still be asked for word by word.
/// FTS5 reads every document of a prefix before it gives the first; an exact word's only as
/// far as the search keeps. At a million people one common given name took 50 ms as a prefix
/// and 5 ms as the word.
const PREFIX_WORDS_AT_MOST: i64 = 16;

/// The indexed words that begin with `prefix` (`end`: the first string after them), when there
/// are at most [`PREFIX_WORDS_AT_MOST`].
fn prefix_words(tx: &mut Tx<'_>, prefix: &str, end: Option<&str>) -> Result<Option<Vec<String>>, StoreError> {
    let rows = match end {
        Some(end) => tx.query(
            "SELECT term FROM person_search_words WHERE term >= $1 AND term < $2 ORDER BY term LIMIT $3",
            params![prefix, end, PREFIX_WORDS_AT_MOST + 1],
        )?,
        None => tx.query(
            "SELECT term FROM person_search_words WHERE term >= $1 ORDER BY term LIMIT $2",
            params![prefix, PREFIX_WORDS_AT_MOST + 1],
        )?,
    };
    Ok((rows.len() as i64 <= PREFIX_WORDS_AT_MOST).then(|| rows.iter().map(|r| r.text(0)).collect()))
}

/// A search as a query that stops after the first people found.
pub(crate) struct NameSearch {
    /// A `FROM` producing the people found as `p`.
    pub from: &'static str,
    matched: Matched,
    /// Rows the query may give for one person (each way a person matches the driving word).
    pub rows_per_person: usize,
}

enum Matched {
    /// SQLite: the search's words, made into an FTS5 query with the index's words at hand.
    Words(Vec<String>),
    Cond(Cond),
}

impl NameSearch {
    /// The condition to add.
    pub(crate) fn matched(&self, tx: &mut Tx<'_>) -> Result<Cond, StoreError> {
        match &self.matched {
            Matched::Words(words) => {
                Ok(Cond::new("person_search MATCH ?", vec![fts_expression(Some(tx), words)?.into()]))
            }
            Matched::Cond(cond) => Ok(cond.clone()),
        }
    }
}

/// The people a search finds, the index driving the query (people come in its order, and a
/// `LIMIT` ends the search early). SQLite: FTS5, a row per person. PostgreSQL: the longest
/// word through the term table's key (a row per term it matches: the caller keeps each person
/// once), the other words checked on each person's searchable name with the same meaning.
pub(crate) fn name_search_from(backend: Backend, query: &str) -> Option<NameSearch> {
    let words = search_words(query);
    if words.is_empty() {
        return None;
    }
    match backend {
        Backend::Sqlite => Some(NameSearch {
            from: "person_search s CROSS JOIN person_search_ids i ON i.n = s.rowid CROSS JOIN people p ON p.id = i.person_id",
            matched: Matched::Words(words),
            rows_per_person: 1,
        }),
        Backend::Postgres => {
            let driving = words.iter().enumerate().max_by_key(|(_, w)| w.chars().count()).map_or(0, |(i, _)| i);
            let mut params: Vec<Value> = Vec::new();
            let ways = alternatives(&words[driving]);
            let mut drive = Vec::new();
            for (kind, term, prefix) in &ways {
                match prefix_end(term).filter(|_| *prefix) {
                    Some(Some(end)) => {
                        drive.push(format!("(t.kind = '{kind}' AND t.term >= ? AND t.term < ?)"));
                        params.extend([Value::from(term.as_str()), end.into()]);
                    }
                    Some(None) => {
                        drive.push(format!("(t.kind = '{kind}' AND t.term >= ?)"));
                        params.push(term.as_str().into());
                    }
                    None => {
                        drive.push(format!("(t.kind = '{kind}' AND t.term = ?)"));
                        params.push(term.as_str().into());
                    }
                }
            }
            let mut conditions = vec![format!("({})", drive.join(" OR "))];
            for word in words.iter().enumerate().filter(|(i, _)| *i != driving).map(|(_, w)| w) {
                let any: Vec<&str> = alternatives(word)
                    .into_iter()
                    .map(|(kind, term, prefix)| {
                        params.push(like_pattern(kind, &term, prefix).into());
                        "(' ' || p.name_folded || ' ') LIKE ?"
                    })
                    .collect();
                conditions.push(format!("({})", any.join(" OR ")));
            }
            Some(NameSearch {
                from: "person_name_terms t JOIN people p ON p.id = t.person_id",
                matched: Matched::Cond(Cond::new(conditions.join(" AND "), params)),
                rows_per_person: ways.len(),
            })
        }
    }
}

/// The `LIKE` pattern on `' ' || name_folded || ' '` that means what the term means: a word
/// beginning with it (or equal), a word ending with it (`r` holds it backwards), a key.
fn like_pattern(kind: &str, term: &str, prefix: bool) -> String {
    let word: String = if kind == "r" { term.chars().rev().collect() } else { term.to_string() };
    let mut escaped = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    match (kind, prefix) {
        ("r", _) => format!("%{escaped} %"),
        ("k", _) => format!("% #{escaped}# %"),
        (_, true) => format!("% {escaped}%"),
        (_, false) => format!("% {escaped} %"),
    }
}

impl Store {
    /// Indexes the names of people recorded before the index existed (once per database; later
    /// records are indexed when written).
    pub(crate) fn backfill_name_terms(&self) -> Result<(), StoreError> {
        let done = self.db.read(|tx| tx.query_opt("SELECT value FROM meta WHERE key = 'name_terms'", params![]))?;
        if done.is_some() {
            return Ok(());
        }
        self.db.write(|tx| {
            // Another process opening the same database may have done it meanwhile.
            if tx.query_opt("SELECT value FROM meta WHERE key = 'name_terms'", params![])?.is_some() {
                return Ok(());
            }
            tx.execute("INSERT INTO meta (key, value) VALUES ('name_terms', '1')", params![])?;
            let mut people = Vec::new();
            tx.query_each("SELECT id, name_folded FROM people", params![], |r| {
                people.push((r.text(0), r.text(1)));
                Ok(())
            })?;
            for chunk in people.chunks(2_000) {
                let pairs: Vec<(&str, &str)> = chunk.iter().map(|(id, name)| (id.as_str(), name.as_str())).collect();
                // Each batch's documents right after its numbers: deferred to the commit, a
                // large registry's would all wait in memory.
                write(tx, &pairs, false)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_at_the_next_string_of_the_alphabet() {
        assert_eq!(prefix_end("amin"), Some(Some("amio".into())));
        assert_eq!(prefix_end("maz"), Some(Some("mb".into())));
        assert_eq!(prefix_end("a9"), Some(Some("aa".into())));
        assert_eq!(prefix_end("zz"), Some(None));
        assert_eq!(prefix_end("ʿali"), None);
    }

    #[test]
    fn terms_are_the_words_and_keys_of_a_searchable_name_each_once() {
        let name = super::super::searchable_name(&["Fatoumata", "Maïga", "Maiga"]);
        let terms = terms(&name);
        assert!(terms.contains(&("w", "fatoumata".into())) && terms.contains(&("w", "maiga".into())));
        assert!(terms.contains(&("r", "agiam".into())));
        assert_eq!(terms.iter().filter(|t| t.1 == "maiga").count(), 1);
        assert!(terms.iter().any(|(kind, _)| *kind == "k"));
        assert!(document(&name).split(' ').any(|t| t == "0ragiam"));
    }
}
