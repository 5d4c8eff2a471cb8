//! Fills a quarantine folder with generated entries for the benchmark (`bench/quarantine.sh`):
//! each entry's folder with a small original and one record, written as the gateway lays them
//! out, and its index row written directly in batches (no fsync per entry: this is test data).
//!
//! quarantine_fill --data DIR --count N [--recipient ADDRESS] [--days D]
//!
//! Entries are spread over the last D days (365 by default), newest last; every 50th is addressed
//! to --recipient, the rest to generated addresses; verdicts and reasons rotate.

use std::path::PathBuf;
use std::time::Instant;

use mamori_gateway::quarantine::{Direction, IndexRow, QuarantineIndex};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut data = None;
    let mut count: u64 = 0;
    let mut recipient = "kacho@city.example.lg.jp".to_owned();
    let mut days: i64 = 365;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--count" => count = value()?.parse()?,
            "--recipient" => recipient = value()?,
            "--days" => days = value()?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let data = data.ok_or("--data is required")?;
    let root = data.join("quarantine");
    std::fs::create_dir_all(&root)?;
    let index = QuarantineIndex::open(&root)?;
    let now = chrono::Utc::now().timestamp_millis();
    let span = days * 86_400_000;
    let step = (span / i64::try_from(count.max(1))?).max(1);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..count {
        let n = i64::try_from(i)?;
        let id = format!("q-bench{i:010}");
        let received_ms = now - span + n * step;
        let verdict =
            ["sanitized", "sanitized", "sanitized", "quarantined"][usize::try_from(i % 4)?];
        let reason =
            ["executable", "macro", "encrypted-archive", "attachment"][usize::try_from(i % 4)?];
        let to = if i % 50 == 0 {
            recipient.clone()
        } else {
            format!("user{}@city.example.lg.jp", i % 5_000)
        };
        let from = format!("sender{}@partner{}.example.com", i % 977, i % 31);
        let subject = format!("見積書の送付 No.{i}");
        let original = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@example.com>\r\n\r\n本文 {i}\r\n"
        );
        let record = serde_json::json!({
            "quarantine_id": id,
            "queue_id": format!("B{i:010}"),
            "from": from,
            "recipients": [to],
            "received_ms": received_ms,
            "stored_ms": received_ms + 5,
            "retain_until_ms": received_ms + 30 * 86_400_000,
            "verdict": verdict,
            "report": {"verdict": verdict, "removed": [{"part": "2", "reason": reason,
                "file_name": "doc.exe", "quarantine_id": format!("{id}-p2")}], "ambiguities": []},
            "direction": "inbound",
            "hold_reason": null,
        });
        let dir = root.join(&id);
        std::fs::create_dir(&dir)?;
        std::fs::write(dir.join("original.eml"), original.as_bytes())?;
        std::fs::write(
            dir.join(format!("B{i:010}.json")),
            serde_json::to_vec(&record)?,
        )?;
        batch.push(IndexRow {
            id,
            received_ms,
            verdict: verdict.to_owned(),
            direction: Direction::Inbound,
            sender: from,
            recipients: vec![to],
            reasons: vec![reason.to_owned()],
            subject,
            size: Some(u64::try_from(original.len())?),
            retain_until_ms: received_ms + 30 * 86_400_000,
            hold_reason: None,
            release_state: None,
            release_pending: false,
        });
        if batch.len() == batch.capacity() {
            index.insert_rows(&batch)?;
            batch.clear();
        }
        if i > 0 && i % 100_000 == 0 {
            eprintln!("{i} entries, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    index.insert_rows(&batch)?;
    println!(
        "{count} quarantine entries written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
