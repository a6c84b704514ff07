//! Changes as they travel, by HTTP or on a USB key: a signed envelope around a batch of
//! changes in a compact binary form (postcard) compressed with zstd.
//!
//! ```text
//! DJS4
//! <the first 4 bytes of the sender's Ed25519 public key>
//! <Ed25519 signature of the payload: 64 bytes>
//! <payload: zstd(postcard(WireBatch)) with the format's dictionary, without zstd's magic>
//! ```
//!
//! The wire form writes each identifier (UUID) once per batch and refers to it by its place:
//! 16 bytes, or after one made in the same millisecond its counter step (and last bytes when
//! they differ); field names by their number in [`FIELDS`], common values by theirs in
//! [`CODES`]; sequence numbers and times as the difference from the previous change's. zstd
//! starts from a dictionary trained on registrations, edits and distributions whose names and
//! numbers were replaced by random letters ([`train_dictionary`]): it knows the wire form's
//! shapes and the code lists, not anyone's name, so that one registration sent alone
//! compresses almost as a batch does.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use zstd::zstd_safe::FrameFormat;

use super::change::{Change, ChangeBody, ChangeId, Entity, FieldValue};
use crate::error::StoreError;

const MAGIC: &[u8] = b"DJS4";
/// Other formats' beginnings, to say what a bundle from another version is: formats 1 to 3
/// opened with a line `djoliba-sync N`, later ones with `DJS` and their number.
const MAGIC_OTHERS: [&[u8]; 2] = [b"djoliba-sync ", b"DJS"];
/// zstd's level: the batches are small and the links slow, so a high level pays.
const LEVEL: i32 = 19;

/// zstd's dictionary of format 4 (`train_dictionary`, then frozen: every node must hold the
/// same bytes, and a new one is a new format). Its SHA-256 is checked by a test.
const DICTIONARY: &[u8] = include_bytes!("dictionary-4.zdict");
#[cfg(test)]
const DICTIONARY_SHA256: &str = "cc2f13793e99ddd165fab977ac1b52cbf6250575534a6b5c4773a1af5aa092a6";

/// The registry's vocabulary, appended to the trained dictionary's content: code lists and the
/// gazetteers' names, so that a code the training samples lacked still compresses.
const VOCABULARY: &str = concat!(
    "[]",
    "[{\"kind\":\"national_id\",\"number\":\"",
    "[{\"kind\":\"birth_certificate\",\"number\":\"",
    "\"},{\"kind\":\"unhcr\",\"number\":\"",
    "\"},{\"kind\":\"ration_card\",\"number\":\"",
    "passport consular_card other ",
    "disability serious_medical_condition older_person_at_risk pregnant_or_lactating single_parent ",
    "unaccompanied_child separated_child woman_at_risk gbv_survivor torture_survivor legal_protection_need ",
    "settle_elsewhere undecided integrate_locally rented own collective_centre makeshift none site ",
    "spouse parent sibling grandchild other_relative unrelated ",
    "local_integration settlement_elsewhere departure_abroad arrival_from_abroad birth death ",
    "intercommunal_violence drought flood food_insecurity ",
    "IDP REF RET system ",
    "cod-ab-mli-2015-04-08 ",
    "secondary_displacement pendular_visit return ",
    "armed_conflict displacement ",
    "national_id birth_certificate host_family child head month year estimated day ",
    "cod-ab-mli-2021-12-20",
);

fn compressor(level: i32) -> Result<zstd::bulk::Compressor<'static>, StoreError> {
    let failed = |e: std::io::Error| StoreError::Database(format!("compressing a sync batch: {e}"));
    let mut compressor = zstd::bulk::Compressor::with_dictionary(level, DICTIONARY).map_err(failed)?;
    // Both ends know the dictionary and that the payload is zstd: neither the dictionary's id
    // nor zstd's magic number need travel.
    compressor.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false)).map_err(failed)?;
    compressor.set_parameter(zstd::zstd_safe::CParameter::Format(FrameFormat::Magicless)).map_err(failed)?;
    Ok(compressor)
}

