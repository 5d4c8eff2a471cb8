//! Times the import of a 100,000-row asset register from XLSX (write it, read it, validate it).
//! Run with `cargo run --release -p mamori-sheet --example read_100k`.

use std::time::Instant;

use mamori_core::asset::{AssetKind, Lifecycle};
use mamori_core::classification::{Classification, Scales};
use mamori_core::text::Name;
use mamori_sheet::{
    AssetRow, ExistingIds, ExportFormat, Language, Limits, Lookup, SegmentRef, export_assets,
    parse_assets, read,
};

struct Everything;

impl Lookup for Everything {
    fn unit(&self, _: &str) -> Option<i64> {
        Some(1)
    }
    fn person(&self, _: &str) -> Option<i64> {
        Some(2)
    }
    fn segment(&self, code: &str) -> Option<SegmentRef> {
        Some(SegmentRef {
            id: 3,
            code: code.to_owned(),
        })
    }
    fn asset_exists(&self, _: &str) -> bool {
        false
    }
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let name = |s: String| Name::parse("name", &s).expect("valid name");
    let assets: Vec<AssetRow> = (0..rows)
        .map(|i| AssetRow {
            id: Some(format!("{i:06}")),
            name: name(format!("業務端末{i}")),
            kind: AssetKind::ALL[i % AssetKind::ALL.len()],
            owner_unit: name(format!("課室{}", i % 120)),
            administrator: Some(name(format!("職員{}", i % 900))),
            location: Some(name("本庁舎3階".into())),
            segment: Some(["LGWAN", "INTERNET", "MYNUMBER"][i % 3].into()),
            hosts: vec![format!("pc{i:06}")],
            addresses: vec![std::net::IpAddr::from([
                10,
                (i >> 16) as u8,
                (i >> 8) as u8,
                i as u8,
            ])],
            classification: Classification {
                confidentiality: ["1", "2", "3"][i % 3].into(),
                integrity: ["1", "2"][i % 2].into(),
                availability: ["1", "2"][i % 2].into(),
            },
            lifecycle: Lifecycle::InUse,
            disposal_method: None,
            disposed_by: None,
            disposed_on: None,
            notes: if i % 10 == 0 {
                "保守契約あり\n年次点検".into()
            } else {
                String::new()
            },
        })
        .collect();

    let started = Instant::now();
    let bytes = export_assets(&assets, ExportFormat::Xlsx, Language::Japanese).expect("export");
    let written = started.elapsed();

    let started = Instant::now();
    let table = read(&bytes, &Limits::default()).expect("read");
    let read_time = started.elapsed();

    let started = Instant::now();
    let imported = parse_assets(
        &table,
        &Scales::mic_default(false),
        ExistingIds::Update,
        &Everything,
    )
    .expect("valid rows");
    let parse_time = started.elapsed();
    assert_eq!(imported.len(), rows);

    println!(
        "{rows} rows, {:.1} MiB xlsx: write {:.2?}, read {:.2?}, validate {:.2?}, import total {:.2?}",
        bytes.len() as f64 / (1024.0 * 1024.0),
        written,
        read_time,
        parse_time,
        read_time + parse_time
    );
}
