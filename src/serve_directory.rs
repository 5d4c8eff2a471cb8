//! `mamori serve --directory-config FILE`: login through an LDAP directory or Active Directory
//! (ディレクトリ認証). The file is TOML; `url`, one way of finding a person and at least one
//! `[[group]]` are required, everything else has a default:
//!
//! ```toml
//! url = "ldaps://ad.city.example.lg.jp"       # or ldap://…, with starttls = true
//! starttls = false
//! ca_file = "/etc/mamori/directory-ca.pem"    # the CA the server's certificate is checked against
//! timeout_secs = 10
//!
//! # Either bind as the person at a DN made from their name …
//! user_dn = "uid={user},ou=people,dc=example,dc=jp"
//! # … or search with a service account, then bind as the entry found (Active Directory):
//! bind_dn = "CN=mamori,OU=Services,DC=city,DC=example,DC=lg,DC=jp"
//! bind_password_file = "/etc/mamori/directory-password"
//! search_base = "DC=city,DC=example,DC=lg,DC=jp"
//! search_filter = "(sAMAccountName={user})"   # one form of the name: each form typed would
//!                                             # otherwise be an account of its own
//!
//! member_of_attribute = "memberOf"            # the entry's list of its groups; "" for none
//! group_base = "ou=groups,dc=example,dc=jp"   # search groups too, with group_filter
//! group_filter = "(|(member={dn})(uniqueMember={dn})(memberUid={user}))"
//! disabled_groups = ["cn=retired,ou=groups,dc=example,dc=jp"]
//! active_directory = true                     # userAccountControl's ACCOUNTDISABLE bit refuses
//! name_attribute = "displayName"
//! mail_attribute = "mail"
//! check_minutes = 60                          # with bind_dn: every account the directory made
//!                                             # is checked this often, and disabled when the
//!                                             # directory disables or removes the person; 0: only
//!                                             # at logins (the default without bind_dn)
//!
//! [[group]]                                   # members of this group hold this role
//! dn = "cn=isms-ciso,ou=groups,dc=example,dc=jp"
//! role = "ciso"
//!
//! [[group]]
//! dn = "cn=somu-kanri,ou=groups,dc=example,dc=jp"
//! role = "security_manager"
//! unit = 2                                    # or organisation = ID, system = "NAME"
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mamori_core::role::{Role, Scope, ScopeKind};
use mamori_core::{OrgId, UnitId};
use mamori_ldap::{Directory, GroupRole, LdapConfig, Lookup};
use mamori_store::Store;

use crate::config_file::{flag, number, text, unknown_key};
use crate::messages::msg;

const KEYS: &[&str] = &[
    "url",
    "starttls",
    "ca_file",
    "timeout_secs",
    "user_dn",
    "bind_dn",
    "bind_password_file",
    "search_base",
    "search_filter",
    "member_of_attribute",
    "group_base",
    "group_filter",
    "disabled_groups",
    "active_directory",
    "name_attribute",
    "mail_attribute",
    "check_minutes",
    "group",
];

/// How often accounts are checked against a directory that has a service account, unless the
/// file says otherwise.
const DEFAULT_CHECK_MINUTES: u64 = 60;

/// The settings of a search, which only `bind_dn` takes.
const SEARCH_KEYS: &[&str] = &["bind_password_file", "search_base", "search_filter"];

const GROUP_KEYS: &[&str] = &["dn", "role", "unit", "organisation", "system"];

/// Reads the file and builds the directory it describes; the CA file and the service
/// account's password file are read now, so that a mistake stops `serve` before it listens.
pub fn read(path: &Path) -> anyhow::Result<Directory> {
    let source = std::fs::read_to_string(path)
        .with_context(|| msg!("cli.directory.reading", path = path.display()))?;
    parse(&source).with_context(|| msg!("cli.directory.invalid", path = path.display()))
}