fn decompressor() -> std::io::Result<zstd::bulk::Decompressor<'static>> {
    let mut decompressor = zstd::bulk::Decompressor::with_dictionary(DICTIONARY)?;
    decompressor.set_parameter(zstd::zstd_safe::DParameter::Format(FrameFormat::Magicless))?;
    Ok(decompressor)
}

/// Fields whose values are people's or the operation's own words and numbers: replaced by
/// random letters and digits of the same length before training, so that the dictionary holds
/// no one's data and does not favour the training set's names.
const FREE_TEXT: &[&str] = &[
    "given_name",
    "family_name",
    "father_name",
    "other_spellings",
    "phone",
    "external_id",
    "identifiers",
    "name",
    "note",
    "reason",
    "reference",
    "source",
    "override_reason",
    "void_reason",
    "detail",
];

/// Trains format 4's dictionary on sample batches (registrations, edits, distributions as a
/// node sends them): their free text is scrambled first (`FREE_TEXT`), then the registry's
/// vocabulary is appended. Run by `DJOLIBA_UPDATE_SYNC_DICTIONARY=1 cargo test -p djoliba --test
/// it -- sync_dictionary`; a new dictionary is a new format (the magic line changes).
pub fn train_dictionary(samples: &[Batch], size: usize, seed: u64) -> Result<Vec<u8>, StoreError> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let mut scramble = |text: &str| -> String {
        text.chars()
            .map(|c| match c {
                '0'..='9' => char::from(b'0' + (next() % 10) as u8),
                c if c.is_alphabetic() => char::from(b'a' + (next() % 26) as u8),
                c => c,
            })
            .collect()
    };
    let mut encoded = Vec::with_capacity(samples.len());
    for batch in samples {
        let mut batch = batch.clone();
        for change in &mut batch.changes {
            change.body.reason = scramble(&change.body.reason);
            for (name, value) in change.body.fields.iter_mut() {
                if FREE_TEXT.contains(&name.as_str()) {
                    if let Some(text) = value.as_str() {
                        *value = scramble(text).into();
                    }
                }
            }
        }
        encoded.push(
            postcard::to_allocvec(&to_wire(&batch))
                .map_err(|e| StoreError::Database(format!("encoding a sync batch: {e}")))?,
        );
    }
    let mut dictionary = zstd::dict::from_samples(&encoded, size)
        .map_err(|e| StoreError::Database(format!("training the sync dictionary: {e}")))?;
    dictionary.extend_from_slice(VOCABULARY.as_bytes());
    Ok(dictionary)
}

/// Field names shipped as their number. Append only: a name keeps its number in every version
/// (a name not listed travels as text). `""` is the key of a change's parent records.
pub const FIELDS: &[&str] = &[
    "",
    "code",
    "name",
    "created_at",
    "created_by",
    "organisation_id",
    "external_id",
    "registration_point",
    "registration_point_gazetteer",
    "registration_date",
    "population_group",
    "origin",
    "origin_gazetteer",
    "registered_location",
    "registered_location_gazetteer",
    "shelter_type",
    "intention",
    "head_person_id",
    "household_id",
    "given_name",
    "family_name",
    "father_name",
    "other_spellings",
    "sex",
    "birth_date",
    "birth_date_precision",
    "relationship",
    "documents_held",
    "documents_missing",
    "specific_needs",
    "phone",
    "duplicate_of",
    "identifiers",
    "person_id",
    "kind",
    "date",
    "date_precision",
    "from_location",
    "from_gazetteer",
    "to_location",
    "to_gazetteer",
    "country",
    "cause",
    "source",
    "seq",
    "voided_at",
    "voided_by",
    "void_reason",
    "recorded_at",
    "recorded_by",
    "node_id",
    "epoch",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "entity",
    "entity_id",
    "detail",
    "prev_hash",
    "hash",
    "decided_on",
    "basis",
    "decided_by",
    "sector",
    "target_unit",
    "start_date",
    "end_date",
    "places",
    "donor",
    "project",
    "eligibility",
    "amount",
    "per",
    "cap_per_household",
    "unit",
    "programme_id",
    "status",
    "cycle_id",
    "person_key",
    "quantity",
    "override_reason",
    "people",
    "entitlement_id",
    "place",
    "modality",
    "outcome",
    "reference",
    "delivered_by",
    "note",
];

