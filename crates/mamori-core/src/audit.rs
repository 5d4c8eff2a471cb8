//! The audit trail (監査証跡): an append-only, hash-chained log of every change, every login and
//! failed login, and every read of restricted data.
//!
//! Each record's MAC is HMAC-SHA256, under a key kept outside the database, of the record's
//! fields and the previous record's MAC. Editing a record breaks its MAC; deleting one breaks the
//! sequence and the next record's link; inserting one needs the key. [`verify`] names the first
//! record where the chain breaks.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::org::{UnitId, UserId};

/// MAC of the record before the first.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Account that acted; `None` for the system itself or an unknown login name.
    pub actor_id: Option<UserId>,
    /// Login name as the actor gave it (kept for failed logins of unknown names).
    pub actor_name: String,
    /// Dotted action name, e.g. `login.failed`, `unit.create`, `person.read`.
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    /// The unit the target belongs to, so that auditors can be kept away from their own unit.
    pub unit_id: Option<UnitId>,
    /// Client address, when the event came over the network.
    pub address: String,
    /// Event details as a JSON object.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(action: &str, target_kind: &str, target_id: impl ToString) -> Self {
        Self {
            actor_id: None,
            actor_name: String::new(),
            action: action.to_owned(),
            target_kind: target_kind.to_owned(),
            target_id: target_id.to_string(),
            unit_id: None,
            address: String::new(),
            detail: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn by(mut self, actor_id: Option<UserId>, actor_name: &str) -> Self {
        self.actor_id = actor_id;
        self.actor_name = actor_name.to_owned();
        self
    }

    pub fn from_address(mut self, address: &str) -> Self {
        self.address = address.to_owned();
        self
    }

    pub fn in_unit(mut self, unit: Option<UnitId>) -> Self {
        self.unit_id = unit;
        self
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A sealed record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    /// Milliseconds since the Unix epoch (UTC).
    pub at_ms: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_mac: String,
    pub mac: String,
}

/// The key that seals the chain.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn generate<R: rand::RngCore + rand::CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

/// The MAC of a record with these fields, linked to `prev_mac`.
pub fn seal(key: &AuditKey, seq: i64, at_ms: i64, event: &AuditEvent, prev_mac: &str) -> String {
    // A JSON array has one serialisation for given values, so the MAC input is unambiguous.
    let canonical = serde_json::json!([
        seq,
        at_ms,
        event.actor_id.map(|u| u.0),
        event.actor_name,
        event.action,
        event.target_kind,
        event.target_id,
        event.unit_id.map(|u| u.0),
        event.address,
        event.detail,
        prev_mac,
    ]);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes keys of any length");
    mac.update(canonical.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("record {seq}: contents were altered (MAC does not match)")]
    Altered { seq: i64 },
    #[error(
        "record {seq}: does not link to the record before it (a record was removed or inserted before it)"
    )]
    Unlinked { seq: i64 },
    #[error(
        "record {seq}: expected sequence number {expected}; records {expected}..{seq} are missing"
    )]
    Missing { seq: i64, expected: i64 },
    #[error("record {seq}: sequence number repeats or goes backwards (a record was inserted)")]
    OutOfOrder { seq: i64 },
    #[error(
        "record {expected}: missing; the trail ends at record {last} but its head names record {head} (the newest records were removed)"
    )]
    Truncated { last: i64, head: i64, expected: i64 },
    #[error("head of the trail does not match record {seq}")]
    HeadMismatch { seq: i64 },
}

/// Running verification over records in sequence order.
pub struct Verifier<'k> {
    key: &'k AuditKey,
    expected_seq: i64,
    prev_mac: String,
    checked: u64,
}

impl<'k> Verifier<'k> {
    pub fn new(key: &'k AuditKey) -> Self {
        Self {
            key,
            expected_seq: 1,
            prev_mac: GENESIS.to_owned(),
            checked: 0,
        }
    }