pub fn parse(source: &str) -> anyhow::Result<Directory> {
    let table: toml::Table = source.parse()?;
    unknown_key(&table, KEYS, "")?;
    let url = text(&table, "url", "url")?
        .ok_or_else(|| anyhow::anyhow!(msg!("cli.config.required", key = "url")))?;
    let lookup = match (
        text(&table, "user_dn", "user_dn")?,
        text(&table, "bind_dn", "bind_dn")?,
    ) {
        (Some(template), None) => {
            // A search setting beside a template would be silently unused: say so instead.
            if let Some(key) = SEARCH_KEYS.iter().find(|k| table.contains_key(**k)) {
                anyhow::bail!(msg!("cli.directory.search_only", key = key));
            }
            Lookup::Template(template)
        }
        (None, Some(bind_dn)) => {
            let required = |key: &str| {
                text(&table, key, key)?
                    .ok_or_else(|| anyhow::anyhow!(msg!("cli.config.required", key = key)))
            };
            let password_file = PathBuf::from(required("bind_password_file")?);
            let password = std::fs::read_to_string(&password_file)
                .with_context(|| {
                    msg!(
                        "cli.directory.password_file",
                        path = password_file.display()
                    )
                })?
                .trim_end_matches(['\r', '\n'])
                .to_owned();
            Lookup::Search {
                bind_dn,
                bind_password: password,
                base: required("search_base")?,
                filter: required("search_filter")?,
            }
        }
        _ => anyhow::bail!(msg!("cli.directory.lookup")),
    };
    let mut config = LdapConfig::new(url, lookup);
    if let Some(starttls) = flag(&table, "starttls")? {
        config.starttls = starttls;
    }
    config.ca_file = text(&table, "ca_file", "ca_file")?.map(PathBuf::from);
    if let Some(secs) = number(&table, "timeout_secs", "timeout_secs")? {
        config.timeout = Duration::from_secs(secs.unsigned_abs());
    }
    if let Some(attribute) = text(&table, "member_of_attribute", "member_of_attribute")? {
        config.member_of_attribute = (!attribute.trim().is_empty()).then_some(attribute);
    }
    config.group_base = text(&table, "group_base", "group_base")?;
    if let Some(filter) = text(&table, "group_filter", "group_filter")? {
        config.group_filter = filter;
    }
    config.disabled_groups = match table.get("disabled_groups") {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    anyhow::anyhow!(msg!("cli.directory.list", key = "disabled_groups"))
                })
            })
            .collect::<anyhow::Result<_>>()?,
        Some(_) => anyhow::bail!(msg!("cli.directory.list", key = "disabled_groups")),
    };
    if let Some(ad) = flag(&table, "active_directory")? {
        config.active_directory = ad;
    }
    if let Some(name) = text(&table, "name_attribute", "name_attribute")? {
        config.name_attribute = name;
    }
    if let Some(mail) = text(&table, "mail_attribute", "mail_attribute")? {
        config.mail_attribute = mail;
    }
    let searching = matches!(config.lookup, Lookup::Search { .. });
    config.check_every = match number(&table, "check_minutes", "check_minutes")? {
        Some(0) => None,
        Some(minutes) => Some(Duration::from_secs(
            minutes.unsigned_abs().saturating_mul(60),
        )),
        None => searching.then_some(Duration::from_secs(DEFAULT_CHECK_MINUTES * 60)),
    };
    config.groups = match table.get("group") {
        None => Vec::new(),
        Some(toml::Value::Array(rows)) => rows
            .iter()
            .enumerate()
            .map(|(i, row)| match row {
                toml::Value::Table(row) => group(i, row),
                _ => anyhow::bail!(msg!("cli.directory.groups")),
            })
            .collect::<anyhow::Result<_>>()?,
        Some(_) => anyhow::bail!(msg!("cli.directory.groups")),
    };
    Directory::new(config).map_err(|e| {
        anyhow::anyhow!(
            "{}: {}",
            msg!("cli.directory.setting", field = e.field),
            e.problem
        )
    })
}

/// One `[[group]]` row: its DN, its role, and the scope the role takes.
fn group(i: usize, row: &toml::Table) -> anyhow::Result<GroupRole> {
    let at = |key: &str| format!("group[{i}].{key}");
    unknown_key(row, GROUP_KEYS, &format!("group[{i}]."))?;
    let dn = text(row, "dn", &at("dn"))?
        .ok_or_else(|| anyhow::anyhow!(msg!("cli.config.required", key = at("dn"))))?;
    let raw = text(row, "role", &at("role"))?
        .ok_or_else(|| anyhow::anyhow!(msg!("cli.config.required", key = at("role"))))?;
    let role = Role::parse(&raw).map_err(|_| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        anyhow::anyhow!(msg!(
            "cli.directory.role",
            key = at("role"),
            roles = roles.join(", "),
            value = format!("{raw:?}")
        ))
    })?;
    let unit = number(row, "unit", &at("unit"))?;
    let organisation = number(row, "organisation", &at("organisation"))?;
    let system = text(row, "system", &at("system"))?;
    let scope = match (role.scope_kind(), unit, organisation, system) {
        (ScopeKind::Global, None, None, None) => Some(Scope::Global),
        (ScopeKind::Unit, Some(id), None, None) if id > 0 => Some(Scope::Unit(UnitId(id))),
        (ScopeKind::Organisation, None, Some(id), None) if id > 0 => {
            Some(Scope::Organisation(OrgId(id)))
        }
        (ScopeKind::System, None, None, Some(name)) => {
            Scope::from_parts("system", Some(&name)).ok()
        }
        _ => None,
    };
    let scope = scope.ok_or_else(|| {
        let needed = match role.scope_kind() {
            ScopeKind::Global => msg!("cli.directory.scope_global"),
            ScopeKind::Unit => "unit = ID".to_owned(),
            ScopeKind::Organisation => "organisation = ID".to_owned(),
            ScopeKind::System => "system = \"NAME\"".to_owned(),
        };
        anyhow::anyhow!(msg!(
            "cli.directory.scope",
            key = format!("group[{i}]"),
            role = role.as_str(),
            scope = needed
        ))
    })?;
    Ok(GroupRole { dn, role, scope })
}

