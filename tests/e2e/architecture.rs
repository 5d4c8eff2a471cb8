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

/// Every `.rs` file below a folder.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn web_src() -> PathBuf {
    root().join("crates/mamori-web/src")
}

/// The features of the web crate: each folder beside `http/`.
fn web_features() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(web_src())
        .expect("src")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| name != "http")
        .collect();
    out.sort();
    out
}

#[test]
fn http_imports_no_feature_and_features_import_no_other_feature() {
    let features = web_features();
    assert!(features.len() >= 5, "features: {features:?}");
    for folder in features.iter().map(String::as_str).chain(["http"]) {
        for file in rust_files(&web_src().join(folder)) {
            let text = std::fs::read_to_string(&file).expect("source");
            for other in &features {
                if other == folder {
                    continue;
                }
                assert!(
                    !text.contains(&format!("crate::{other}")),
                    "{} reaches into the feature `{other}`",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn every_feature_has_its_ops_pages_api_and_mod() {
    for feature in web_features() {
        for file in ["mod.rs", "ops.rs", "pages.rs", "api.rs"] {
            let path = web_src().join(&feature).join(file);
            assert!(path.exists(), "{} is missing", path.display());
        }
    }
}

/// HTTP statuses are chosen in `http/error.rs` alone: everything else names an `AppError` or one
/// of its `status` constants.
#[test]
fn http_statuses_are_chosen_only_in_error_rs() {
    for file in rust_files(&web_src()) {
        if file.ends_with("http/error.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source");
        assert!(
            !text.contains("StatusCode::"),
            "{} chooses an HTTP status itself",
            file.display()
        );
    }
}

/// SQL is written in `mamori-store` and nowhere else.
#[test]
fn sql_lives_only_in_the_store() {
    for entry in std::fs::read_dir(root().join("crates")).expect("crates") {
        let krate = entry.expect("entry").path();
        if krate.ends_with("mamori-store") {
            continue;
        }
        let src = krate.join("src");
        if !src.exists() {
            continue;
        }
        for file in rust_files(&src) {
            let text = std::fs::read_to_string(&file).expect("source");
            for keyword in ["SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "sqlx::"] {
                assert!(
                    !text.contains(keyword),
                    "{} holds SQL (`{keyword}`)",
                    file.display()
                );
            }
        }
    }
}

/// One integration-test binary per crate keeps link time low on two cores: at most one `.rs`
/// file directly in a crate's `tests/`, or one folder with a `main.rs`.
#[test]
fn one_test_binary_per_crate() {
    for entry in std::fs::read_dir(root().join("crates")).expect("crates") {
        let tests = entry.expect("entry").path().join("tests");
        if !tests.exists() {
            continue;
        }
        let binaries: Vec<String> = std::fs::read_dir(&tests)
            .expect("tests")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs") || p.join("main.rs").exists())
            .map(|p| p.display().to_string())
            .collect();
        assert!(
            binaries.len() <= 1,
            "more than one test binary: {binaries:?}"
        );
    }
}