    /// Checks the next record; the first error is where the chain breaks.
    pub fn check(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        let seq = record.seq;
        if seq < self.expected_seq {
            return Err(ChainBreak::OutOfOrder { seq });
        }
        let computed = seal(self.key, seq, record.at_ms, &record.event, &record.prev_mac);
        let authentic: bool =
            subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), record.mac.as_bytes()).into();
        if !authentic {
            return Err(ChainBreak::Altered { seq });
        }
        if seq > self.expected_seq {
            return Err(ChainBreak::Missing {
                seq,
                expected: self.expected_seq,
            });
        }
        if record.prev_mac != self.prev_mac {
            return Err(ChainBreak::Unlinked { seq });
        }
        self.expected_seq = seq + 1;
        self.prev_mac.clone_from(&record.mac);
        self.checked += 1;
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The MAC that the next record must link to.
    pub fn head(&self) -> &str {
        &self.prev_mac
    }

    /// Checks the end of the chain against the head that the store keeps beside it.
    pub fn finish(&self, head_seq: i64, head_mac: &str) -> Result<u64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq > last {
            return Err(ChainBreak::Truncated {
                last,
                head: head_seq,
                expected: last + 1,
            });
        }
        if head_seq < last || head_mac != self.prev_mac {
            return Err(ChainBreak::HeadMismatch { seq: last });
        }
        Ok(self.checked)
    }
}

/// Verifies a whole chain held in memory.
pub fn verify<'a>(
    key: &AuditKey,
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<u64, ChainBreak> {
    let mut verifier = Verifier::new(key);
    for record in records {
        verifier.check(record)?;
    }
    Ok(verifier.checked())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(key: &AuditKey, n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let event =
                    AuditEvent::new("unit.create", "unit", seq).by(Some(UserId(1)), "admin");
                let mac = seal(key, seq, 1_700_000_000_000 + seq, &event, &prev);
                let record = AuditRecord {
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    event,
                    prev_mac: prev.clone(),
                    mac: mac.clone(),
                };
                prev = mac;
                record
            })
            .collect()
    }

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; 32])
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&key(), &chain(&key(), 5)), Ok(5));
    }

    #[test]
    fn edited_record_is_named() {
        let mut records = chain(&key(), 5);
        records[2].event.actor_name = "mallory".into();
        assert_eq!(
            verify(&key(), &records),
            Err(ChainBreak::Altered { seq: 3 })
        );
    }

    #[test]
    fn deleted_record_is_named() {
        let mut records = chain(&key(), 5);
        records.remove(2);
        assert_eq!(
            verify(&key(), &records),
            Err(ChainBreak::Missing {
                seq: 4,
                expected: 3
            })
        );
    }

    #[test]
    fn deleted_last_records_cannot_be_seen_by_the_chain_alone() {
        // Truncation at the end leaves a valid prefix; the store keeps the head MAC separately.
        let mut records = chain(&key(), 5);
        records.truncate(3);
        assert_eq!(verify(&key(), &records), Ok(3));
    }

    #[test]
    fn inserted_record_without_key_is_named() {
        let mut records = chain(&key(), 5);
        let mut forged = records[1].clone();
        forged.seq = 3;
        forged.event.action = "login.success".into();
        records.insert(2, forged);
        assert_eq!(
            verify(&key(), &records),
            Err(ChainBreak::Altered { seq: 3 })
        );
    }

    #[test]
    fn renumbered_chain_without_key_is_named() {
        let mut records = chain(&key(), 5);
        records.remove(1);
        for r in records.iter_mut().skip(1) {
            r.seq -= 1;
        }
        assert_eq!(
            verify(&key(), &records),
            Err(ChainBreak::Altered { seq: 2 })
        );
    }

    #[test]
    fn wrong_key_fails_at_first_record() {
        let records = chain(&key(), 2);
        assert_eq!(
            verify(&AuditKey::from_bytes([8; 32]), &records),
            Err(ChainBreak::Altered { seq: 1 })
        );
    }

    #[test]
    fn key_hex_round_trip() {
        let k = key();
        assert_eq!(AuditKey::from_hex(&k.to_hex()).unwrap().0, k.0);
        assert!(AuditKey::from_hex("zz").is_none());
        assert!(AuditKey::from_hex("00").is_none());
    }
}