/// Changes sent together, by the node that sends them (not necessarily their author).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub from: String,
    pub changes: Vec<Change>,
}

/// Why an envelope was not read. The bytes are never quoted (they may hold personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    NotABundle,
    /// Written in another version of the format (by another version of Djoliba).
    OtherFormat,
    Damaged,
    UnknownSender(String),
    BadSignature(String),
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::NotABundle => f.write_str("this is not a Djoliba sync bundle"),
            BundleError::OtherFormat => f.write_str(
                "this bundle was written by another version of Djoliba (another sync format): bring both nodes to the same version",
            ),
            BundleError::Damaged => f.write_str("the bundle is damaged (cut or altered): ask for it again"),
            BundleError::UnknownSender(hint) => write!(
                f,
                "the bundle comes from a node this node does not know (its key begins {hint}): enrol it first"
            ),
            BundleError::BadSignature(node) => {
                write!(f, "the bundle's signature does not match node {node}'s key: it was altered or forged")
            }
        }
    }
}

/// A text that is usually a UUID: 16 bytes then, or fewer after another made in the same
/// millisecond (the records of one registration).
#[derive(Serialize, Deserialize)]
enum Text {
    Uuid([u8; 16]),
    Plain(String),
    /// A version-7 UUID after the previous UUID of the table: same millisecond, its counter
    /// that many steps on, and its last four (random) bytes.
    Next {
        step: u64,
        tail: [u8; 4],
    },
    /// The same, with the same last four bytes (`crate::new_id` keeps them within a
    /// millisecond).
    Following {
        step: u64,
    },
}

impl Text {
    fn of(s: &str) -> Text {
        match uuid::Uuid::try_parse(s) {
            Ok(u) if u.hyphenated().to_string() == s => Text::Uuid(*u.as_bytes()),
            _ => Text::Plain(s.to_string()),
        }
    }

    /// The text, given the UUID before it in its table; and the UUID it is, if one.
    fn text(&self, previous: Option<&[u8; 16]>) -> Option<(String, Option<[u8; 16]>)> {
        let uuid = |bytes: [u8; 16]| (uuid::Uuid::from_bytes(bytes).hyphenated().to_string(), Some(bytes));
        match self {
            Text::Uuid(bytes) => Some(uuid(*bytes)),
            Text::Plain(s) => Some((s.clone(), None)),
            Text::Next { step, tail } => v7_after(previous?, *step, *tail).map(uuid),
            Text::Following { step } => {
                let previous = previous?;
                v7_after(previous, *step, [previous[12], previous[13], previous[14], previous[15]]).map(uuid)
            }
        }
    }
}

/// The 42-bit counter of a version-7 UUID made by the `uuid` crate (drawn at random each
/// millisecond, one more for each identifier made within it); `None` for other UUIDs.
fn v7_counter(u: &[u8; 16]) -> Option<u64> {
    (u[6] >> 4 == 7 && u[8] >> 6 == 0b10).then(|| {
        (u64::from(u[6] & 0x0f) << 38)
            | (u64::from(u[7]) << 30)
            | (u64::from(u[8] & 0x3f) << 24)
            | (u64::from(u[9]) << 16)
            | (u64::from(u[10]) << 8)
            | u64::from(u[11])
    })
}

/// The milliseconds a version-7 UUID was made at; 0 for other texts.
fn v7_millis(text: &str) -> i64 {
    match uuid::Uuid::try_parse(text) {
        Ok(u) if u.get_version_num() == 7 => {
            let b = u.as_bytes();
            i64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]])
        }
        _ => 0,
    }
}

/// How many counter steps `next` is after `previous`, when both are version 7 of one millisecond.
fn v7_step(previous: &[u8; 16], next: &[u8; 16]) -> Option<u64> {
    if previous[..6] != next[..6] {
        return None;
    }
    v7_counter(next)?.checked_sub(v7_counter(previous)?).filter(|step| *step > 0)
}

