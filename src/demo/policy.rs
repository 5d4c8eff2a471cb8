//! The demonstration policy of 管理者 (`KANRI`): the seed 基本方針 in force, a 対策基準 waiting
//! for the CISO's approval, and the staff's confirmations part of the way done.

use anyhow::Context;
use chrono::NaiveDate;
use mamori_core::Actor;
use mamori_core::Clock as _;
use mamori_core::authz::{AcknowledgePolicy, ApprovePolicy, ManagePolicies, authorize};
use mamori_core::policy::{PolicyId, Step};
use mamori_core::{OrgId, UserId};
use mamori_store::{Author, Origin, Store};
use mamori_web::{ImportDraft, import_text};

use crate::messages::msg;

/// 特別区人事・厚生事務組合情報セキュリティ基本方針, as published: twelve sections and six 附則,
/// the newest in force from 令和8年4月1日.
pub const BASIC_POLICY: &str = include_str!("kihon_houshin.txt");
pub const BASIC_POLICY_TITLE: &str = "特別区人事・厚生事務組合情報セキュリティ基本方針";
/// The 施行日 of the basic policy's newest 附則, the day it is approved to apply from.
pub const BASIC_POLICY_EFFECTIVE: (i32, u32, u32) = (2026, 4, 1);

/// A short 対策基準 in the same form, written for the demonstration; never published.
pub const STANDARD_DRAFT: &str = include_str!("taisaku_kijun.txt");
pub const STANDARD_TITLE: &str = "情報セキュリティ対策基準";

/// The 統括 writes the documents (so the CISO, who approves them, is not their editor).
const EDITOR: &str = "suzuki";
const APPROVER: &str = "sato";
/// Who has confirmed the basic policy so far: some of 総務課 and of 情報政策課, none elsewhere
/// (`yamamoto`, a member of staff, is left to try it).
const CONFIRMED: [&str; 3] = ["suzuki", "takahashi", "tanaka"];

async fn actor(store: &dyn Store, username: &str) -> anyhow::Result<Actor> {
    let user: UserId = store
        .credentials_by_name(username)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = username))?
        .user_id;
    store
        .actor(user)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = username))
}

/// Imports a text through the same operation as the pages and `mamori policy import`.
async fn import(
    store: &dyn Store,
    editor: &Actor,
    org: OrgId,
    tier: &str,
    title: &str,
    text: &str,
) -> anyhow::Result<PolicyId> {
    let grant = authorize::<ManagePolicies>(editor, &org)?;
    let draft = ImportDraft {
        org_id: Some(org.0),
        tier: tier.into(),
        title: title.into(),
        approver_role: String::new(),
        bytes: text.as_bytes().to_vec(),
    };
    let imported = import_text(
        store,
        Author::Account(&grant),
        &draft,
        &Origin::of(editor, "demo"),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e:?}", msg!("cli.demo.policy")))?;
    store
        .step_version(
            &grant,
            imported.policy.id,
            imported.version.number,
            Step::Submit,
            &Origin::of(editor, "demo"),
        )
        .await?;
    Ok(imported.policy.id)
}

/// Adds the policy documents of 管理者 (`org`): the basic policy approved by the CISO and in
/// force, the 対策基準 in review, and the confirmations of a few members of staff.
pub async fn fill_policies(store: &dyn Store, org: OrgId) -> anyhow::Result<()> {
    let made = || msg!("cli.demo.policy");
    let editor = actor(store, EDITOR).await?;
    let ciso = actor(store, APPROVER).await?;

    let basic = import(
        store,
        &editor,
        org,
        "basic",
        BASIC_POLICY_TITLE,
        BASIC_POLICY,
    )
    .await?;
    let policy = store.policy(basic).await?.with_context(made)?;
    let version = store.version(basic, 1).await?.with_context(made)?;
    let grant = authorize::<ApprovePolicy>(&ciso, &policy.place(Some(&version.info)))?;
    let (y, m, d) = BASIC_POLICY_EFFECTIVE;
    // In force at once, on a machine whose clock is before the 附則's date too: the demo's
    // confirmations need the version in force.
    let today =
        mamori_core::time::jst_date(mamori_store::SystemClock.now_ms()).with_context(made)?;
    let from = NaiveDate::from_ymd_opt(y, m, d)
        .with_context(made)?
        .min(today);
    store
        .approve_version(&grant, basic, 1, from, &Origin::of(&ciso, "demo"))
        .await?;

    import(
        store,
        &editor,
        org,
        "standard",
        STANDARD_TITLE,
        STANDARD_DRAFT,
    )
    .await?;

    let policy = store.policy(basic).await?.with_context(made)?;
    let version = store.version(basic, 1).await?.with_context(made)?;
    for username in CONFIRMED {
        let member = actor(store, username).await?;
        let grant = authorize::<AcknowledgePolicy>(&member, &policy.place(Some(&version.info)))?;
        store
            .acknowledge(&grant, basic, 1, &Origin::of(&member, "demo"))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use mamori_core::policy::parse_policy;

    use super::*;

    /// The copy in the repository is the seed kept beside it, byte for byte.
    #[test]
    fn the_demo_basic_policy_is_the_seed() {
        let seed = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/seed/000_d561eb961f93c129.txt"
        );
        let seed = std::fs::read_to_string(seed)
            .unwrap_or_else(|e| panic!("the seed policy must be at {seed}: {e}"));
        assert_eq!(BASIC_POLICY, seed);
    }

    #[test]
    fn the_demo_texts_read_with_their_titles_and_dates() {
        let basic = parse_policy(BASIC_POLICY).expect("the seed reads");
        assert_eq!(basic.title, BASIC_POLICY_TITLE);
        assert_eq!(basic.sections.len(), 12);
        let newest = basic
            .supplementary
            .iter()
            .filter_map(|s| s.effective_from)
            .max()
            .expect("dated 附則");
        assert_eq!(newest.ymd(), BASIC_POLICY_EFFECTIVE);

        let standard = parse_policy(STANDARD_DRAFT).expect("the 対策基準 reads");
        assert_eq!(standard.title, "情報セキュリティ対策基準（案）");
        let anchors: Vec<&str> = standard.clauses().map(|c| c.anchor.as_str()).collect();
        assert_eq!(standard.sections.len(), 7, "{anchors:?}");
        assert!(anchors.contains(&"3(1)ウ"), "{anchors:?}");
        assert!(anchors.contains(&"6(2)"), "{anchors:?}");
        assert_eq!(standard.supplementary.len(), 1);
    }
}
