//! Directory login (ディレクトリ認証): a person's password checked against an LDAP directory or
//! Active Directory, and the directory's groups mapped to mamori's roles.
//!
//! The person is found in one of two ways: bound to directly at the DN a template makes
//! (`uid={user},ou=people,dc=example,dc=jp`), or searched for by a service account with a filter
//! (`(sAMAccountName={user})`) and then bound to. Their groups are read from an attribute of the
//! entry (`memberOf`) and, when a group base is set, searched for (`(member={dn})`). A person in
//! a group configured as disabled, or, with `active_directory`, whose `userAccountControl` has
//! the ACCOUNTDISABLE bit, is refused. What the groups give (role and scope) is data: the
//! [`GroupRole`] rows of the configuration.
//!
//! The connection is plain, StartTLS or LDAPS, verified against a CA file when one is given
//! (the system's roots otherwise), over rustls. Every failure of the directory is an error, never
//! an answer: the caller refuses the login (fail closed).
//!
//! What may reach the directory is escaped: the name as an RDN value in a template, as an
//! assertion value in a filter; an empty password is refused here, since LDAP takes a simple bind
//! without a password as an anonymous one that succeeds.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ldap3::{
    LdapConnAsync, LdapConnSettings, Scope as SearchScope, SearchEntry, dn_escape, ldap_escape,
};
use mamori_core::UnitId;
use mamori_core::role::{Role, Scope, validate_scope};

/// `userAccountControl`'s ACCOUNTDISABLE bit (Active Directory).
const ACCOUNT_DISABLED: u32 = 0x2;
/// LDAP result code `invalidCredentials`.
const INVALID_CREDENTIALS: u32 = 49;
/// LDAP result code `noSuchObject`.
const NO_SUCH_OBJECT: u32 = 32;

/// How the person's entry is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Bind as the person at the DN this template makes with `{user}` replaced by the name.
    Template(String),
    /// Bind as a service account, search under `base` with `filter` (`{user}` replaced by the
    /// name), then bind as the one entry found.
    Search {
        bind_dn: String,
        bind_password: String,
        base: String,
        filter: String,
    },
}

/// Whether and how the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `ldap://` without StartTLS: only for a directory on the same host or a test.
    Plain,
    /// `ldap://` upgraded with StartTLS before anything is sent.
    StartTls,
    /// `ldaps://`.
    Ldaps,
}

/// One row of the mapping: members of the group `dn` hold `role` over `scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRole {
    pub dn: String,
    pub role: Role,
    pub scope: Scope,
}

/// The directory login's settings, as the binary read them from its file.
#[derive(Debug, Clone)]
pub struct LdapConfig {
    /// `ldap://host:port` or `ldaps://host:port`.
    pub url: String,
    pub starttls: bool,
    /// PEM file of the CA(s) the server's certificate is verified against.
    pub ca_file: Option<PathBuf>,
    /// The longest a whole login may take the directory, connection included.
    pub timeout: Duration,
    pub lookup: Lookup,
    /// The entry's attribute that lists its groups' DNs (`memberOf`), when it has one.
    pub member_of_attribute: Option<String>,
    /// Where groups are searched for, with `group_filter`; none: only `member_of_attribute`.
    pub group_base: Option<String>,
    /// `{dn}` is the person's DN, `{user}` their name.
    pub group_filter: String,
    /// Members of these groups are refused, and their accounts disabled.
    pub disabled_groups: Vec<String>,
    /// Honour Active Directory's `userAccountControl` ACCOUNTDISABLE bit.
    pub active_directory: bool,
    /// The attribute holding the person's name as shown (`displayName`; `cn` when it is empty).
    pub name_attribute: String,
    pub mail_attribute: String,
    pub groups: Vec<GroupRole>,
    /// How often every account the directory made is checked against it (ディレクトリ照合);
    /// `None`: only at logins. Needs a service account.
    pub check_every: Option<Duration>,
}

