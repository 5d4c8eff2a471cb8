//! `mamori quarantine list|show|purge|reindex`: the gateway's kept originals, read from its data
//! folder (the list and the purge through the quarantine's index);
//! `mamori quarantine release|deliver`: 原本の提供 at the command line, through the same request,
//! approval and delivery as the web pages, with the same rules and the same audit records.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_core::Actor;
use mamori_core::authz::{ApproveRelease, RequestRelease, authorize};
use mamori_core::credentials::{dummy_hash, token_digest, verify_password};
use mamori_core::release::{QuarantineCursor, QuarantineFilter};
use mamori_core::release::{ReleaseDecision, ReleaseId, ReleaseState, parse_reason, same_address};
use mamori_core::time;
use mamori_gateway::NextHop;
use mamori_gateway::quarantine::{
    Entry, IndexRow, PurgeRule, Purged, QuarantineId, QuarantineReader,
};
use mamori_release::{QuarantineConfig, QuarantineService, deliver_due};
use mamori_store::{
    AccountStore, Conflict, NewRelease, Origin, ReleaseStore, SqlStore, StoreError, SystemClock,
};

use crate::messages::msg;

#[derive(Subcommand)]
pub enum QuarantineCommand {
    /// 隔離されたメールの一覧 (list quarantined originals)
    List(ListArgs),
    /// 隔離されたメールの詳細と無害化レポート (show one entry's metadata and report)
    Show(ShowArgs),
    /// 保存期間を過ぎたもの、古いもの、または指定したものを削除する (purge expired entries, entries
    /// older than some days, or one by id; never one whose release is pending)
    Purge(PurgeArgs),
    /// 索引をフォルダから作り直す (rebuild the quarantine's index from its folder)
    Reindex(ReindexArgs),
    /// 原本を提供する: 申請と承認を記録し、原本を申請者に配送する (record a request and its approval,
    /// then deliver the original, unsanitized, to the requesting recipient only)
    Release(ReleaseArgs),
    /// 承認済みで配送待ちの原本を配送する (deliver approved releases that are due; `mamori serve`
    /// with a gateway does this by itself)
    Deliver(DeliverArgs),
}

/// Where released originals go.
#[derive(Args)]
pub struct NextHopArgs {
    /// The gateway's next hop (`HOST:PORT`), where released originals are delivered.
    #[arg(long, env = "MAMORI_GATEWAY_NEXT_HOP")]
    next_hop: String,
    /// Name given in EHLO.
    #[arg(long, default_value = "mamori-gateway")]
    hostname: String,
}

#[derive(Args)]
pub struct ReleaseArgs {
    /// The data folder holds the database and the gateway's quarantine, as with `mamori serve`.
    #[command(flatten)]
    data: crate::DataArgs,
    /// Quarantine id (隔離ID), of the message or of a part as the notice block names it.
    id: String,
    /// The recipient who asked for the original (their person's e-mail address); the original
    /// goes to this address only. For held outbound mail: its sender.
    #[arg(long)]
    recipient: String,
    /// Login name of the approver: the requester's 情報セキュリティ管理者, or the
    /// 情報セキュリティ責任者, 統括情報セキュリティ責任者 or CISO over them; never the requester.
    #[arg(long)]
    approver: String,
    /// Read one of the approver's API tokens from standard input: it proves who approves.
    #[arg(long, conflicts_with = "approver_password_stdin")]
    approver_token_stdin: bool,
    /// Read the approver's password from standard input (for accounts without a second factor;
    /// those with one give an API token).
    #[arg(long)]
    approver_password_stdin: bool,
    /// 申請理由, as the recipient gave it.
    #[arg(long)]
    reason: String,
    /// Login name of the requester, when several accounts have the recipient's address.
    #[arg(long)]
    requester: Option<String>,
    /// The approver's note.
    #[arg(long, default_value = "")]
    note: String,
    #[command(flatten)]
    hop: NextHopArgs,
}