fn v7_after(previous: &[u8; 16], step: u64, tail: [u8; 4]) -> Option<[u8; 16]> {
    let counter = v7_counter(previous)?.checked_add(step).filter(|c| *c < 1 << 42)?;
    let mut u = *previous;
    u[6] = 0x70 | ((counter >> 38) & 0x0f) as u8;
    u[7] = (counter >> 30) as u8;
    u[8] = 0x80 | ((counter >> 24) & 0x3f) as u8;
    u[9] = (counter >> 16) as u8;
    u[10] = (counter >> 8) as u8;
    u[11] = counter as u8;
    u[12..].copy_from_slice(&tail);
    Some(u)
}

/// Days since 2000-01-01 of a text that is exactly a date written `YYYY-MM-DD`.
fn wire_date(s: &str) -> Option<i32> {
    if s.len() != 10 {
        return None;
    }
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    (date.format("%Y-%m-%d").to_string() == s).then(|| (date - date_epoch()).num_days() as i32)
}

fn date_epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// A field's name: its number in [`FIELDS`], or past them, its place in the batch's `names`.
type Key = u16;

#[derive(Serialize, Deserialize)]
enum WireValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// A text that is an identifier: its place in the batch's table.
    Id(u32),
    Bool(bool),
    /// Anything else (lists, objects), as JSON.
    Json(String),
    /// A text that is a date (`YYYY-MM-DD`): days since 2000-01-01.
    Date(i32),
    /// A text of the registry's vocabulary ([`CODES`]): its number there.
    Code(u16),
}

/// Values written by their number: the code lists' codes and the gazetteers' versions, and
/// the empty texts and lists of fields left blank. Append only, as [`FIELDS`].
const CODES: &[&str] = &[
    "",
    "[]",
    "f",
    "m",
    "day",
    "month",
    "year",
    "estimated",
    "cod-ab-mli-2021-12-20",
    "cod-ab-mli-2015-04-08",
    "IDP",
    "REF",
    "RET",
    "RDP",
    "ASY",
    "HST",
    "OOC",
    "head",
    "spouse",
    "child",
    "parent",
    "sibling",
    "grandchild",
    "other_relative",
    "unrelated",
    "displacement",
    "secondary_displacement",
    "return",
    "pendular_visit",
    "local_integration",
    "settlement_elsewhere",
    "departure_abroad",
    "arrival_from_abroad",
    "birth",
    "death",
    "armed_conflict",
    "intercommunal_violence",
    "drought",
    "flood",
    "food_insecurity",
    "other",
    "host_family",
    "site",
    "rented",
    "own",
    "collective_centre",
    "makeshift",
    "none",
    "integrate_locally",
    "settle_elsewhere",
    "undecided",
    "national_id",
    "birth_certificate",
    "unhcr",
    "ration_card",
    "passport",
    "consular_card",
    "disability",
    "serious_medical_condition",
    "older_person_at_risk",
    "pregnant_or_lactating",
    "single_parent",
    "unaccompanied_child",
    "separated_child",
    "woman_at_risk",
    "gbv_survivor",
    "torture_survivor",
    "legal_protection_need",
    "system",
    "household",
    "person",
    "delivered",
    "partial",
    "not_delivered",
    "in_kind",
    "cash",
    "mobile_money",
    "voucher",
    "XOF",
    "kit",
];

#[derive(Serialize, Deserialize)]
struct WireId {
    node: u32,
    epoch: i64,
    seq: i64,
}