impl LdapConfig {
    /// Settings with the defaults for everything but where the directory is and how a person
    /// is found.
    pub fn new(url: impl Into<String>, lookup: Lookup) -> Self {
        Self {
            url: url.into(),
            starttls: false,
            ca_file: None,
            timeout: Duration::from_secs(10),
            lookup,
            member_of_attribute: Some("memberOf".to_owned()),
            group_base: None,
            group_filter: "(|(member={dn})(uniqueMember={dn})(memberUid={user}))".to_owned(),
            disabled_groups: Vec::new(),
            active_directory: false,
            name_attribute: "displayName".to_owned(),
            mail_attribute: "mail".to_owned(),
            groups: Vec::new(),
            check_every: None,
        }
    }
}

/// A setting that cannot work, naming it.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ConfigError {
    /// The setting's name as written in the file (`url`, `group[2].unit`).
    pub field: String,
    pub problem: String,
}

fn config_error(field: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Why the directory gave no answer. Every one refuses the login.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the directory did not answer within {0:?}")]
    Timeout(Duration),
    #[error("directory: {0}")]
    Ldap(#[from] ldap3::LdapError),
    #[error("the service account's bind was refused (result code {0})")]
    ServiceBind(u32),
    #[error("{operation} failed with result code {rc}: {text}")]
    Refused {
        operation: &'static str,
        rc: u32,
        text: String,
    },
    #[error("{0} entries match the name; the filter must find one")]
    Ambiguous(usize),
    #[error("people can be checked only by a service account (bind_dn)")]
    NoServiceAccount,
}

/// What the directory says about a name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right and the person's groups give them roles.
    Accepted(Person),
    /// The password is wrong (or, binding to a template's DN, there is no such entry).
    BadCredentials,
    /// The service account's search finds nobody of that name.
    Unknown,
    /// The directory says the person may not log in.
    Disabled { dn: String, why: DisabledBecause },
    /// The password is right but no group of the person's gives a role.
    NoRole { dn: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledBecause {
    /// A member of a configured disabled group.
    Group,
    /// Active Directory's ACCOUNTDISABLE bit.
    AccountControl,
}

impl DisabledBecause {
    /// The reason as the audit trail records it.
    pub fn code(self) -> &'static str {
        match self {
            DisabledBecause::Group => "directory_disabled_group",
            DisabledBecause::AccountControl => "directory_account_disabled",
        }
    }
}

/// A person the directory vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub dn: String,
    /// As shown; the name logged in with when the entry has none.
    pub name: String,
    pub email: Option<String>,
    /// What the groups give, in the order of the configuration, without repeats.
    pub roles: Vec<(Role, Scope)>,
    /// The unit of the first unit-scoped role, where the person is placed when first seen.
    pub unit: Option<UnitId>,
}

