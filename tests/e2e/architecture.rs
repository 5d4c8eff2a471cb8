//! The rules of ARCHITECTURE.md that a test can check, read from the tree itself.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The crates of ours a manifest's `[dependencies]` table names (not its dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("manifest");
    let table: toml::Table = toml::from_str(&text).expect("manifest is TOML");
    table
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|deps| {
            deps.keys()
                .filter(|k| k.starts_with("mamori"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn crate_manifest(name: &str) -> PathBuf {
    root().join("crates").join(name).join("Cargo.toml")
}

#[test]
fn dependencies_point_one_way() {
    let allowed: &[(&str, &[&str])] = &[
        ("mamori-core", &[]),
        ("mamori-sanitize", &[]),
        ("mamori-sheet", &["mamori-core"]),
        ("mamori-store", &["mamori-core"]),
        ("mamori-gateway", &["mamori-core", "mamori-sanitize"]),
        (
            "mamori-release",
            &["mamori-core", "mamori-store", "mamori-gateway"],
        ),
        (
            "mamori-web",
            &["mamori-core", "mamori-store", "mamori-sheet"],
        ),
    ];
    let crates: Vec<String> = std::fs::read_dir(root().join("crates"))
        .expect("crates folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    for name in &crates {
        let Some((_, ok)) = allowed.iter().find(|(n, _)| n == name) else {
            panic!("crate {name} is not in this test's map of dependencies: add it");
        };
        for dep in dependencies(&crate_manifest(name)) {
            assert!(
                ok.contains(&dep.as_str()),
                "{name} depends on {dep}, which ARCHITECTURE.md does not allow"
            );
        }
    }
}