#[derive(Serialize, Deserialize)]
struct WireChange {
    id: WireId,
    entity: u8,
    entity_id: u32,
    household: Option<u32>,
    /// 1: creates the record; 2: withheld.
    flags: u8,
    fields: Vec<(Key, WireValue)>,
    deps: Vec<(Key, Vec<WireId>)>,
    author: u32,
    /// Milliseconds after the previous change's time (or after 0).
    at: i64,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct WireBatch {
    /// Every identifier of the batch (nodes, records, authors), once, after the sending node's
    /// (place 0, not written: the receiver knows whose key signed it).
    ids: Vec<Text>,
    /// Field names [`FIELDS`] lacks (a newer version's), once.
    names: Vec<String>,
    changes: Vec<WireChange>,
}

#[derive(Default)]
struct Table {
    ids: Vec<Text>,
    places: HashMap<String, u32>,
    /// The last UUID placed: the next one may be written after it.
    last_uuid: Option<[u8; 16]>,
}

impl Table {
    fn place(&mut self, s: &str) -> u32 {
        if let Some(place) = self.places.get(s) {
            return *place;
        }
        let place = self.ids.len() as u32;
        let text = match Text::of(s) {
            Text::Uuid(u) => {
                let after = self
                    .last_uuid
                    .as_ref()
                    .and_then(|previous| Some((v7_step(previous, &u)?, previous[12..] == u[12..])));
                self.last_uuid = Some(u);
                match after {
                    Some((step, true)) => Text::Following { step },
                    Some((step, false)) => Text::Next { step, tail: [u[12], u[13], u[14], u[15]] },
                    None => Text::Uuid(u),
                }
            }
            other => other,
        };
        self.ids.push(text);
        self.places.insert(s.to_string(), place);
        place
    }
}

/// A table's texts, in order (a UUID may be written after the one before it).
fn table_texts(ids: &[Text]) -> Option<Vec<String>> {
    let mut previous = None;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let (text, uuid) = id.text(previous.as_ref())?;
        if uuid.is_some() {
            previous = uuid;
        }
        out.push(text);
    }
    Some(out)
}

fn key(name: &str, names: &mut Vec<String>) -> Key {
    match FIELDS.iter().position(|f| *f == name) {
        Some(i) => i as Key,
        None => {
            let at = names.iter().position(|n| n == name).unwrap_or_else(|| {
                names.push(name.to_string());
                names.len() - 1
            });
            (FIELDS.len() + at) as Key
        }
    }
}

fn key_name(key: Key, names: &[String]) -> Option<String> {
    let key = key as usize;
    match FIELDS.get(key) {
        Some(name) => Some(name.to_string()),
        None => names.get(key - FIELDS.len()).cloned(),
    }
}

fn entity_code(entity: Entity) -> u8 {
    Entity::ALL.iter().position(|e| *e == entity).unwrap_or(0) as u8
}

fn wire_id(table: &mut Table, id: &ChangeId) -> WireId {
    WireId { node: table.place(&id.node), epoch: id.epoch, seq: id.seq }
}

fn to_wire(batch: &Batch) -> WireBatch {
    let mut table = Table::default();
    table.place(&batch.from);
    let (mut previous_at, mut previous_seq) = (0i64, 0i64);
    let mut names = Vec::new();
    let changes = batch
        .changes
        .iter()
        .map(|c| {
            let body = &c.body;
            let fields = body
                .fields
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        FieldValue::Null => WireValue::Null,
                        FieldValue::Bool(b) => WireValue::Bool(*b),
                        FieldValue::Number(n) => {
                            n.as_i64().map_or(WireValue::Real(n.as_f64().unwrap_or(0.0)), WireValue::Int)
                        }
                        FieldValue::String(s) if matches!(Text::of(s), Text::Uuid(_)) => WireValue::Id(table.place(s)),
                        FieldValue::String(s) => match (wire_date(s), CODES.iter().position(|c| c == s)) {
                            (Some(days), _) => WireValue::Date(days),
                            (None, Some(code)) => WireValue::Code(code as u16),
                            (None, None) => WireValue::Text(s.clone()),
                        },
                        other => WireValue::Json(other.to_string()),
                    };
                    (key(name, &mut names), value)
                })
                .collect();
            let deps = body
                .deps
                .iter()
                .map(|(name, ids)| (key(name, &mut names), ids.iter().map(|id| wire_id(&mut table, id)).collect()))
                .collect();
            // The first time from the one its record's identifier holds (a record is usually
            // made when its first change is): a few milliseconds rather than six bytes.
            let base = if previous_at == 0 { v7_millis(&c.entity_id) } else { previous_at };
            let at = body.at.wrapping_sub(base);
            previous_at = body.at;
            // A change's sequence number as the step from the change before (usually 1).
            let mut id = wire_id(&mut table, &c.id);
            id.seq = c.id.seq.wrapping_sub(previous_seq);
            previous_seq = c.id.seq;
            WireChange {
                id,
                entity: entity_code(c.entity),
                entity_id: table.place(&c.entity_id),
                household: body.household.as_deref().map(|h| table.place(h)),
                flags: u8::from(body.creates) | (u8::from(body.withheld) << 1),
                fields,
                deps,
                author: table.place(&body.author),
                at,
                reason: body.reason.clone(),
            }
        })
        .collect();
    table.ids.remove(0);
    WireBatch { ids: table.ids, names, changes }
}