/// A configured directory, ready to answer logins. Each login opens its own connection.
#[derive(Debug, Clone)]
pub struct Directory {
    config: Arc<LdapConfig>,
    transport: Transport,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Directory {
    /// Checks the settings (naming the first that cannot work) and reads the CA file.
    pub fn new(config: LdapConfig) -> Result<Self, ConfigError> {
        let transport = match (
            config.url.split_once("://").map(|(s, _)| s),
            config.starttls,
        ) {
            (Some("ldap"), false) => Transport::Plain,
            (Some("ldap"), true) => Transport::StartTls,
            (Some("ldaps"), false) => Transport::Ldaps,
            (Some("ldaps"), true) => {
                return Err(config_error(
                    "starttls",
                    "StartTLS is for ldap:// URLs; an ldaps:// URL is encrypted already",
                ));
            }
            _ => {
                return Err(config_error(
                    "url",
                    format!("{:?} is not an ldap:// or ldaps:// URL", config.url),
                ));
            }
        };
        let host = config.url.split_once("://").map_or("", |(_, rest)| rest);
        if host.is_empty() || host.starts_with(':') || host.contains(char::is_whitespace) {
            return Err(config_error(
                "url",
                format!("{:?} names no host", config.url),
            ));
        }
        if config.ca_file.is_some() && transport == Transport::Plain {
            return Err(config_error(
                "ca_file",
                "a CA file needs starttls = true or an ldaps:// URL",
            ));
        }
        if config.timeout.is_zero() {
            return Err(config_error("timeout_secs", "must be at least 1"));
        }
        match &config.lookup {
            Lookup::Template(template) => {
                if !template.contains("{user}") {
                    return Err(config_error("user_dn", "must contain {user}"));
                }
            }
            Lookup::Search {
                bind_dn,
                base,
                filter,
                ..
            } => {
                if bind_dn.trim().is_empty() {
                    return Err(config_error("bind_dn", "must not be empty"));
                }
                if base.trim().is_empty() {
                    return Err(config_error("search_base", "must not be empty"));
                }
                if !filter.contains("{user}") {
                    return Err(config_error("search_filter", "must contain {user}"));
                }
                if !is_filter(filter) {
                    return Err(config_error(
                        "search_filter",
                        "must be an LDAP filter in parentheses",
                    ));
                }
            }
        }
        if config.group_base.is_some() && !is_filter(&config.group_filter) {
            return Err(config_error(
                "group_filter",
                "must be an LDAP filter in parentheses",
            ));
        }
        for (i, row) in config.groups.iter().enumerate() {
            if row.dn.trim().is_empty() {
                return Err(config_error(format!("group[{i}].dn"), "must not be empty"));
            }
            if validate_scope(row.role, &row.scope).is_err() {
                return Err(config_error(
                    format!("group[{i}]"),
                    format!(
                        "role {} takes a scope of kind {:?}",
                        row.role.as_str(),
                        row.role.scope_kind()
                    ),
                ));
            }
        }
        if let Some(every) = config.check_every {
            if !matches!(config.lookup, Lookup::Search { .. }) {
                return Err(config_error(
                    "check_minutes",
                    "checking accounts needs a service account (bind_dn)",
                ));
            }
            if every < Duration::from_secs(60) || every > Duration::from_secs(7 * 86_400) {
                return Err(config_error(
                    "check_minutes",
                    "must be from 1 to 10080 (a week)",
                ));
            }
        }
        if config.groups.is_empty() {
            return Err(config_error(
                "group",
                "at least one group must give a role, or nobody could log in",
            ));
        }
        let tls = match transport {
            Transport::Plain => None,
            Transport::StartTls | Transport::Ldaps => {
                Some(Arc::new(tls_config(config.ca_file.as_deref())?))
            }
        };
        Ok(Self {
            config: Arc::new(config),
            transport,
            tls,
        })
    }

    pub fn config(&self) -> &LdapConfig {
        &self.config
    }

    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Asks the directory whether `password` is `user`'s, and what their groups give them.
    /// `user` must already be a valid mamori user name (`Username`).
    pub async fn authenticate(
        &self,
        user: &str,
        password: &str,
    ) -> Result<Verdict, DirectoryError> {
        if password.is_empty() {
            return Ok(Verdict::BadCredentials);
        }
        let timeout = self.config.timeout;
        tokio::time::timeout(timeout, self.ask(user, password))
            .await
            .map_err(|_| DirectoryError::Timeout(timeout))?
    }

    /// Whether the directory can be asked about people without their password: only with a
    /// service account ([`Lookup::Search`]).
    pub fn can_check_accounts(&self) -> bool {
        matches!(self.config.lookup, Lookup::Search { .. })
    }

    /// Asks the directory, as the service account, what it now says of accounts it made (their
    /// name and DN), in one connection: [`Verdict::Accepted`] with the roles the groups give
    /// today, [`Verdict::Disabled`], [`Verdict::NoRole`], or [`Verdict::Unknown`] when the entry
    /// is gone. Never [`Verdict::BadCredentials`]. Each person's read has the configured timeout.
    /// Without a service account there is nobody to ask as: [`DirectoryError::NoServiceAccount`].
    pub async fn check_accounts(
        &self,
        accounts: &[(String, String)],
    ) -> Result<Vec<Verdict>, DirectoryError> {
        let Lookup::Search {
            bind_dn,
            bind_password,
            ..
        } = &self.config.lookup
        else {
            return Err(DirectoryError::NoServiceAccount);
        };
        let timeout = self.config.timeout;
        let (conn, mut ldap) = within(
            timeout,
            LdapConnAsync::with_settings(self.settings(), &self.config.url),
        )
        .await?;
        ldap3::drive!(conn);
        let bound = within(timeout, ldap.simple_bind(bind_dn, bind_password)).await?;
        if bound.rc != 0 {
            return Err(DirectoryError::ServiceBind(bound.rc));
        }
        let mut verdicts = Vec::with_capacity(accounts.len());
        for (user, dn) in accounts {
            verdicts.push(within(timeout, self.read_entry(&mut ldap, user, dn)).await?);
        }
        let _ = ldap.unbind().await;
        Ok(verdicts)
    }

    /// What the directory says of the entry at `dn`, read by whoever the connection is bound as.
    async fn read_entry(
        &self,
        ldap: &mut ldap3::Ldap,
        user: &str,
        dn: &str,
    ) -> Result<Verdict, DirectoryError> {
        let ldap3::SearchResult(entries, result) = ldap
            .search(
                dn,
                SearchScope::Base,
                "(objectClass=*)",
                self.entry_attributes(),
            )
            .await?;
        if result.rc == NO_SUCH_OBJECT {
            return Ok(Verdict::Unknown);
        }
        result.success().map_err(|e| refused("read", e))?;
        let Some(entry) = entries.into_iter().next() else {
            return Ok(Verdict::Unknown);
        };
        let entry = SearchEntry::construct(entry);
        let groups = self.groups(ldap, &entry, user).await?;
        Ok(self.decide(user, entry, &groups))
    }

    fn settings(&self) -> LdapConnSettings {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.config.timeout)
            .set_starttls(self.transport == Transport::StartTls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        settings
    }

    async fn ask(&self, user: &str, password: &str) -> Result<Verdict, DirectoryError> {
        let (conn, mut ldap) =
            LdapConnAsync::with_settings(self.settings(), &self.config.url).await?;
        ldap3::drive!(conn);
        let verdict = self.ask_on(&mut ldap, user, password).await;
        let _ = ldap.unbind().await;
        verdict
    }

    async fn ask_on(
        &self,
        ldap: &mut ldap3::Ldap,
        user: &str,
        password: &str,
    ) -> Result<Verdict, DirectoryError> {
        let attributes = self.entry_attributes();
        match &self.config.lookup {
            Lookup::Template(template) => {
                let dn = template.replace("{user}", &dn_escape(user));
                let bound = ldap.simple_bind(&dn, password).await?;
                if bound.rc == INVALID_CREDENTIALS {
                    return Ok(Verdict::BadCredentials);
                }
                bound.success().map_err(|e| refused("bind", e))?;
                // Read as the person themselves: a template needs no service account.
                self.read_entry(ldap, user, &dn).await
            }
            Lookup::Search {
                bind_dn,
                bind_password,
                base,
                filter,
            } => {
                let bound = ldap.simple_bind(bind_dn, bind_password).await?;
                if bound.rc != 0 {
                    return Err(DirectoryError::ServiceBind(bound.rc));
                }
                let filter = filter.replace("{user}", &ldap_escape(user));
                let ldap3::SearchResult(entries, result) = ldap
                    .search(base, SearchScope::Subtree, &filter, attributes)
                    .await?;
                result.success().map_err(|e| refused("search", e))?;
                let mut entries = entries.into_iter();
                let (Some(entry), None) = (entries.next(), entries.next()) else {
                    return match entries.len() {
                        0 => Ok(Verdict::Unknown),
                        more => Err(DirectoryError::Ambiguous(more + 2)),
                    };
                };
                let entry = SearchEntry::construct(entry);
                // The groups are read by the service account, before the bind as the person
                // leaves the connection with the person's rights.
                let groups = self.groups(ldap, &entry, user).await?;
                let disabled = self.disabled(&entry, &groups);
                let bound = ldap.simple_bind(&entry.dn, password).await?;
                if bound.rc == INVALID_CREDENTIALS {
                    // A disabled person is named as such whatever the password: the account is
                    // to be disabled in mamori too.
                    return Ok(match disabled {
                        Some(why) => Verdict::Disabled { dn: entry.dn, why },
                        None => Verdict::BadCredentials,
                    });
                }
                bound.success().map_err(|e| refused("bind", e))?;
                Ok(self.decide(user, entry, &groups))
            }
        }
    }

    fn entry_attributes(&self) -> Vec<String> {
        let c = &self.config;
        let mut attributes = vec![
            c.name_attribute.clone(),
            "cn".to_owned(),
            c.mail_attribute.clone(),
        ];
        if let Some(member_of) = &c.member_of_attribute {
            attributes.push(member_of.clone());
        }
        if c.active_directory {
            attributes.push("userAccountControl".to_owned());
        }
        attributes
    }

    /// The DNs of the person's groups: from the entry's own attribute and the group search.
    async fn groups(
        &self,
        ldap: &mut ldap3::Ldap,
        entry: &SearchEntry,
        user: &str,
    ) -> Result<Vec<String>, DirectoryError> {
        let mut groups: Vec<String> = self
            .config
            .member_of_attribute
            .as_deref()
            .and_then(|a| attribute(entry, a))
            .cloned()
            .unwrap_or_default();
        if let Some(base) = &self.config.group_base {
            let filter = self
                .config
                .group_filter
                .replace("{dn}", &ldap_escape(&entry.dn))
                .replace("{user}", &ldap_escape(user));
            let ldap3::SearchResult(found, result) = ldap
                .search(base, SearchScope::Subtree, &filter, vec!["1.1"])
                .await?;
            result.success().map_err(|e| refused("group search", e))?;
            groups.extend(found.into_iter().map(|g| SearchEntry::construct(g).dn));
        }
        Ok(groups)
    }

    fn disabled(&self, entry: &SearchEntry, groups: &[String]) -> Option<DisabledBecause> {
        let disabled_group = groups
            .iter()
            .any(|g| self.config.disabled_groups.iter().any(|d| same_dn(d, g)));
        if disabled_group {
            return Some(DisabledBecause::Group);
        }
        let control = attribute(entry, "userAccountControl")
            .and_then(|v| v.first())
            .and_then(|v| v.trim().parse::<i64>().ok());
        (self.config.active_directory
            && control.is_some_and(|c| c & i64::from(ACCOUNT_DISABLED) != 0))
        .then_some(DisabledBecause::AccountControl)
    }

    /// The verdict on a person whose password the directory took.
    fn decide(&self, user: &str, entry: SearchEntry, groups: &[String]) -> Verdict {
        if let Some(why) = self.disabled(&entry, groups) {
            return Verdict::Disabled { dn: entry.dn, why };
        }
        let mut roles: Vec<(Role, Scope)> = Vec::new();
        for row in &self.config.groups {
            if groups.iter().any(|g| same_dn(&row.dn, g))
                && !roles.iter().any(|(r, s)| *r == row.role && *s == row.scope)
            {
                roles.push((row.role, row.scope.clone()));
            }
        }
        if roles.is_empty() {
            return Verdict::NoRole { dn: entry.dn };
        }
        let first = |name: &str| {
            attribute(&entry, name)
                .and_then(|v| v.iter().map(|s| s.trim()).find(|s| !s.is_empty()))
                .map(str::to_owned)
        };
        let name = first(&self.config.name_attribute)
            .or_else(|| first("cn"))
            .unwrap_or_else(|| user.to_owned());
        // The first value that is an address: it goes into mail headers and SMTP commands, so
        // a value with a line break or a space in it is passed over, never used.
        let email = attribute(&entry, &self.config.mail_attribute).and_then(|values| {
            values
                .iter()
                .find_map(|v| match mamori_core::text::parse_email("mail", v) {
                    Ok(email) => email,
                    Err(_) => {
                        tracing::warn!(dn = %entry.dn, attribute = %self.config.mail_attribute,
                        "a mail value of the directory entry is not an address; not used");
                        None
                    }
                })
        });
        let unit = roles.iter().find_map(|(_, s)| match s {
            Scope::Unit(unit) => Some(*unit),
            _ => None,
        });
        Verdict::Accepted(Person {
            dn: entry.dn,
            name,
            email,
            roles,
            unit,
        })
    }
}

/// `work`, unless it takes longer than `timeout`.
async fn within<T, E>(
    timeout: Duration,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, DirectoryError>
where
    DirectoryError: From<E>,
{
    match tokio::time::timeout(timeout, work).await {
        Ok(done) => Ok(done?),
        Err(_) => Err(DirectoryError::Timeout(timeout)),
    }
}

fn refused(operation: &'static str, e: ldap3::LdapError) -> DirectoryError {
    match e {
        ldap3::LdapError::LdapResult { result } => DirectoryError::Refused {
            operation,
            rc: result.rc,
            text: result.text,
        },
        other => DirectoryError::Ldap(other),
    }
}

/// An attribute's values, its name matched without regard to case as LDAP does.
fn attribute<'a>(entry: &'a SearchEntry, name: &str) -> Option<&'a Vec<String>> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn is_filter(filter: &str) -> bool {
    let f = filter.trim();
    f.starts_with('(') && f.ends_with(')')
}

