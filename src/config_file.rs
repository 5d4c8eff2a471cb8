//! The typed reading of the TOML files `serve` takes (`--directory-config`, `--notice-config`):
//! each value of the expected type, and no key that the file's reader does not know, each refused
//! with a message naming the key.

use crate::messages::msg;

pub fn text(table: &toml::Table, key: &str, name: &str) -> anyhow::Result<Option<String>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => anyhow::bail!(msg!("cli.config.not_text", key = name)),
    }
}

pub fn flag(table: &toml::Table, key: &str) -> anyhow::Result<Option<bool>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
        Some(_) => anyhow::bail!(msg!("cli.config.not_flag", key = key)),
    }
}

pub fn number(table: &toml::Table, key: &str, name: &str) -> anyhow::Result<Option<i64>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(n)) if *n >= 0 => Ok(Some(*n)),
        Some(toml::Value::Integer(_)) => anyhow::bail!(msg!("cli.config.negative", key = name)),
        Some(_) => anyhow::bail!(msg!("cli.config.not_number", key = name)),
    }
}

pub fn unknown_key(table: &toml::Table, known: &[&str], prefix: &str) -> anyhow::Result<()> {
    if let Some(unknown) = table.keys().find(|k| !known.contains(&k.as_str())) {
        anyhow::bail!(msg!(
            "cli.config.unknown_key",
            key = format!("{prefix}{unknown:?}"),
            keys = known.join(", ")
        ));
    }
    Ok(())
}
