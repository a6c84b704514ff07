//! The HXL vocabulary Djoliba knows: the core schema's hashtags and attributes (data/reference/
//! hxl-core.csv), the conventions HXL allows everyone (`#x_…`, `+x_…`, `+v_…`, `+i_fr`, age
//! ranges), and the few tags and attributes published Mali datasets and Djoliba's own exports
//! use beyond the core. An unknown hashtag, or an attribute that most likely means a known one
//! (`#admn1`, `+female`), would drop or misread a column without a word: it is named, with
//! what it most likely meant. Publishers' own attributes far from any known one pass.

use std::collections::BTreeSet;
use std::sync::OnceLock;

const CORE: &str = include_str!("../../../data/reference/hxl-core.csv");

/// Hashtags beyond the core that Mali datasets use: `#adm0` (a country column, as some
/// HDX datasets tag it) and `#round` (DTM's round number).
const EXTRA_HASHTAGS: &[&str] = &["adm0", "round"];

/// Attributes beyond the core that published datasets (DTM, FTS, HDX) and Djoliba's own
/// exports write.
const EXTRA_ATTRIBUTES: &[&str] = &[
    "acronym",
    "age",
    "age_days",
    "appeal",
    "cost",
    "coverage",
    "deliveries",
    "estimated",
    "external",
    "fts_internal",
    "funding",
    "gap",
    "inflow",
    "month",
    "outflow",
    "partners",
    "pillar",
    "population_group",
    "quantity",
    "registered",
    "returned",
    "required",
    "series",
    "stale",
    "total",
    "unit",
    "usd",
    "week",
    "year",
];

/// Words people write for a core attribute, and the attribute HXL spells.
const SYNONYMS: &[(&str, &str)] = &[
    ("female", "f"),
    ("females", "f"),
    ("women", "f"),
    ("male", "m"),
    ("males", "m"),
    ("men", "m"),
    ("individuals", "ind"),
    ("persons", "ind"),
    ("people", "ind"),
    ("households", "hh"),
    ("menages", "hh"),
    ("idp", "idps"),
    ("refugee", "refugees"),
    ("returnee", "returnees"),
    ("pcode", "code"),
    ("nom", "name"),
    ("femme", "f"),
    ("femmes", "f"),
    ("homme", "m"),
    ("hommes", "m"),
];

struct Vocabulary {
    hashtags: BTreeSet<String>,
    attributes: BTreeSet<String>,
}

fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let mut hashtags: BTreeSet<String> = EXTRA_HASHTAGS.iter().map(|h| h.to_string()).collect();
        let mut attributes: BTreeSet<String> = EXTRA_ATTRIBUTES.iter().map(|a| a.to_string()).collect();
        let mut reader = csv::Reader::from_reader(CORE.as_bytes());
        for record in reader.records().map_while(Result::ok) {
            match (record.get(0), record.get(1)) {
                (Some(tag), Some("hashtag")) => hashtags.insert(tag.trim_start_matches('#').to_string()),
                (Some(attribute), Some("attribute")) => {
                    attributes.insert(attribute.trim_start_matches('+').to_string())
                }
                _ => false,
            };
        }
        Vocabulary { hashtags, attributes }
    })
}

/// Whether HXL lets anyone write this attribute: an extension (`+x_…`), a vocabulary
/// (`+v_…`) or an age range (`+age0_4`, `+age18_59`, `+age60plus`).
fn open_attribute(attribute: &str) -> bool {
    // `+i_fr`, `+i_en`: the language of a text column, as HDX datasets write it.
    if attribute.starts_with("x_") || attribute.starts_with("v_") || attribute.starts_with("i_") {
        return true;
    }
    attribute.strip_prefix("age").is_some_and(|range| {
        let range = range.strip_suffix("plus").unwrap_or(range);
        !range.is_empty() && range.split('_').all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// A tag or attribute outside the vocabulary, with the known one it most likely meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// `#admn1` or `+female`, as written (lower case).
    pub written: String,
    pub suggestion: Option<String>,
}

/// What in `hashtag` and `attributes` is outside the vocabulary.
pub fn unknown_parts(hashtag: &str, attributes: &[String]) -> Vec<Unknown> {
    let vocabulary = vocabulary();
    let mut unknown = Vec::new();
    if !hashtag.starts_with("x_") && !vocabulary.hashtags.contains(hashtag) {
        unknown.push(Unknown {
            written: format!("#{hashtag}"),
            suggestion: closest(hashtag, &vocabulary.hashtags).map(|h| format!("#{h}")),
        });
    }
    // Publishers add attributes of their own (IDMC's `+stock`, `+conflict`, `+disaster`…),
    // which HXL allows: an attribute is refused only when it most likely means a known one
    // (`+female` for `+f`, `+idsp` for `+idps`), since its column would then be misread.
    for attribute in attributes {
        if open_attribute(attribute) || vocabulary.attributes.contains(attribute) {
            continue;
        }
        let synonym = SYNONYMS.iter().find(|(word, _)| word == attribute).map(|(_, a)| a.to_string());
        if let Some(meant) = synonym.or_else(|| closest(attribute, &vocabulary.attributes)) {
            unknown.push(Unknown { written: format!("+{attribute}"), suggestion: Some(format!("+{meant}")) });
        }
    }
    unknown
}

/// The known word nearest to `word`, when one is near enough to be a typo of it.
fn closest(word: &str, known: &BTreeSet<String>) -> Option<String> {
    let limit = if word.len() <= 3 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (domain::text::edit_distance(word, k), word.len().abs_diff(k.len()), k))
        .filter(|(distance, _, _)| *distance <= limit)
        .min()
        .map(|(_, _, k)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(tag: &str) -> Vec<(String, Option<String>)> {
        let mut split = tag.trim_start_matches('#').split('+').map(str::to_string);
        let hashtag = split.next().unwrap();
        let attributes: Vec<String> = split.collect();
        unknown_parts(&hashtag, &attributes).into_iter().map(|u| (u.written, u.suggestion)).collect()
    }

    #[test]
    fn typos_are_named_with_what_they_most_likely_meant() {
        assert_eq!(parts("#admn1+name"), vec![("#admn1".into(), Some("#adm1".into()))]);
        assert_eq!(parts("#affected+idps+female"), vec![("+female".into(), Some("+f".into()))]);
        assert_eq!(parts("#affected+idsp+ind"), vec![("+idsp".into(), Some("+idps".into()))]);
        assert_eq!(parts("#zzzz"), vec![("#zzzz".into(), None)]);
    }

    #[test]
    fn the_core_the_open_conventions_and_known_extras_pass() {
        for tag in [
            "#adm2+code",
            "#affected+idps+ind",
            "#affected+f+age0_4",
            "#population+age60plus",
            "#x_custom+x_mine",
            "#adm1+v_pcode",
            "#round",
            "#adm0+code",
            "#value+funding+required+usd",
            "#date+reported",
            // Publishers' own attributes and languages, as IDMC and HDX datasets write them.
            "#affected+idps+ind+stock+conflict",
            "#adm1+name+i_fr",
        ] {
            assert_eq!(parts(tag), vec![], "{tag}");
        }
    }
}