/// The batch `from` sent (the envelope says who).
fn from_wire(wire: WireBatch, from: &str) -> Option<Batch> {
    let mut texts = vec![Text::of(from)];
    texts.extend(wire.ids);
    let ids: Vec<String> = table_texts(&texts)?;
    let id = |place: u32| ids.get(place as usize).cloned();
    let change_id = |w: &WireId| Some(ChangeId { node: id(w.node)?, epoch: w.epoch, seq: w.seq });
    let (mut previous_at, mut previous_seq) = (0i64, 0i64);
    let mut changes = Vec::with_capacity(wire.changes.len());
    for c in wire.changes {
        let mut fields = BTreeMap::new();
        for (k, value) in c.fields {
            let value = match value {
                WireValue::Null => FieldValue::Null,
                WireValue::Int(i) => i.into(),
                WireValue::Real(r) => serde_json::Number::from_f64(r).map_or(FieldValue::Null, FieldValue::Number),
                WireValue::Text(s) => s.into(),
                WireValue::Code(code) => CODES.get(code as usize)?.to_string().into(),
                WireValue::Id(place) => id(place)?.into(),
                WireValue::Bool(b) => b.into(),
                WireValue::Json(s) => serde_json::from_str(&s).ok()?,
                WireValue::Date(days) => {
                    (date_epoch() + chrono::Duration::days(i64::from(days))).format("%Y-%m-%d").to_string().into()
                }
            };
            fields.insert(key_name(k, &wire.names)?, value);
        }
        let mut deps = BTreeMap::new();
        for (k, list) in c.deps {
            deps.insert(key_name(k, &wire.names)?, list.iter().map(change_id).collect::<Option<Vec<_>>>()?);
        }
        let entity_id = id(c.entity_id)?;
        let base = if previous_at == 0 { v7_millis(&entity_id) } else { previous_at };
        let at = base.wrapping_add(c.at);
        previous_at = at;
        let seq = previous_seq.wrapping_add(c.id.seq);
        previous_seq = seq;
        changes.push(Change {
            id: change_id(&WireId { seq, ..c.id })?,
            entity: *Entity::ALL.get(c.entity as usize)?,
            entity_id,
            body: ChangeBody {
                withheld: c.flags & 2 != 0,
                household: match c.household {
                    Some(place) => Some(id(place)?),
                    None => None,
                },
                creates: c.flags & 1 != 0,
                fields,
                deps,
                author: id(c.author)?,
                at,
                reason: c.reason,
            },
        });
    }
    Some(Batch { from: from.to_string(), changes })
}

/// Bytes of the sender's public key an envelope carries: enough to find its key among the
/// nodes a node knows (the signature then proves which it is).
const KEY_HINT: usize = 4;