#[derive(Args)]
pub struct DeliverArgs {
    #[command(flatten)]
    data: crate::DataArgs,
    #[command(flatten)]
    hop: NextHopArgs,
}

#[derive(Args)]
struct DataDir {
    /// The gateway's data folder (the quarantine is `DATA/quarantine`).
    #[arg(long = "data", default_value = "./mamori-data", env = "MAMORI_DATA")]
    data: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum VerdictArg {
    Sanitized,
    Quarantined,
    Held,
}

impl VerdictArg {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sanitized => "sanitized",
            Self::Quarantined => "quarantined",
            Self::Held => "held",
        }
    }
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    data: DataDir,
    /// One JSON array instead of a table.
    #[arg(long)]
    json: bool,
    /// Only entries of this verdict.
    #[arg(long, value_enum)]
    verdict: Option<VerdictArg>,
    /// Received on or after this day (`YYYY-MM-DD`, JST).
    #[arg(long)]
    from: Option<String>,
    /// Received on or before this day (`YYYY-MM-DD`, JST).
    #[arg(long)]
    to: Option<String>,
    /// A part of the sender's address.
    #[arg(long)]
    sender: Option<String>,
    /// A part of a recipient's address.
    #[arg(long)]
    recipient: Option<String>,
    /// A reason code, exactly (`executable`, `my-number`, …).
    #[arg(long)]
    reason: Option<String>,
    /// Entries per page, newest first (1 to 200).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=200))]
    limit: u16,
    /// The page after this point, as the previous page named it.
    #[arg(long)]
    before: Option<String>,
    /// Every page, not only the first.
    #[arg(long, conflicts_with = "before")]
    all: bool,
}

#[derive(Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    data: DataDir,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    data: DataDir,
    /// Quarantine id (隔離ID), as in the notice block of the sanitized message.
    id: String,
    /// Write the original's raw bytes to the file given with `-o` (never to the terminal).
    #[arg(long, requires = "output")]
    raw: bool,
    /// File for `--raw`; it must not exist yet.
    #[arg(short = 'o', long = "output", requires = "raw")]
    output: Option<PathBuf>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["expired", "older_than", "id"])))]
pub struct PurgeArgs {
    /// The data folder; when it holds mamori's database (or `--database` names one), open
    /// release requests are read from it and the purge is written to the audit trail.
    #[command(flatten)]
    data: crate::DataArgs,
    /// Remove every entry whose retention has ended.
    #[arg(long)]
    expired: bool,
    /// Remove every entry received more than this many days ago.
    #[arg(long, value_name = "DAYS", conflicts_with = "expired")]
    older_than: Option<u32>,
    /// With --older-than or --expired: only entries of this verdict.
    #[arg(long, value_enum)]
    verdict: Option<VerdictArg>,
    /// Remove this one entry.
    #[arg(conflicts_with_all = ["expired", "older_than", "verdict"])]
    id: Option<String>,
}

fn jst(ms: i64) -> String {
    match time::in_jst(ms) {
        Some(_) => format!("{} JST", time::format_jst(ms)),
        None => msg!("cli.quarantine.invalid_time", ms = ms),
    }
}

fn parse_id(raw: &str) -> anyhow::Result<QuarantineId> {
    QuarantineId::parse(raw)
        .map_err(|e| anyhow::anyhow!("{}: {e}", msg!("cli.quarantine.invalid_id")))
}

fn row_summary(r: &IndexRow) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "received": jst(r.received_ms),
        "received_ms": r.received_ms,
        "from": r.sender,
        "recipients": r.recipients,
        "subject": r.subject,
        "verdict": r.verdict,
        "reasons": r.reasons,
        "size": r.size,
        "release_state": r.release_state,
        "expires": jst(r.retain_until_ms),
        "retain_until_ms": r.retain_until_ms,
    })
}

