//! Name search through an index, not a scan: each person's name words (also written backwards)
//! and spelling keys are rows of `person_name_terms`, written with the person. A search word
//! matches a person when it begins or ends one of their name words (accents and case aside:
//! "djen" and "hamed" find Djénéba and Mohamed) or has the spelling key of one of their names
//! (Mahamadou finds Mohamed, Maiga finds Maïga; see `linkage::standardise`).
//!
//! Both databases answer from the primary key (kind, term, person): equality for keys, a range
//! for prefixes. Word terms are compared only within `[0-9a-z]`, where byte order and the usual
//! collations agree, so the range is right on PostgreSQL whatever the database's collation.

use crate::db::{Tx, Value};
use crate::error::StoreError;
use crate::{params, Store};

/// The alphabet of word terms that prefix ranges cover, in collation order.
const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// A person's terms from their searchable name (`searchable_name`: folded words, then `#key#`
/// for each spelling key): ("w", word), ("r", word backwards) and ("k", key), each once.
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

/// The lookup of the words beginning with `word` among terms of `kind`.
fn starting_with(kind: &str, word: &str, lookups: &mut Vec<String>, params: &mut Vec<Value>) {
    let select = format!("SELECT person_id FROM person_name_terms WHERE kind = '{kind}' AND term");
    // One letter begins too many names to be a search: it must be a whole word.
    match prefix_end(word).filter(|_| word.chars().count() >= 2) {
        Some(Some(end)) => {
            lookups.push(format!("{select} >= ? AND term < ?"));
            params.extend([Value::from(word), end.into()]);
        }
        Some(None) => {
            lookups.push(format!("{select} >= ?"));
            params.push(word.into());
        }
        None => {
            lookups.push(format!("{select} = ?"));
            params.push(word.into());
        }
    }
}

/// Writes the terms of people just inserted (`replace` false) or whose names changed.
pub(crate) fn write_terms(tx: &mut Tx<'_>, people: &[(&str, &str)], replace: bool) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    for (id, name_folded) in people {
        if replace {
            tx.execute("DELETE FROM person_name_terms WHERE person_id = $1", params![*id])?;
        }
        for (kind, term) in terms(name_folded) {
            rows.push(vec![Value::from(kind), term.into(), Value::from(*id)]);
        }
    }
    tx.insert_rows("person_name_terms", &["kind", "term", "person_id"], rows)
}

/// The first string after every string that begins with `prefix`, if `prefix` is made of the
/// [`ALPHABET`] (`None` inside: then only equality is safe; `Some(None)`: no bound above).
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

/// A name search over the people whose id is `person_id` (a column): every word of the query
/// begins or ends one of their name words or shares a spelling key with one of their names.
/// `None` when the query has no word.
pub(crate) fn name_condition(person_id: &str, query: &str) -> Option<(String, Vec<Value>)> {
    let folded = domain::text::fold(query);
    let mut conditions = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        let mut lookups = Vec::new();
        starting_with("w", word, &mut lookups, &mut params);
        // The end of a name ("hamed" in Mohamed): from three letters, fewer end too many.
        if word.chars().count() >= 3 {
            starting_with("r", &word.chars().rev().collect::<String>(), &mut lookups, &mut params);
        }
        for key in super::name_keys(word) {
            lookups.push("SELECT person_id FROM person_name_terms WHERE kind = 'k' AND term = ?".into());
            params.push(key.into());
        }
        conditions.push(format!("{person_id} IN ({})", lookups.join(" UNION ")));
    }
    (!conditions.is_empty()).then(|| (conditions.join(" AND "), params))
}

impl Store {
    /// Writes the name terms of people recorded before the terms existed (once per database;
    /// later records get them when written).
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
                write_terms(tx, &pairs, false)?;
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
        assert_eq!(terms.iter().filter(|t| t.1 == "maiga").count(), 1);
        assert!(terms.iter().any(|(kind, _)| *kind == "k"));
    }
}