/// Encodes and signs a batch.
pub fn seal(batch: &Batch, key: &ed25519_dalek::SigningKey) -> Result<Vec<u8>, StoreError> {
    use ed25519_dalek::Signer;
    let payload = compress(batch)?;
    let signature = key.sign(&payload);
    let mut out = Vec::with_capacity(payload.len() + 100);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&key.verifying_key().as_bytes()[..KEY_HINT]);
    out.extend_from_slice(&signature.to_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The batch in its wire form, compressed: what a batch costs on the wire, less the envelope.
pub fn compress(batch: &Batch) -> Result<Vec<u8>, StoreError> {
    compress_at(batch, LEVEL)
}

/// As [`compress`] at a given zstd level (a fast one estimates a batch's size).
pub fn compress_at(batch: &Batch, level: i32) -> Result<Vec<u8>, StoreError> {
    let bytes = postcard::to_allocvec(&to_wire(batch))
        .map_err(|e| StoreError::Database(format!("encoding a sync batch: {e}")))?;
    compressor(level)?.compress(&bytes).map_err(|e| StoreError::Database(format!("compressing a sync batch: {e}")))
}

/// As [`compress`] with no dictionary: what the dictionary saves (its test).
pub fn compress_without_dictionary(batch: &Batch) -> Result<Vec<u8>, StoreError> {
    let bytes = postcard::to_allocvec(&to_wire(batch))
        .map_err(|e| StoreError::Database(format!("encoding a sync batch: {e}")))?;
    zstd::bulk::compress(&bytes, LEVEL).map_err(|e| StoreError::Database(format!("compressing a sync batch: {e}")))
}

/// An envelope's parts: the beginning of the sender's key, the signature, the payload.
struct Parts<'a> {
    hint: &'a [u8],
    signature: &'a [u8],
    payload: &'a [u8],
}

fn parts(bytes: &[u8]) -> Result<Parts<'_>, BundleError> {
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        let other = MAGIC_OTHERS.iter().any(|m| bytes.starts_with(m));
        return Err(if other { BundleError::OtherFormat } else { BundleError::NotABundle });
    };
    if rest.len() < KEY_HINT + 64 {
        return Err(BundleError::Damaged);
    }
    Ok(Parts { hint: &rest[..KEY_HINT], signature: &rest[KEY_HINT..KEY_HINT + 64], payload: &rest[KEY_HINT + 64..] })
}

/// The beginning of the sender's public key (hex), to find it among known nodes before the
/// signature is checked.
pub fn key_hint(bytes: &[u8]) -> Result<String, BundleError> {
    parts(bytes).map(|p| hex::encode(p.hint))
}