fn summary(e: &Entry) -> serde_json::Value {
    let first = e.first();
    serde_json::json!({
        "id": e.id,
        "received": jst(first.received_ms),
        "received_ms": first.received_ms,
        "from": first.from,
        "recipients": e.recipients(),
        "verdict": e.verdict(),
        "reasons": e.reasons(),
        "size": e.original_size,
        "expires": jst(e.retain_until_ms()),
        "retain_until_ms": e.retain_until_ms(),
    })
}

pub async fn run(command: QuarantineCommand) -> anyhow::Result<ExitCode> {
    match command {
        QuarantineCommand::List(args) => list(&args),
        QuarantineCommand::Show(args) => show(&args),
        QuarantineCommand::Purge(args) => purge(&args).await,
        QuarantineCommand::Reindex(args) => reindex(&args),
        QuarantineCommand::Release(args) => release(args).await,
        QuarantineCommand::Deliver(args) => deliver(args).await,
    }
}

fn open(data: &DataDir) -> anyhow::Result<QuarantineReader> {
    Ok(QuarantineReader::existing(&data.data)?)
}

fn day(flag: &str, raw: Option<&String>) -> anyhow::Result<Option<i64>> {
    raw.map(|raw| {
        time::jst_day_start(raw).ok_or_else(|| {
            anyhow::anyhow!(msg!(
                "cli.refused",
                flag = flag,
                reason = format!("{raw:?}: YYYY-MM-DD")
            ))
        })
    })
    .transpose()
}

fn list_filter(args: &ListArgs) -> anyhow::Result<QuarantineFilter> {
    let before = args
        .before
        .as_deref()
        .map(|raw| {
            QuarantineCursor::parse("before", raw).map_err(|e| crate::refused("--before", &e))
        })
        .transpose()?;
    Ok(QuarantineFilter {
        verdict: args.verdict.map(|v| v.as_str().to_owned()),
        received_from_ms: day("--from", args.from.as_ref())?,
        // The last day is included.
        received_to_ms: day("--to", args.to.as_ref())?.map(|ms| ms.saturating_add(86_400_000)),
        sender: args.sender.clone(),
        recipient: args.recipient.clone(),
        reason: args.reason.clone(),
        askers: None,
        before,
        limit: usize::from(args.limit),
    })
}

