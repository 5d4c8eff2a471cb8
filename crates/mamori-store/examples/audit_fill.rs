//! Fills the audit trail of a mamori database with records, for the asset register benchmark
//! (`bench/assets.sh`), which measures the register beside a trail of a million records.
//!
//! The records are real ones: sealed with the data folder's audit key and chained through the
//! store's own `record_all`, so `mamori audit verify` accepts the trail afterwards. They are a
//! mix of what a busy site writes: restricted asset reads, person reads, logins and logouts.
//!
//!   cargo run --release -p mamori-store --example audit_fill -- \
//!       --data DIR [--database postgres://…] --count 1000000

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use mamori_core::audit::{AuditEvent, AuditKey};
use mamori_core::{UnitId, UserId};
use mamori_store::{SqlStore, SystemClock};

/// Records per transaction.
const BATCH: u64 = 20_000;

struct Args {
    data: PathBuf,
    database: Option<String>,
    count: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut data = None;
    let mut database = None;
    let mut count = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--database" => database = Some(value()?),
            "--count" => count = value()?.parse().map_err(|_| "--count: a number")?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        data: data.ok_or("--data DIR is required")?,
        database,
        count,
    })
}

/// The `n`th record of the mix.
fn event(n: u64) -> AuditEvent {
    const ACTORS: [(i64, &str); 4] = [(1, "sato"), (2, "suzuki"), (3, "takahashi"), (4, "tanaka")];
    let (actor_id, actor_name) = ACTORS[(n % 4) as usize];
    let address = format!("10.20.{}.{}", (n / 250) % 250, 1 + n % 250);
    let unit = Some(UnitId(1 + (n % 12) as i64));
    let event = match n % 10 {
        0..=5 => {
            let asset = 1 + (n * 7919) % 100_000;
            AuditEvent::new("asset.read", "asset", asset)
                .in_unit(unit)
                .with_detail(serde_json::json!({
                    "name": format!("資産{:06}", asset),
                    "confidentiality": "3",
                }))
        }
        6 | 7 => AuditEvent::new("person.read", "person", 1 + n % 50).in_unit(unit),
        8 => AuditEvent::new("login.success", "user", actor_id),
        _ => AuditEvent::new("logout", "user", actor_id),
    };
    event
        .by(Some(UserId(actor_id)), actor_name)
        .from_address(&address)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()
        .map_err(|e| format!("{e}\nusage: audit_fill --data DIR [--database URL] [--count N]"))?;
    let key_text = std::fs::read_to_string(args.data.join("audit.key"))
        .map_err(|e| format!("reading the audit key in {}: {e}", args.data.display()))?;
    let key = AuditKey::from_hex(&key_text).ok_or("the audit key is not valid")?;
    let clock = Arc::new(SystemClock);
    let store = match &args.database {
        Some(url) => SqlStore::open(url, key, clock).await?,
        None => SqlStore::open_sqlite(&args.data.join("mamori.db"), key, clock).await?,
    };
    let started = Instant::now();
    let mut written = 0;
    while written < args.count {
        let size = BATCH.min(args.count - written);
        let events = (written..written + size).map(event).collect();
        store.record_all(events).await?;
        written += size;
    }
    store.close().await;
    println!(
        "{written} audit records appended in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