/// Checks an envelope's signature with the public key (hex) of the node `from` and decodes the
/// batch that node sent.
pub fn open(bytes: &[u8], from: &str, public_key: &str) -> Result<Batch, BundleError> {
    use ed25519_dalek::Verifier;
    let Parts { signature, payload, .. } = parts(bytes)?;
    let forged = || BundleError::BadSignature(from.to_string());
    let key: [u8; 32] = hex::decode(public_key).ok().and_then(|k| k.try_into().ok()).ok_or_else(forged)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| forged())?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| forged())?;
    key.verify(payload, &ed25519_dalek::Signature::from_bytes(&signature)).map_err(|_| forged())?;
    let bytes = decompressor().and_then(|mut d| d.decompress(payload, 256 << 20)).map_err(|_| BundleError::Damaged)?;
    let wire: WireBatch = postcard::from_bytes(&bytes).map_err(|_| BundleError::Damaged)?;
    from_wire(wire, from).ok_or(BundleError::Damaged)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sync::change::{ChangeBody, ChangeId, Entity};

    fn batch() -> Batch {
        let change = Change {
            id: ChangeId { node: "node-a".into(), epoch: 1, seq: 1 },
            entity: Entity::Person,
            entity_id: "p1".into(),
            body: ChangeBody {
                household: Some("h1".into()),
                creates: false,
                fields: BTreeMap::from([("phone".to_string(), "70000000".into())]),
                deps: BTreeMap::from([(
                    "phone".to_string(),
                    vec![ChangeId { node: "node-b".into(), epoch: 2, seq: 9 }],
                )]),
                author: "u1".into(),
                at: 1_700_000_000_000,
                reason: "correction".into(),
                ..ChangeBody::default()
            },
        };
        Batch { from: "node-a".into(), changes: vec![change] }
    }

    #[test]
    fn a_sealed_batch_opens_with_its_key_and_not_once_altered() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let public = hex::encode(key.verifying_key().to_bytes());
        let sealed = seal(&batch(), &key).unwrap();
        assert_eq!(key_hint(&sealed).unwrap(), public[..8]);
        assert_eq!(open(&sealed, "node-a", &public).unwrap(), batch());
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(open(&altered, "node-a", &public), Err(BundleError::BadSignature("node-a".into())));
        let other = hex::encode(ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]).verifying_key().to_bytes());
        assert_eq!(open(&sealed, "node-a", &other), Err(BundleError::BadSignature("node-a".into())));
        assert_eq!(open(b"djoliba-sync 3\nold", "node-a", &public), Err(BundleError::OtherFormat));
        assert_eq!(open(b"PK\x03\x04", "node-a", &public), Err(BundleError::NotABundle));
        assert_eq!(open(&sealed[..MAGIC.len() + 10], "node-a", &public), Err(BundleError::Damaged));
        // Identifiers, numbers, lists and unknown fields come back as they were.
        let mut odd = batch();
        let body = &mut odd.changes[0].body;
        body.fields.insert("head_person_id".into(), "01a24e03-7d20-779f-b6e6-71937f8fb99a".into());
        body.fields.insert("a_future_field".into(), serde_json::json!(["x", 1]));
        body.fields.insert("seq".into(), (-5).into());
        body.fields.insert("share".into(), serde_json::json!(0.25));
        body.fields.insert("not_a_uuid".into(), "01A24E03-7D20-779F-B6E6-71937F8FB99A".into());
        assert_eq!(open(&seal(&odd, &key).unwrap(), "node-a", &public).unwrap(), odd);
    }

    #[test]
    fn identifiers_made_together_and_dates_come_back_exactly() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let public = hex::encode(key.verifying_key().to_bytes());
        // Half as Djoliba makes them, half as the uuid crate does (another node's version).
        let mut ids: Vec<String> = (0..25).map(|_| crate::new_id()).collect();
        ids.extend((0..25).map(|_| uuid::Uuid::now_v7().to_string()));
        // Other UUIDs, one repeated, one made in another millisecond, and a counter that goes back.
        ids.push("9b2e4f1c-8a3d-4c6e-b1f2-0d9e8c7b6a54".into()); // version 4
        ids.push(ids[3].clone());
        ids.push("01a24e03-7d20-779f-b6e6-71937f8fb99a".into());
        ids.push("01a24e03-7d20-779f-b6e6-71937f8fb99b".into());
        ids.push("01a24e03-7d20-7000-8000-000000000000".into());
        let mut batch = batch();
        let body = &mut batch.changes[0].body;
        for (i, id) in ids.iter().enumerate() {
            body.fields.insert(format!("id_{i:02}"), id.as_str().into());
        }
        for (i, date) in
            ["2024-02-29", "1899-12-31", "2024-02-30", "2024-1-05", "0001-01-01", "2000-01-01T00:00"].iter().enumerate()
        {
            body.fields.insert(format!("date_{i}"), (*date).into());
        }
        assert_eq!(open(&seal(&batch, &key).unwrap(), "node-a", &public).unwrap(), batch);
        let wire = to_wire(&batch);
        let count = |f: fn(&Text) -> bool| wire.ids.iter().filter(|t| f(t)).count();
        let (next, following) =
            (count(|t| matches!(t, Text::Next { .. })), count(|t| matches!(t, Text::Following { .. })));
        assert!(next + following >= 40, "identifiers made in one millisecond follow each other: {next} + {following}");
        assert!(following >= 20, "Djoliba's keep their last bytes within a millisecond: {following}");
    }

    #[test]
    fn the_dictionary_is_the_one_of_format_4() {
        use sha2::Digest;
        assert_eq!(
            hex::encode(sha2::Sha256::digest(DICTIONARY)),
            DICTIONARY_SHA256,
            "the sync dictionary changed: every node must hold the same one; a new one is a new format (MAGIC)"
        );
    }
}
