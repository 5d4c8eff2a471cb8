//! ディレクトリ照合: the directory asked, on an interval, about every account it made, so that a
//! person who leaves (disabled or removed in the directory, or out of every group that gives a
//! role) loses their sessions, API tokens and roles without waiting for them to try a login. The
//! decisions are those of a login ([`super::directory_login`]): the same reasons in the audit
//! trail, the same role sync.

use mamori_core::text::{Name, Username};
use mamori_ldap::{Directory, DirectoryError, Verdict};
use mamori_store::{DirectoryAccount, Origin, Store, StoreError};

/// What one check changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryCheck {
    /// Accounts asked about.
    pub checked: usize,
    /// Accounts disabled because the directory disables or no longer has the person.
    pub disabled: usize,
    /// Accounts whose roles were brought in line with the directory's groups.
    pub roles_changed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("directory: {0}")]
    Directory(#[from] DirectoryError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// How many accounts one connection asks about before the next (the directory's per-connection
/// limits are modest on some servers).
const BATCH: usize = 200;

/// Asks the directory about every enabled directory account and acts on what it says. A
/// directory that does not answer changes nothing (an error, tried again at the next interval):
/// a network failure must not disable everyone.
pub async fn check_directory_accounts(
    store: &dyn Store,
    directory: &Directory,
) -> Result<DirectoryCheck, CheckError> {
    let origin = Origin {
        actor_id: None,
        actor_name: "directory".to_owned(),
        address: String::new(),
    };
    let accounts = store.directory_accounts().await?;
    let mut report = DirectoryCheck::default();
    for batch in accounts.chunks(BATCH) {
        let asked: Vec<(String, String)> = batch
            .iter()
            .filter_map(|c| Some((c.username.clone(), c.directory_dn.clone()?)))
            .collect();
        let verdicts = directory.check_accounts(&asked).await?;
        for (creds, verdict) in batch.iter().zip(verdicts) {
            report.checked += 1;
            let reason = match &verdict {
                Verdict::Unknown => Some("directory_unknown"),
                Verdict::Disabled { why, .. } => Some(why.code()),
                Verdict::Accepted(_) | Verdict::NoRole { .. } | Verdict::BadCredentials => None,
            };
            if let Some(reason) = reason {
                if store
                    .disable_directory_account(creds.user_id, reason, &origin)
                    .await?
                {
                    report.disabled += 1;
                }
                continue;
            }
            // A stored name is a valid name and a valid person's name; were it not, the
            // account is left as it is rather than guessed at.
            let (Ok(username), Ok(own_name)) = (
                Username::parse(&creds.username),
                Name::parse("name", &creds.username),
            ) else {
                continue;
            };
            let account = match verdict {
                Verdict::Accepted(person) => DirectoryAccount {
                    name: Name::parse("name", &person.name).unwrap_or(own_name),
                    username,
                    dn: person.dn,
                    email: person.email,
                    unit_id: person.unit,
                    roles: person.roles,
                },
                Verdict::NoRole { dn } => DirectoryAccount {
                    name: own_name,
                    username,
                    dn,
                    email: None,
                    unit_id: None,
                    roles: Vec::new(),
                },
                _ => continue,
            };
            let (_, sync) = store.sync_directory_account(account, &origin).await?;
            if sync == mamori_store::DirectorySync::RolesChanged {
                report.roles_changed += 1;
            }
        }
    }
    Ok(report)
}