/// Whether two DNs name the same entry, as far as mamori needs to tell: without regard to case
/// or to spaces around the separators.
pub fn same_dn(a: &str, b: &str) -> bool {
    normalise_dn(a) == normalise_dn(b)
}

fn normalise_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| {
            rdn.split('=')
                .map(|part| part.trim().to_lowercase())
                .collect::<Vec<_>>()
                .join("=")
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error("url", e.to_string()))?;
    let roots = match ca_file {
        Some(path) => load_roots(path)?,
        None => {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_roots();
            roots.add_parsable_certificates(found);
            if roots.is_empty() {
                return Err(config_error(
                    "ca_file",
                    "no CA certificates on this system; name a CA file",
                ));
            }
            roots
        }
    };
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// The system's CA certificates (Debian's bundle), read as PEM.
fn rustls_native_roots() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
    rustls::pki_types::CertificateDer::pem_file_iter(BUNDLE)
        .map(|certs| certs.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

fn load_roots(path: &Path) -> Result<rustls::RootCertStore, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    let err = |detail: String| config_error("ca_file", format!("{}: {detail}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        rustls::pki_types::CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))?
    {
        roots
            .add(cert.map_err(|e| err(e.to_string()))?)
            .map_err(|e| err(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(err("no certificate found".into()));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_core::OrgId;

    fn config() -> LdapConfig {
        let mut c = LdapConfig::new(
            "ldap://127.0.0.1:389",
            Lookup::Template("uid={user},ou=people,dc=example,dc=jp".into()),
        );
        c.groups.push(GroupRole {
            dn: "cn=staff,ou=groups,dc=example,dc=jp".into(),
            role: Role::Staff,
            scope: Scope::Unit(UnitId(2)),
        });
        c
    }

    fn entry(dn: &str, attrs: &[(&str, &[&str])]) -> SearchEntry {
        SearchEntry {
            dn: dn.to_owned(),
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
            bin_attrs: Default::default(),
        }
    }

    #[test]
    fn dns_compare_without_case_or_spaces() {
        assert!(same_dn(
            "CN=Staff, OU=Groups,DC=example,DC=jp",
            "cn=staff,ou=groups,dc=example,dc=jp"
        ));
        assert!(!same_dn("cn=staff,dc=jp", "cn=staff2,dc=jp"));
    }

    #[test]
    fn bad_settings_name_their_field() {
        type Change = Box<dyn Fn(&mut LdapConfig)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|c| c.url = "http://x".into()), "url"),
            (Box::new(|c| c.url = "ldap://".into()), "url"),
            (
                Box::new(|c| {
                    c.url = "ldaps://x".into();
                    c.starttls = true;
                }),
                "starttls",
            ),
            (Box::new(|c| c.ca_file = Some("/x.pem".into())), "ca_file"),
            (
                Box::new(|c| {
                    c.starttls = true;
                    c.ca_file = Some("/nonexistent/ca.pem".into());
                }),
                "ca_file",
            ),
            (
                Box::new(|c| c.lookup = Lookup::Template("uid=x,dc=jp".into())),
                "user_dn",
            ),
            (
                Box::new(|c| {
                    c.lookup = Lookup::Search {
                        bind_dn: "cn=svc".into(),
                        bind_password: "x".into(),
                        base: "dc=jp".into(),
                        filter: "sAMAccountName={user}".into(),
                    }
                }),
                "search_filter",
            ),
            (
                Box::new(|c| c.groups[0].scope = Scope::Organisation(OrgId(1))),
                "group[0]",
            ),
            (Box::new(|c| c.groups.clear()), "group"),
            (Box::new(|c| c.timeout = Duration::ZERO), "timeout_secs"),
        ];
        for (change, field) in cases {
            let mut c = config();
            change(&mut c);
            let err = Directory::new(c).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
        assert!(Directory::new(config()).is_ok());
    }

    #[test]
    fn groups_map_to_roles_and_disabled_groups_win() {
        let mut c = config();
        c.groups.push(GroupRole {
            dn: "cn=ciso,ou=groups,dc=example,dc=jp".into(),
            role: Role::Ciso,
            scope: Scope::Global,
        });
        c.disabled_groups
            .push("cn=gone,ou=groups,dc=example,dc=jp".into());
        let d = Directory::new(c).unwrap();
        let e = entry(
            "uid=a,dc=jp",
            &[("displayName", &["山田 太郎"]), ("mail", &["a@x.jp"])],
        );
        let Verdict::Accepted(p) = d.decide(
            "a",
            e.clone(),
            &[
                "CN=CISO,ou=groups,dc=example,dc=jp".into(),
                "cn=staff,ou=groups,dc=example,dc=jp".into(),
            ],
        ) else {
            panic!("accepted")
        };
        assert_eq!(p.name, "山田 太郎");
        assert_eq!(p.email.as_deref(), Some("a@x.jp"));

        // A value that is not an address (a line break in it would reach mail headers and SMTP
        // commands) is passed over for the next one.
        let staff = ["cn=staff,ou=groups,dc=example,dc=jp".to_string()];
        for (values, expected) in [
            (&["a\rb@x.jp", " ok@x.jp "][..], Some("ok@x.jp")),
            (&["a@x.jp\r\nRCPT TO:<b@y.jp>"][..], None),
            (&["山田@x.jp", "a b@x.jp", "  "][..], None),
        ] {
            let e = entry("uid=a,dc=jp", &[("mail", values)]);
            let Verdict::Accepted(p) = d.decide("a", e, &staff) else {
                panic!("accepted")
            };
            assert_eq!(p.email.as_deref(), expected, "{values:?}");
        }
        assert_eq!(
            p.roles,
            vec![
                (Role::Staff, Scope::Unit(UnitId(2))),
                (Role::Ciso, Scope::Global)
            ]
        );
        assert_eq!(p.unit, Some(UnitId(2)));
        assert!(matches!(
            d.decide("a", e.clone(), &["cn=other,dc=jp".into()]),
            Verdict::NoRole { .. }
        ));
        assert!(matches!(
            d.decide(
                "a",
                e,
                &[
                    "cn=staff,ou=groups,dc=example,dc=jp".into(),
                    "cn=gone,ou=groups,dc=example,dc=jp".into()
                ]
            ),
            Verdict::Disabled {
                why: DisabledBecause::Group,
                ..
            }
        ));
    }

    #[test]
    fn account_control_counts_only_for_active_directory() {
        let mut c = config();
        let e = entry("cn=a,dc=jp", &[("userAccountControl", &["514"])]);
        let groups = ["cn=staff,ou=groups,dc=example,dc=jp".to_owned()];
        let d = Directory::new(c.clone()).unwrap();
        assert!(matches!(
            d.decide("a", e.clone(), &groups),
            Verdict::Accepted(_)
        ));
        c.active_directory = true;
        let d = Directory::new(c).unwrap();
        assert!(matches!(
            d.decide("a", e, &groups),
            Verdict::Disabled {
                why: DisabledBecause::AccountControl,
                ..
            }
        ));
        let enabled = entry("cn=a,dc=jp", &[("userAccountControl", &["512"])]);
        assert!(matches!(
            d.decide("a", enabled, &groups),
            Verdict::Accepted(_)
        ));
    }

    #[tokio::test]
    async fn an_empty_password_never_reaches_the_directory() {
        // Nothing listens on port 9: an attempt to connect would be an error, not this answer.
        let mut c = config();
        c.url = "ldap://127.0.0.1:9".into();
        let d = Directory::new(c).unwrap();
        assert_eq!(
            d.authenticate("a", "").await.unwrap(),
            Verdict::BadCredentials
        );
        assert!(d.authenticate("a", "x").await.is_err(), "fails closed");
    }
}
