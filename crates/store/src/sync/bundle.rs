//! Changes as they travel, by HTTP or on a USB key: a signed envelope around a batch of
//! changes encoded as CBOR and compressed with zstd.
//!
//! ```text
//! djoliba-sync 1\n
//! <sending node id> <Ed25519 signature of the payload, hex>\n
//! <payload: zstd(CBOR(Batch))>
//! ```

use serde::{Deserialize, Serialize};

use super::change::Change;
use crate::error::StoreError;

const MAGIC: &[u8] = b"djoliba-sync 1\n";
/// zstd's level: the batches are small and the links slow, so a high level pays.
const LEVEL: i32 = 19;

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
    Damaged,
    UnknownSender(String),
    BadSignature(String),
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::NotABundle => f.write_str("this is not a Djoliba sync bundle"),
            BundleError::Damaged => f.write_str("the bundle is damaged (cut or altered): ask for it again"),
            BundleError::UnknownSender(node) => {
                write!(f, "the bundle comes from node {node}, which this node does not know")
            }
            BundleError::BadSignature(node) => {
                write!(f, "the bundle's signature does not match node {node}'s key: it was altered or forged")
            }
        }
    }
}

/// Encodes and signs a batch.
pub fn seal(batch: &Batch, key: &ed25519_dalek::SigningKey) -> Result<Vec<u8>, StoreError> {
    use ed25519_dalek::Signer;
    let payload = compress(batch)?;
    let signature = key.sign(&payload);
    let mut out = Vec::with_capacity(payload.len() + 200);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(batch.from.as_bytes());
    out.push(b' ');
    out.extend_from_slice(hex::encode(signature.to_bytes()).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The batch's CBOR, compressed: what a batch costs on the wire, less the envelope.
pub fn compress(batch: &Batch) -> Result<Vec<u8>, StoreError> {
    let mut cbor = Vec::new();
    ciborium::into_writer(batch, &mut cbor).map_err(|e| StoreError::Database(format!("encoding a sync batch: {e}")))?;
    zstd::bulk::compress(&cbor, LEVEL).map_err(|e| StoreError::Database(format!("compressing a sync batch: {e}")))
}

/// The sending node named by an envelope, before its signature is checked.
pub fn sender(bytes: &[u8]) -> Result<String, BundleError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(BundleError::NotABundle)?;
    let line_end = rest.iter().position(|b| *b == b'\n').ok_or(BundleError::Damaged)?;
    let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| BundleError::Damaged)?;
    line.split_once(' ').map(|(node, _)| node.to_string()).ok_or(BundleError::Damaged)
}

/// Checks an envelope's signature with its sender's public key (hex) and decodes the batch.
pub fn open(bytes: &[u8], public_key: &str) -> Result<Batch, BundleError> {
    use ed25519_dalek::Verifier;
    let rest = bytes.strip_prefix(MAGIC).ok_or(BundleError::NotABundle)?;
    let line_end = rest.iter().position(|b| *b == b'\n').ok_or(BundleError::Damaged)?;
    let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| BundleError::Damaged)?;
    let (node, signature) = line.split_once(' ').ok_or(BundleError::Damaged)?;
    let payload = &rest[line_end + 1..];
    let forged = || BundleError::BadSignature(node.to_string());
    let key: [u8; 32] = hex::decode(public_key).ok().and_then(|k| k.try_into().ok()).ok_or_else(forged)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| forged())?;
    let signature: [u8; 64] = hex::decode(signature).ok().and_then(|s| s.try_into().ok()).ok_or_else(forged)?;
    key.verify(payload, &ed25519_dalek::Signature::from_bytes(&signature)).map_err(|_| forged())?;
    let cbor = zstd::bulk::decompress(payload, 256 << 20).map_err(|_| BundleError::Damaged)?;
    let batch: Batch = ciborium::from_reader(cbor.as_slice()).map_err(|_| BundleError::Damaged)?;
    if batch.from != node {
        return Err(forged());
    }
    Ok(batch)
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
        assert_eq!(sender(&sealed).unwrap(), "node-a");
        assert_eq!(open(&sealed, &public).unwrap(), batch());
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(open(&altered, &public), Err(BundleError::BadSignature("node-a".into())));
        let other = hex::encode(ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]).verifying_key().to_bytes());
        assert_eq!(open(&sealed, &other), Err(BundleError::BadSignature("node-a".into())));
        assert_eq!(open(b"PK\x03\x04", &public), Err(BundleError::NotABundle));
        assert_eq!(open(&sealed[..MAGIC.len() + 10], &public), Err(BundleError::Damaged));
    }
}