/// Checks that every unit a `[[group]]` names is registered, so that a mistyped id stops
/// `serve` rather than every login of that group. (An organisation is checked at the login.)
pub async fn check_units(directory: &Directory, store: &dyn Store) -> anyhow::Result<()> {
    for (i, row) in directory.config().groups.iter().enumerate() {
        if let Scope::Unit(unit) = &row.scope
            && store.unit_org(*unit).await?.is_none()
        {
            anyhow::bail!(msg!(
                "cli.directory.scope_missing",
                key = format!("group[{i}].unit"),
                id = unit.0
            ));
        }
    }
    Ok(())
}

/// Checks the directory's accounts every `check_every` (the first time one interval after the
/// start, when logins have shown the directory works) until `stop` turns true. A failed check
/// changes nothing and is logged; the next interval tries again.
pub async fn check_accounts(
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(every) = directory.config().check_every else {
        return;
    };
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        match mamori_web::check_directory_accounts(store.as_ref(), &directory).await {
            Ok(done) => tracing::info!(
                checked = done.checked,
                disabled = done.disabled,
                roles_changed = done.roles_changed,
                "directory accounts checked"
            ),
            Err(error) => tracing::warn!(%error, "directory accounts not checked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "url = \"ldap://127.0.0.1:389\"\n\
        user_dn = \"uid={user},ou=people,dc=example,dc=jp\"\n\
        [[group]]\ndn = \"cn=staff,ou=groups,dc=example,dc=jp\"\nrole = \"staff\"\nunit = 2\n";

    #[test]
    fn a_minimal_file_takes_the_defaults() {
        let d = parse(MINIMAL).unwrap();
        let c = d.config();
        assert_eq!(
            c.lookup,
            Lookup::Template("uid={user},ou=people,dc=example,dc=jp".into())
        );
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.member_of_attribute.as_deref(), Some("memberOf"));
        assert!(!c.active_directory);
        assert_eq!(
            c.groups,
            vec![GroupRole {
                dn: "cn=staff,ou=groups,dc=example,dc=jp".into(),
                role: Role::Staff,
                scope: Scope::Unit(UnitId(2)),
            }]
        );
    }

    #[test]
    fn a_search_reads_the_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let source = format!(
            "url = \"ldaps://ad.example.jp\"\nbind_dn = \"cn=svc\"\n\
             bind_password_file = {:?}\nsearch_base = \"dc=example,dc=jp\"\n\
             search_filter = \"(sAMAccountName={{user}})\"\nactive_directory = true\n\
             member_of_attribute = \"\"\ndisabled_groups = [\"cn=gone\"]\n\
             [[group]]\ndn = \"cn=ciso\"\nrole = \"ciso\"\n\
             [[group]]\ndn = \"cn=officers\"\nrole = \"security_officer\"\norganisation = 1\n\
             [[group]]\ndn = \"cn=jinji\"\nrole = \"system_administrator\"\nsystem = \"jinji\"\n",
            secret.display().to_string()
        );
        let d = parse(&source).unwrap();
        let c = d.config();
        let Lookup::Search { bind_password, .. } = &c.lookup else {
            panic!("search")
        };
        assert_eq!(bind_password, "s3cret");
        assert!(c.active_directory);
        assert_eq!(c.member_of_attribute, None);
        assert_eq!(c.disabled_groups, vec!["cn=gone".to_owned()]);
        assert_eq!(c.groups.len(), 3);
        assert_eq!(
            c.check_every,
            Some(Duration::from_secs(3600)),
            "the default"
        );
        let with = |line: &str| source.replacen("[[group]]", &format!("{line}\n[[group]]"), 1);
        let off = parse(&with("check_minutes = 0")).unwrap();
        assert_eq!(off.config().check_every, None);
        let every = parse(&with("check_minutes = 15")).unwrap();
        assert_eq!(every.config().check_every, Some(Duration::from_secs(900)));
        for bad in [
            "check_minutes = 99999999999999999",
            "check_minutes = 10081",
            "check_minutes = -1",
            "check_minutes = \"x\"",
        ] {
            let message = format!("{:#}", parse(&with(bad)).unwrap_err());
            assert!(message.contains("check_minutes"), "{bad}: {message}");
        }
    }

    #[test]
    fn checking_accounts_needs_a_service_account() {
        assert_eq!(parse(MINIMAL).unwrap().config().check_every, None);
        let refused = parse(&MINIMAL.replacen("[[group]]", "check_minutes = 30\n[[group]]", 1));
        let message = format!("{:#}", refused.unwrap_err());
        assert!(message.contains("check_minutes"), "{message}");
    }

    #[test]
    fn malformed_files_are_refused_naming_the_field() {
        let group = "[[group]]\ndn = \"cn=staff\"\nrole = \"staff\"\nunit = 2\n";
        let url = "url = \"ldap://127.0.0.1:389\"\n";
        let template = "user_dn = \"uid={user},dc=jp\"\n";
        for (bad, names) in [
            (format!("{template}{group}"), "url"),
            (format!("{url}{group}"), "user_dn"),
            (
                format!("{url}{template}bind_dn = \"cn=svc\"\n{group}"),
                "user_dn",
            ),
            (
                format!("{url}bind_dn = \"cn=svc\"\n{group}"),
                "bind_password_file",
            ),
            (
                format!(
                    "{url}bind_dn = \"cn=svc\"\nbind_password_file = \"/nonexistent/pw\"\n{group}"
                ),
                "/nonexistent/pw",
            ),
            (format!("{url}{template}urls = 1\n{group}"), "urls"),
            (
                format!("{url}{template}search_filter = \"(uid={{user}})\"\n{group}"),
                "search_filter",
            ),
            (
                format!("{url}{template}starttls = \"yes\"\n{group}"),
                "starttls",
            ),
            (
                format!("{url}{template}timeout_secs = -1\n{group}"),
                "timeout_secs",
            ),
            (
                format!("{url}{template}timeout_secs = 0\n{group}"),
                "timeout_secs",
            ),
            (
                format!("{url}{template}disabled_groups = \"cn=x\"\n{group}"),
                "disabled_groups",
            ),
            (format!("{url}{template}"), "group"),
            (format!("{url}{template}group = 1\n"), "group"),
            (
                format!("{url}{template}[[group]]\nrole = \"staff\"\nunit = 2\n"),
                "group[0].dn",
            ),
            (
                format!("{url}{template}[[group]]\ndn = \"cn=x\"\nrole = \"root\"\n"),
                "group[0].role",
            ),
            (
                format!("{url}{template}[[group]]\ndn = \"cn=x\"\nrole = \"staff\"\n"),
                "group[0]",
            ),
            (
                format!("{url}{template}[[group]]\ndn = \"cn=x\"\nrole = \"ciso\"\nunit = 1\n"),
                "group[0]",
            ),
            (
                format!(
                    "{url}{template}[[group]]\ndn = \"cn=x\"\nrole = \"staff\"\nunit = \"2\"\n"
                ),
                "group[0].unit",
            ),
            (
                format!("{url}{template}[[group]]\ndn = \"cn=x\"\nrole = \"staff\"\nunits = 2\n"),
                "group[0].\"units\"",
            ),
            (format!("url = \"http://x\"\n{template}{group}"), "url"),
            (
                format!(
                    "{url}{template}starttls = true\nca_file = \"/nonexistent/ca.pem\"\n{group}"
                ),
                "ca_file",
            ),
            (
                format!("{url}user_dn = \"uid=fixed,dc=jp\"\n{group}"),
                "user_dn",
            ),
            ("url = [\n".to_owned(), "TOML"),
        ] {
            let err = format!("{:#}", parse(&bad).unwrap_err());
            assert!(
                names == "TOML" || err.contains(names),
                "{bad:?} should name {names}: {err}"
            );
        }
    }
}
