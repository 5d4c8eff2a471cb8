//! The rules of ARCHITECTURE.md that a test can check, read from the tree itself.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The crates of ours a manifest's `[dependencies]` table names (not its dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    ours_in(manifest, "dependencies")
}

/// The crates of ours a manifest's table (`dependencies`, `dev-dependencies`) names.
fn ours_in(manifest: &Path, table_name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("manifest");
    let table: toml::Table = toml::from_str(&text).expect("manifest is TOML");
    table
        .get(table_name)
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

/// Not even the web crate's tests bring in the SMTP stack.
#[test]
fn the_web_crate_does_not_depend_on_the_gateway_even_in_its_tests() {
    let manifest = crate_manifest("mamori-web");
    for table in ["dependencies", "dev-dependencies"] {
        for dep in ours_in(&manifest, table) {
            assert!(
                dep != "mamori-gateway" && dep != "mamori-release",
                "mamori-web's {table} name {dep}"
            );
        }
    }
}

#[test]
fn dependencies_point_one_way() {
    let allowed: &[(&str, &[&str])] = &[
        ("mamori-core", &[]),
        ("mamori-sanitize", &[]),
        ("mamori-sheet", &["mamori-core"]),
        ("mamori-ldap", &["mamori-core"]),
        ("mamori-monitor", &["mamori-core"]),
        ("mamori-store", &["mamori-core"]),
        ("mamori-gateway", &["mamori-core", "mamori-sanitize"]),
        (
            "mamori-release",
            &["mamori-core", "mamori-store", "mamori-gateway"],
        ),
        (
            "mamori-notice",
            &[
                "mamori-core",
                "mamori-store",
                "mamori-gateway",
                "mamori-sanitize",
            ],
        ),
        (
            "mamori-web",
            &["mamori-core", "mamori-store", "mamori-sheet", "mamori-ldap"],
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
            // The one exception: the quarantine's index, a file of the gateway's own folder
            // (not mamori's database), which the gateway keeps without the store.
            if file.ends_with("mamori-gateway/src/quarantine/index.rs") {
                let text = std::fs::read_to_string(&file).expect("source");
                assert!(!text.contains("sqlx::"), "{} uses sqlx", file.display());
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("source");
            for keyword in [
                "SELECT ",
                "INSERT INTO",
                "UPDATE ",
                "DELETE FROM",
                "sqlx::",
                "rusqlite",
            ] {
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

/// The module a file of a crate's `src/` is: `a/b.rs` and `a/b/mod.rs` are `[a, b]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file
        .strip_prefix(src)
        .expect("inside src")
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The modules each file of a crate uses: every `crate::…` and `super::…` path, resolved to
/// the longest module it names (an item re-exported by a `mod.rs` is an edge to that `mod.rs`),
/// and every `pub use child::…` of a module. Test modules are left out.
fn import_graph(src: &Path) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let files = rust_files(src);
    let modules: Vec<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains(p))
    };
    let mut graph = Vec::new();
    for (file, me) in files.iter().zip(&modules) {
        let text = std::fs::read_to_string(file).expect("source");
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut uses = Vec::new();
        let mut paths: Vec<Vec<String>> = Vec::new();
        for (start, root) in [("crate::", None), ("super::", Some(()))] {
            for (at, _) in text.match_indices(start) {
                if text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    continue;
                }
                let rest: Vec<String> = text[at + start.len()..]
                    .split("::")
                    .map(|s| {
                        s.chars()
                            .take_while(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'
                            })
                            .collect::<String>()
                    })
                    .take_while(|s| !s.is_empty())
                    .collect();
                // `use super::*;` in an inline module (`mod json`) names this file's own module.
                if root.is_some() && rest.is_empty() {
                    continue;
                }
                let mut path = match root {
                    None => Vec::new(),
                    Some(()) => me[..me.len().saturating_sub(1)].to_vec(),
                };
                path.extend(rest);
                paths.push(path);
            }
        }
        for line in text.lines() {
            if let Some(child) = line.trim().strip_prefix("pub use ") {
                let name: String = child
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                let mut path = me.clone();
                path.push(name);
                paths.push(path);
            }
        }
        for path in paths {
            if let Some(target) = resolve(&path)
                && &target != me
                && !uses.contains(&target)
            {
                uses.push(target);
            }
        }
        graph.push((me.clone(), uses));
    }
    graph
}

/// No module imports one that imports it back, directly or round a longer circle.
#[test]
fn no_module_of_the_web_crate_imports_one_that_imports_it_back() {
    let graph = import_graph(&web_src());
    assert!(graph.len() > 25, "read only {} modules", graph.len());
    let edges: usize = graph.iter().map(|(_, uses)| uses.len()).sum();
    assert!(edges > 50, "found only {edges} imports");
    fn visit(
        node: &Vec<String>,
        graph: &[(Vec<String>, Vec<Vec<String>>)],
        path: &mut Vec<Vec<String>>,
        done: &mut Vec<Vec<String>>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == node) {
            let circle: Vec<String> = path[at..]
                .iter()
                .chain([node])
                .map(|m| format!("/{}", m.join("/")))
                .collect();
            panic!("import circle: {}", circle.join(" → "));
        }
        path.push(node.clone());
        let uses = graph
            .iter()
            .find(|(m, _)| m == node)
            .map(|(_, u)| u.clone())
            .unwrap_or_default();
        for next in &uses {
            visit(next, graph, path, done);
        }
        path.pop();
        done.push(node.clone());
    }
    let mut done = Vec::new();
    for (module, _) in &graph {
        visit(module, &graph, &mut Vec::new(), &mut done);
    }
}
