//! Share of a fixture set that the engine quarantines whole, and why.
//!
//! `cargo run --release -p mamori-sanitize --example quarantine_share -- [--policy TOML] [-v] DIR...`
//!
//! Every regular file under each DIR (recursively; `.json` files skipped) is one message. Each
//! DIR is one row; the last row sums them. `--policy` takes the policy as TOML text, the names of
//! the `--config` file (`'on_oddity = "strict"'`); without it, the default policy. `-v` prints
//! every quarantined file with its ambiguity kinds. The time is the engine's alone (the files are
//! read first), summed over every message, single-threaded. `bench/quarantine_share.sh` runs it over the
//! public fixture sets named in BENCHMARKS.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mamori_sanitize::{Policy, Verdict, sanitize};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files(&p, out);
        } else if p.is_file() && p.extension().is_none_or(|e| e != "json") {
            out.push(p);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut policy = Policy::default();
    let mut verbose = false;
    let mut dirs = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--policy" => {
                let text = args.next().expect("--policy needs TOML text");
                policy = toml::from_str(&text).expect("policy");
            }
            "-v" => verbose = true,
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    assert!(
        !dirs.is_empty(),
        "usage: quarantine_share [--policy TOML] [-v] DIR..."
    );
    println!("| set | messages | quarantined | share | MB | engine ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    let (mut all, mut all_q, mut all_bytes) = (0usize, 0usize, 0usize);
    let mut all_time = Duration::ZERO;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut quarantined_files = Vec::new();
    for dir in &dirs {
        let mut list = Vec::new();
        files(dir, &mut list);
        let mut q = 0usize;
        let (mut bytes_in, mut time) = (0usize, Duration::ZERO);
        for path in &list {
            let bytes = std::fs::read(path).expect("read");
            let started = Instant::now();
            let out = sanitize(&bytes, &policy);
            time += started.elapsed();
            bytes_in += bytes.len();
            if out.report.verdict == Verdict::Quarantined {
                q += 1;
                let mut kinds: Vec<String> = out
                    .report
                    .ambiguities
                    .iter()
                    .map(|a| {
                        serde_json::to_value(a.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    })
                    .collect();
                kinds.sort();
                kinds.dedup();
                for k in &kinds {
                    *reasons.entry(k.clone()).or_default() += 1;
                }
                let details: Vec<String> = out
                    .report
                    .ambiguities
                    .iter()
                    .map(|a| format!("{}: {}", a.part, a.detail))
                    .collect();
                quarantined_files.push(format!(
                    "{} [{}] {}",
                    path.display(),
                    kinds.join(", "),
                    details.join("; ")
                ));
            }
        }
        println!(
            "| {} | {} | {} | {:.1}% | {:.2} | {:.1} |",
            dir.display(),
            list.len(),
            q,
            100.0 * q as f64 / list.len().max(1) as f64,
            bytes_in as f64 / 1e6,
            time.as_secs_f64() * 1e3
        );
        all += list.len();
        all_q += q;
        all_bytes += bytes_in;
        all_time += time;
    }
    println!(
        "| all | {all} | {all_q} | {:.1}% | {:.2} | {:.1} |",
        100.0 * all_q as f64 / all.max(1) as f64,
        all_bytes as f64 / 1e6,
        all_time.as_secs_f64() * 1e3
    );
    println!();
    println!("Ambiguity kinds among the quarantined messages (a message counts once per kind):");
    for (k, n) in &reasons {
        println!("  {k}: {n}");
    }
    if verbose {
        println!();
        for f in &quarantined_files {
            println!("{f}");
        }
    }
}
