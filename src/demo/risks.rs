//! The demonstration's risk register: a dozen risks of 管理者 (`KANRI`) spread over the heat map,
//! treated by measures of mamori's catalogue, two past their review date, one above the
//! threshold accepted by the CISO. Their owner is the 情報セキュリティ管理者 `takahashi`.
//! Deterministic: the same register every time.

use anyhow::Context;
use chrono::{Days, NaiveDate};
use mamori_core::Clock as _;
use mamori_core::authz::{AcceptRisk, ManageRisks, RiskAcceptance, RiskPlace, authorize};
use mamori_core::controls::builtin;
use mamori_core::risk::{Rating, Treatment};
use mamori_core::{OrgId, PersonId};
use mamori_store::{Origin, RiskInput, Store};

use crate::messages::msg;

/// (title, threats, inherent (likelihood, impact), residual, treatment, review in days from today
/// — negative: overdue).
type Row = (
    &'static str,
    &'static [&'static str],
    (u8, u8),
    Option<(u8, u8)>,
    Treatment,
    i64,
);

const RISKS: [Row; 12] = [
    (
        "標的型メールによるマルウェア感染",
        &["T-MALWARE", "T-ERROR"],
        (4, 5),
        Some((2, 4)),
        Treatment::Reduce,
        90,
    ),
    (
        "インターネット接続系からの不正アクセス",
        &["T-ACCESS", "T-INTRUSION"],
        (3, 5),
        Some((2, 3)),
        Treatment::Reduce,
        120,
    ),
    (
        "委託先職員による個人情報の持出し",
        &["T-INSIDER", "T-TAKEOUT"],
        (2, 5),
        Some((2, 4)),
        Treatment::Transfer,
        60,
    ),
    (
        "USBメモリの紛失",
        &["T-OVERSIGHT", "T-TAKEOUT"],
        (4, 3),
        Some((2, 2)),
        Treatment::Reduce,
        -10,
    ),
    (
        "庁舎の地震による機器の損壊",
        &["T-EARTHQUAKE"],
        (2, 5),
        Some((2, 4)),
        Treatment::Reduce,
        200,
    ),
    (
        "落雷による停電とサーバ停止",
        &["T-LIGHTNING", "T-POWER"],
        (3, 3),
        Some((1, 3)),
        Treatment::Reduce,
        150,
    ),
    (
        "サーバ室の火災",
        &["T-FIRE"],
        (1, 5),
        None,
        Treatment::Transfer,
        300,
    ),
    (
        "サービス不能攻撃による住民向けサイトの停止",
        &["T-DOS", "T-NETWORK"],
        (3, 4),
        Some((3, 3)),
        Treatment::Reduce,
        -3,
    ),
    (
        "誤送信による個人情報の漏えい",
        &["T-ERROR"],
        (4, 4),
        Some((3, 3)),
        Treatment::Reduce,
        45,
    ),
    (
        "保守作業時の設定誤り",
        &["T-MAINTENANCE", "T-DEFECT"],
        (3, 3),
        None,
        Treatment::Reduce,
        100,
    ),
    (
        "感染症の流行による要員不足",
        &["T-PANDEMIC"],
        (3, 3),
        Some((2, 3)),
        Treatment::Avoid,
        180,
    ),
    (
        "旧システムの脆弱性が修正されない",
        &["T-SOFTWARE"],
        (5, 5),
        Some((4, 5)),
        Treatment::Reduce,
        30,
    ),
];

pub async fn fill_risks(store: &dyn Store, org: OrgId) -> anyhow::Result<usize> {
    let user = store
        .credentials_by_name("sato")
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = "sato"))?
        .user_id;
    let ciso = store
        .actor(user)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = "sato"))?;
    let origin = Origin::of(&ciso, "demo");
    let units: Vec<_> = store
        .unit_assets()
        .await?
        .into_iter()
        .filter(|u| u.org == org)
        .map(|u| u.unit)
        .collect();
    let owner: PersonId = store
        .actor(
            store
                .credentials_by_name("takahashi")
                .await?
                .with_context(|| msg!("cli.demo.account_missing", user = "takahashi"))?
                .user_id,
        )
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = "takahashi"))?
        .person_id;
    let today = mamori_core::time::jst_date(mamori_store::SystemClock.now_ms())
        .with_context(|| msg!("cli.demo.catalogue_missing"))?;
    let measures: Vec<String> = builtin().measures().map(|m| m.urn.clone()).collect();
    let mut made = 0;
    for (i, (title, threats, inherent, residual, treatment, review)) in RISKS.iter().enumerate() {
        let unit = *units
            .get(i % units.len().max(1))
            .with_context(|| msg!("cli.demo.account_missing", user = "takahashi"))?;
        let place = RiskPlace { org, unit, owner };
        let grant = authorize::<ManageRisks>(&ciso, &place)?;
        let review_on = if *review < 0 {
            today.checked_sub_days(Days::new(review.unsigned_abs()))
        } else {
            today.checked_add_days(Days::new(*review as u64))
        }
        .unwrap_or(NaiveDate::MIN);
        let rating = |(likelihood, impact): (u8, u8)| Rating { likelihood, impact };
        let risk = store
            .create_risk(
                &grant,
                RiskInput {
                    title: (*title).to_owned(),
                    description: String::new(),
                    unit,
                    owner,
                    assets: Vec::new(),
                    threats: threats.iter().map(|t| (*t).to_owned()).collect(),
                    measures: measures.iter().skip(i * 7).take(3).cloned().collect(),
                    inherent: rating(*inherent),
                    residual: residual.map(rating),
                    treatment: *treatment,
                    review_on,
                },
                &origin,
            )
            .await?;
        made += 1;
        // The old system's residual risk is above the threshold: the CISO, not its owner,
        // accepts it until the system is replaced.
        if i == RISKS.len() - 1 {
            let matrix = store.risk_matrix().await?;
            let accept = authorize::<AcceptRisk>(
                &ciso,
                &RiskAcceptance {
                    place: risk.place(),
                    reserved: matrix.reserved(risk.level),
                },
            )?;
            store
                .accept_risk(&accept, risk.id, &msg!("cli.demo.risk_accepted"), &origin)
                .await?;
        }
    }
    Ok(made)
}