fn list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let mut filter = list_filter(args)?;
    let reader = open(&args.data)?;
    let index = reader.index()?;
    // Entries that could not be read when the index had to be made from the folder.
    let damaged = index
        .made_from_folder()
        .map_or(0, |made| made.unreadable.len());
    for error in index
        .made_from_folder()
        .into_iter()
        .flat_map(|m| &m.unreadable)
    {
        eprintln!("{}: {error}", msg!("cli.warning"));
    }
    let mut rows = Vec::new();
    let next = loop {
        let page = index.page(&filter)?;
        rows.extend(page.rows);
        match page.next {
            Some(next) if args.all => filter.before = Some(next),
            next => break next,
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let all: Vec<_> = rows.iter().map(row_summary).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
    } else {
        writeln!(
            out,
            "ID\tRECEIVED\tFROM\tRECIPIENTS\tSUBJECT\tVERDICT\tREASONS\tSIZE\tRELEASE\tEXPIRES"
        )?;
        for r in &rows {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.id,
                jst(r.received_ms),
                printable(&r.sender),
                printable(&r.recipients.join(",")),
                printable(&r.subject),
                r.verdict,
                printable(&r.reasons.join(",")),
                r.size.map_or_else(|| "-".into(), |s| s.to_string()),
                r.release_state.as_deref().unwrap_or("-"),
                jst(r.retain_until_ms),
            )?;
        }
    }
    if let Some(next) = next {
        eprintln!(
            "{}",
            msg!("cli.quarantine.next_page", before = next.encode())
        );
    }
    Ok(if damaged == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn reindex(args: &ReindexArgs) -> anyhow::Result<ExitCode> {
    let reader = open(&args.data)?;
    let done = reader.reindex()?;
    for error in &done.unreadable {
        eprintln!("{}: {error}", msg!("cli.quarantine.left_in_place"));
    }
    println!(
        "{}",
        msg!(
            "cli.quarantine.reindexed",
            n = done.added,
            unreadable = done.unreadable.len()
        )
    );
    Ok(if done.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Envelope values came from the Internet: control characters are shown escaped, never sent to
/// the terminal as they are.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn show(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let id = parse_id(&args.id)?;
    let reader = open(&args.data)?;
    let entry = reader.get(&id)?;
    if let Some(path) = &args.output {
        let bytes = reader.original(&entry)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| msg!("cli.file.creating_new", path = path.display()))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| msg!("cli.file.writing", path = path.display()))?;
        eprintln!(
            "{}",
            msg!(
                "cli.quarantine.original_written",
                id = id,
                path = path.display(),
                bytes = bytes.len()
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    let shown = serde_json::json!({
        "summary": summary(&entry),
        "deliveries": entry.records,
    });
    // JSON escapes every control character, so nothing the sender wrote reaches the terminal raw.
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(ExitCode::SUCCESS)
}

async fn purge(args: &PurgeArgs) -> anyhow::Result<ExitCode> {
    let id = args.id.as_deref().map(parse_id).transpose()?;
    let reader = QuarantineReader::existing(&args.data.data)?;
    let index = Arc::new(reader.index()?);
    // With mamori's database at hand, the open requests are read from it; without, the holds the
    // release workflow wrote into the index are what keeps an entry.
    let store = if args.data.database.is_some() || args.data.data.join("mamori.db").is_file() {
        Some(crate::open_store(&args.data, false).await?)
    } else {
        None
    };
    let now = chrono::Utc::now().timestamp_millis();
    if let Some(store) = &store {
        mamori_release::sync_releases(store.as_ref(), index.clone(), now).await?;
    }
    let origin = Origin::system("quarantine purge");
    if let Some(id) = id {
        let e = index.purge_one(&id)?;
        tracing::info!(quarantine_id = %e.id, "quarantine entry purged by the command line");
        println!(
            "{}",
            msg!(
                "cli.quarantine.removed",
                id = e.id,
                received = jst(e.first().received_ms),
                expires = jst(e.retain_until_ms())
            )
        );
        if let Some(store) = &store {
            let purged = Purged {
                removed: vec![IndexRow::of(&e, String::new())],
                ..Purged::default()
            };
            mamori_release::audit_purge(store.as_ref(), &purged, &origin).await?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Entries a crash left without a row are purged as well, and unreadable ones named.
    let reconciled = index.reconcile()?;
    let rule = PurgeRule {
        received_before_ms: args
            .older_than
            .map(|days| now.saturating_sub(i64::from(days).saturating_mul(86_400_000))),
        expired_at_ms: args.expired.then_some(now),
        verdict: args.verdict.map(|v| v.as_str().to_owned()),
    };
    let purged = index.purge(&rule)?;
    for r in &purged.removed {
        tracing::info!(quarantine_id = %r.id, verdict = %r.verdict, "quarantine entry purged by the command line");
        println!(
            "{}",
            msg!(
                "cli.quarantine.removed_expired",
                id = r.id,
                received = jst(r.received_ms),
                expired = jst(r.retain_until_ms)
            )
        );
    }
    println!(
        "{}",
        msg!("cli.quarantine.removed_count", n = purged.removed.len())
    );
    if purged.kept_pending > 0 {
        println!(
            "{}",
            msg!("cli.quarantine.kept_pending", n = purged.kept_pending)
        );
    }
    if let Some(store) = &store {
        mamori_release::audit_purge(store.as_ref(), &purged, &origin).await?;
    }
    let mut skipped = 0;
    for error in reconciled.unreadable.iter().chain(&purged.unreadable) {
        skipped += 1;
        eprintln!("{}: {error}", msg!("cli.quarantine.left_in_place"));
    }
    Ok(if skipped == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn service(data: &crate::DataArgs, hop: &NextHopArgs) -> QuarantineService {
    QuarantineService::new(QuarantineConfig::new(
        data.data.clone(),
        NextHop::smtp(
            hop.next_hop.clone(),
            hop.hostname.clone(),
            Duration::from_secs(60),
        ),
    ))
}

/// The live account named `username`, as an actor.
async fn actor_named(store: &SqlStore, flag: &str, username: &str) -> anyhow::Result<Actor> {
    let creds = store
        .credentials_by_name(&username.trim().to_ascii_lowercase())
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(msg!(
                "cli.release.no_account",
                flag = flag,
                user = format!("{username:?}")
            ))
        })?;
    store.actor(creds.user_id).await?.ok_or_else(|| {
        anyhow::anyhow!(msg!(
            "cli.release.account_disabled",
            flag = flag,
            user = format!("{username:?}")
        ))
    })
}

/// The approver, proved by their API token or password on standard input: the command line
/// records an approval only from someone who showed they are its approver.
async fn authenticated_approver(
    store: &SqlStore,
    args: &ReleaseArgs,
    secret: &str,
) -> anyhow::Result<Actor> {
    let secret = secret.trim_end_matches(['\r', '\n']);
    let refused = || anyhow::anyhow!(msg!("cli.release.not_accepted"));
    let username = args.approver.trim().to_ascii_lowercase();
    let creds = store.credentials_by_name(&username).await?;
    let user = if args.approver_token_stdin {
        let token = store
            .live_api_token(&token_digest(secret.trim()))
            .await?
            .ok_or_else(refused)?;
        if creds.as_ref().map(|c| c.user_id) != Some(token.user_id) {
            return Err(refused());
        }
        // An approval is a change: a token that may only read cannot make it.
        if token.read_only {
            anyhow::bail!(msg!("cli.release.read_only_token"));
        }
        token.user_id
    } else {
        // The same work whether or not the account exists.
        let hash = creds
            .as_ref()
            .map_or(dummy_hash(), |c| c.password_hash.as_str());
        let valid = verify_password(secret, hash);
        let creds = creds.as_ref().filter(|_| valid).ok_or_else(refused)?;
        if creds.totp_secret.is_some() {
            anyhow::bail!(msg!("cli.release.second_factor", user = creds.username));
        }
        creds.user_id
    };
    // A password others may know (the printed initial one) approves nothing until it is changed.
    if creds.as_ref().is_some_and(|c| c.must_change_password) {
        anyhow::bail!(msg!("cli.release.password_change_first", user = username));
    }
    store.actor(user).await?.ok_or_else(|| {
        anyhow::anyhow!(msg!(
            "cli.release.account_disabled",
            flag = "--approver",
            user = format!("{username:?}")
        ))
    })
}

async fn release(args: ReleaseArgs) -> anyhow::Result<ExitCode> {
    use std::io::Read;
    if !args.approver_token_stdin && !args.approver_password_stdin {
        anyhow::bail!(msg!("cli.release.proof_required"));
    }
    let mut secret = String::new();
    std::io::stdin().read_to_string(&mut secret)?;
    let id = parse_id(&args.id)?;
    let reason =
        parse_reason("reason", &args.reason, true).map_err(|e| crate::refused("--reason", &e))?;
    let note = parse_reason("note", &args.note, false).map_err(|e| crate::refused("--note", &e))?;
    let service = service(&args.data, &args.hop);
    let entry = service
        .entry(&id)
        .await?
        .ok_or_else(|| anyhow::anyhow!(msg!("cli.quarantine.not_found", id = id)))?;
    let store = crate::open_store(&args.data, false).await?;

    // The requester: the account whose person has the recipient's address.
    let requester = match &args.requester {
        Some(name) => actor_named(&store, "--requester", name).await?,
        None => {
            let users = store.accounts_with_email(&args.recipient).await?;
            let user = match users.as_slice() {
                [one] => *one,
                [] => anyhow::bail!(msg!("cli.release.no_recipient", address = args.recipient)),
                _ => anyhow::bail!(msg!("cli.release.several", address = args.recipient)),
            };
            store
                .actor(user)
                .await?
                .ok_or_else(|| anyhow::anyhow!(msg!("cli.release.recipient_disabled")))?
        }
    };
    let email = store.account_email(requester.user_id).await?;
    if !email
        .as_deref()
        .is_some_and(|e| same_address(e, &args.recipient))
    {
        anyhow::bail!(msg!(
            "cli.release.not_their_address",
            address = args.recipient,
            user = requester.username
        ));
    }
    let parties = mamori_release::mail(&entry).parties(email);
    let ask = authorize::<RequestRelease>(&requester, &parties).map_err(|_| {
        anyhow::anyhow!(msg!(
            "cli.release.not_asker",
            address = args.recipient,
            id = entry.id,
            askers = parties.askers().join(", ")
        ))
    })?;
    let approver = authenticated_approver(&store, &args, &secret).await?;
    let decision = ReleaseDecision {
        requester: requester.user_id,
        requester_person: requester.person_id,
        requester_unit: requester.unit_id,
        requester_org: requester.org_id,
    };
    // Checked before anything is recorded, so that a refused approver leaves no stray request.
    let approve = authorize::<ApproveRelease>(&approver, &decision).map_err(|_| {
        if approver.person_id == requester.person_id {
            anyhow::anyhow!(msg!("cli.release.self_approval"))
        } else {
            anyhow::anyhow!(msg!(
                "cli.release.not_approver",
                approver = approver.username,
                requester = requester.username
            ))
        }
    })?;
    let address = parties
        .actor_asker()
        .map(str::to_owned)
        .unwrap_or_else(|| args.recipient.clone());
    let request = store
        .request_release(
            &ask,
            NewRelease {
                quarantine_id: entry.id.clone(),
                direction: parties.direction,
                address,
                reason,
            },
            &Origin::system("quarantine release"),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::ReleaseAlreadyOpen) => anyhow::anyhow!(msg!(
                "cli.release.already_open",
                address = args.recipient,
                id = entry.id
            )),
            other => other.into(),
        })?;
    // The approver is the actor of the approval's audit record; the command line is where.
    let origin = Origin::of(&approver, "command line");
    store
        .decide_release(&approve, request.id, true, &note, &origin)
        .await?;
    println!(
        "{}",
        msg!(
            "cli.release.recorded",
            request = request.id,
            id = entry.id,
            requester = requester.username,
            approver = approver.username
        )
    );
    deliver_and_report(&store, &service, request.id).await
}

async fn deliver_and_report(
    store: &SqlStore,
    service: &QuarantineService,
    id: ReleaseId,
) -> anyhow::Result<ExitCode> {
    deliver_due(store, service, &SystemClock).await?;
    let done = store
        .release_request(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!(msg!("cli.release.vanished", id = id)))?;
    let result = printable(&done.last_result);
    match done.state {
        ReleaseState::Delivered => {
            println!(
                "{}",
                msg!(
                    "cli.release.delivered",
                    address = done.address,
                    result = result
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        ReleaseState::Approved => {
            println!("{}", msg!("cli.release.not_yet", result = result));
            Ok(ExitCode::from(1))
        }
        state => {
            println!(
                "{}",
                msg!("cli.release.ended", state = state.as_str(), result = result)
            );
            Ok(ExitCode::from(1))
        }
    }
}

async fn deliver(args: DeliverArgs) -> anyhow::Result<ExitCode> {
    let service = service(&args.data, &args.hop);
    let store = crate::open_store(&args.data, false).await?;
    let attempted = deliver_due(store.as_ref(), &service, &SystemClock).await?;
    println!("{}", msg!("cli.release.attempted", n = attempted));
    Ok(ExitCode::SUCCESS)
}
