//! Names as the Sahel writes them: one person is Mohamed, Mahamadou or Muhammad; Maïga or
//! Maiga; Ag Alhousseini, Ag-Alhousseyni or Alhousseini. Standardisation folds case and
//! diacritics, drops particles (ag, ould, walet, ben, el/al…), rewrites transliteration
//! variants to one spelling (dj→j, ou→u, kh→k, sh→ch, y→i…), and collapses doubled letters.
//! The key keeps the first letter and the consonants: the same for most spelling variants.

use unicode_normalization::UnicodeNormalization;

/// Particles dropped from names: filiation and article prefixes written apart or hyphenated.
pub const PARTICLES: &[&str] =
    &["ag", "ould", "oult", "walet", "welet", "oulet", "wel", "mint", "ben", "bin", "ibn", "el", "al"];

/// Rewrites applied in order to each folded token; the first of each pair becomes the second.
pub const REWRITES: &[(&str, &str)] = &[
    ("tch", "ch"),
    ("dj", "j"),
    ("sh", "ch"),
    ("kh", "k"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("qu", "k"),
    ("q", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("y", "i"),
    ("w", "u"),
    ("z", "s"),
];

/// Folds a name: lowercase ASCII letters, diacritics removed, anything else a separator.
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphabetic() {
            // Letters outside ASCII after decomposition (ß, ø, Arabic script…): kept lowercased.
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn rewrite_token(token: &str) -> String {
    let mut text = token.to_string();
    for (from, to) in REWRITES {
        if text.contains(from) {
            text = text.replace(from, to);
        }
    }
    // "c" before a, o, u sounds k (Coulibaly, Kulibali); "ch" stays.
    let bytes: Vec<u8> = text.bytes().collect();
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        if b == b'c' && matches!(next, Some(b'a' | b'o' | b'u')) {
            out.push(b'k');
        } else if out.last() == Some(&b) {
            // Doubled letters are one: Mohammed, Mohamed.
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap_or(text)
}

/// The standard spelling of a name: folded, particles dropped (unless nothing else is left),
/// transliteration variants rewritten. Tokens are joined by a space.
pub fn standardise(name: &str) -> String {
    let folded = fold(name);
    let tokens: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    let kept: Vec<&str> = tokens.iter().copied().filter(|t| !PARTICLES.contains(t)).collect();
    let chosen = if kept.is_empty() { tokens } else { kept };
    chosen.iter().map(|t| rewrite_token(t)).collect::<Vec<_>>().join(" ")
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// The consonant key of a standardised name: per token, its first letter and then its
/// consonants, doubled ones once; tokens concatenated. Mohamed, Mahamadou and Muhammad share
/// `mhmd`; Maïga and Maiga share `mg`.
pub fn key(standard: &str) -> String {
    let mut out = String::with_capacity(standard.len());
    for token in standard.split(' ') {
        let bytes = token.as_bytes();
        let Some(&first) = bytes.first() else { continue };
        // Initial vowels sound alike (Oumar, Umar, Omar): they all key as one.
        let first = if is_vowel(first) { b'a' } else { first };
        out.push(first as char);
        let mut last = first;
        for &b in &bytes[1..] {
            if is_vowel(b) {
                continue;
            }
            if b != last {
                out.push(b as char);
                last = b;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spelling groups seen in Malian registration lists: each group is one name.
    const GROUPS: &[&[&str]] = &[
        &["Mohamed", "Mohammed", "Muhammad", "Mouhamed", "Mahamadou", "Mohamadou", "Mouhammad"],
        &["Maïga", "Maiga", "MAIGA", "Maïgua"],
        &["Touré", "Toure", "Tourè"],
        &["Oumar", "Umar", "Omar"],
        &["Djénéba", "Jeneba", "Djeneba"],
        &["Coulibaly", "Kulibali", "Koulibaly"],
        &["Alhousseini", "Alhousseyni", "Ag Alhousseini", "Ag-Alhousseyni", "Alhouseini"],
        &["Fatoumata", "Fatimata", "Fatoumatta"],
        &["Khadija", "Kadija", "Khadidja"],
        &["Walet Intalla", "Intalla", "Intala"],
        &["Ould Sidi", "Sidi", "Ould-Sidy"],
        &["Boubacar", "Boubakar", "Bubakar"],
        &["Ibrahim", "Ibrahima", "Ibrahime"],
        &["Seydou", "Seidou", "Saydou"],
        &["Aïchatou", "Aichatou", "Aïshatou"],
    ];

    #[test]
    fn spelling_groups_share_a_key() {
        for group in GROUPS {
            let keys: Vec<String> = group.iter().map(|n| key(&standardise(n))).collect();
            assert!(keys.windows(2).all(|w| w[0] == w[1]), "{group:?} → {keys:?}");
        }
    }

    #[test]
    fn different_names_stay_apart() {
        let names = [
            "Mohamed",
            "Moussa",
            "Mamadou",
            "Aminata",
            "Amadou",
            "Fatoumata",
            "Oumar",
            "Ousmane",
            "Sidi",
            "Seydou",
            "Maïga",
            "Mariko",
            "Touré",
            "Traoré",
        ];
        let standard: std::collections::HashSet<String> = names.iter().map(|n| standardise(n)).collect();
        assert_eq!(standard.len(), names.len(), "{standard:?}");
        // Keys are coarse on purpose (they gather spellings for blocking); these pairs share one
        // and are told apart by the string comparison.
        let keys: std::collections::HashSet<String> = names.iter().map(|n| key(&standardise(n))).collect();
        assert_eq!(keys.len(), names.len() - 2, "only Sidi/Seydou and Touré/Traoré collide: {keys:?}");
    }

    #[test]
    fn particles_go_but_never_the_whole_name() {
        assert_eq!(standardise("Ag Alhousseini"), standardise("Alhousseini"));
        assert_eq!(standardise("Walet  Intalla"), "intala");
        assert_eq!(standardise("Ould"), "uld");
        assert_eq!(standardise("  Dicko-Cissé "), "diko cise");
        assert_eq!(fold("N'Diaye"), "n diaye");
    }
}
