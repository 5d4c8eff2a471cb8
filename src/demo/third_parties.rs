//! The demonstration's third parties: three contractors — one whose contract ends within the
//! month, one whose contract has gone unchecked since it began, and one whose contract lists the
//! contractor account `hasegawa`, who reads the one asset and the 対策基準 it names — and two
//! 指定管理者 agreements, one checked, one lacking a mandatory requirement. Dated from today, so
//! the flags show whatever day the demonstration starts.

use anyhow::Context;
use chrono::Days;
use mamori_core::authz::{ManageThirdParties, VerifyAgreement, authorize};
use mamori_core::third_party::{AgreementKind, Outcome, Period, VerificationText};
use mamori_core::{Actor, Clock as _, UnitId};
use mamori_store::{AgreementInput, ContractorInput, Origin, Store};

use super::policy::STANDARD_TITLE;
use crate::messages::msg;

async fn actor(store: &dyn Store, name: &str) -> anyhow::Result<Actor> {
    let user = store
        .credentials_by_name(name)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = name))?
        .user_id;
    store
        .actor(user)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = name))
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| (*c).to_owned()).collect()
}

/// Every requirement of the checklist but the last two.
const FULL: &[&str] = &[
    "subcontracting",
    "confidentiality",
    "incident_reporting",
    "audit_rights",
    "return_disposal",
    "personnel",
    "training",
    "work_location",
];

/// Fills the third parties of 管理者 (`units`: its units, 総務課 first, 情報政策課 third).
/// Returns how many agreements it made.
pub async fn fill_third_parties(store: &dyn Store, units: &[UnitId]) -> anyhow::Result<usize> {
    let made = || msg!("cli.demo.third_parties");
    let director = actor(store, "suzuki").await?;
    let manager = actor(store, "takahashi").await?;
    let vendor = actor(store, "hasegawa").await?;
    let origin = Origin::of(&director, "demo");
    let manage = authorize::<ManageThirdParties>(&director, &())?;
    let today =
        mamori_core::time::jst_date(mamori_store::SystemClock.now_ms()).with_context(made)?;
    let before = |days: u64| today.checked_sub_days(Days::new(days)).with_context(made);
    let after = |days: u64| today.checked_add_days(Days::new(days)).with_context(made);
    let (somu, joho) = (
        *units.first().with_context(made)?,
        *units.get(2).with_context(made)?,
    );

    let choices = store.agreement_choices().await?;
    let asset = |prefix: &str| {
        choices
            .assets
            .iter()
            .find(|a| a.name.starts_with(prefix) && a.class.starts_with('2'))
            .or(choices.assets.first())
            .map(|a| a.id)
            .with_context(made)
    };
    let standard = store
        .policies()
        .await?
        .into_iter()
        .find(|p| p.title == STANDARD_TITLE)
        .map(|p| p.id.0)
        .with_context(made)?;

    let mut contractors = Vec::new();
    for (name, address, contact, phone, email) in [
        (
            "株式会社さくら情報システム",
            "東京都千代田区飯田橋三丁目5番1号",
            "桜井 誠",
            "03-3261-0001",
            "support@sakura-is.example.jp",
        ),
        (
            "株式会社みどりデータサービス",
            "東京都新宿区西新宿二丁目8番1号",
            "緑川 奈々",
            "03-5321-0002",
            "contact@midori-ds.example.jp",
        ),
        (
            "株式会社あおぞらソフト",
            "東京都港区芝公園一丁目5番10号",
            "青山 直樹",
            "03-5470-0003",
            "hoshu@aozora-soft.example.jp",
        ),
    ] {
        contractors.push(
            store
                .create_contractor(
                    &manage,
                    ContractorInput {
                        name: name.into(),
                        address: address.into(),
                        contact_person: contact.into(),
                        phone: phone.into(),
                        email: Some(email.into()),
                        note: String::new(),
                    },
                    &origin,
                )
                .await?
                .id,
        );
    }

    let contract =
        |contractor, title: &str, description: &str, unit, period, assets, requirements| {
            AgreementInput {
                kind: AgreementKind::Contract,
                contractor: Some(contractor),
                managing_body: String::new(),
                title: title.into(),
                description: description.into(),
                unit,
                period,
                assets,
                classes: codes(&["2"]),
                requirements,
                people: Vec::new(),
                policies: Vec::new(),
            }
        };
    // Ends within the month: flagged as ending soon; checked in the spring.
    let ending = contract(
        contractors[0],
        "庁内ネットワーク機器保守",
        "庁内LAN・拠点間VPN機器の保守と障害対応",
        joho,
        Period {
            starts_on: before(240)?,
            ends_on: after(25)?,
        },
        vec![asset("庁内LAN")?],
        codes(FULL),
    );
    // Running since last year and never checked: flagged as unverified.
    let unchecked = contract(
        contractors[1],
        "例規集データベース運用",
        "例規集の更新とデータベースの運用",
        somu,
        Period {
            starts_on: before(400)?,
            ends_on: after(330)?,
        },
        vec![asset("例規集")?],
        codes(&[
            "subcontracting",
            "confidentiality",
            "incident_reporting",
            "return_disposal",
        ]),
    );
    // Lists `hasegawa`, who reads its one asset and the 対策基準.
    let with_account = AgreementInput {
        people: vec![vendor.person_id],
        policies: vec![standard],
        ..contract(
            contractors[2],
            "グループウェア保守",
            "グループウェアの保守、障害対応、バージョンアップ",
            joho,
            Period {
                starts_on: before(60)?,
                ends_on: after(300)?,
            },
            vec![asset("グループウェア")?],
            codes(FULL),
        )
    };
    let long = Period {
        starts_on: before(600)?,
        ends_on: after(1_225)?,
    };
    let designated = |facility: &str, body: &str, requirements| AgreementInput {
        kind: AgreementKind::Designated,
        contractor: None,
        managing_body: body.into(),
        title: facility.into(),
        description: "施設の管理運営、利用者情報の管理".into(),
        unit: somu,
        period: long,
        assets: Vec::new(),
        classes: codes(&["2"]),
        requirements,
        people: Vec::new(),
        policies: Vec::new(),
    };
    let hall = designated(
        "区民会館",
        "公益財団法人まもり文化振興会",
        codes(&[
            "subcontracting",
            "confidentiality",
            "incident_reporting",
            "return_disposal",
            "personnel",
        ]),
    );
    // Lacks 返却・廃棄, which the site makes mandatory.
    let gym = designated(
        "スポーツセンター",
        "まもりスポーツ共同事業体",
        codes(&["subcontracting", "confidentiality", "incident_reporting"]),
    );

    let verify = async |agreement: mamori_store::Agreement, by: &Actor, days_ago: u64| {
        let grant = authorize::<VerifyAgreement>(by, &agreement.place())?;
        for code in agreement.requirements.clone() {
            store
                .record_verification(
                    &grant,
                    agreement.id,
                    VerificationText {
                        requirement: code,
                        outcome: Outcome::Met,
                        checked_on: before(days_ago)?,
                        note: msg!("cli.demo.verification_note"),
                        link: String::new(),
                    },
                    &Origin::of(by, "demo"),
                )
                .await?;
        }
        anyhow::Ok(())
    };
    let mut count = 0;
    // The contracts of 情報政策課 are checked by its 管理者, the hall by the 統括.
    for (input, checked) in [
        (ending, Some((&manager, 120))),
        (unchecked, None),
        (with_account, Some((&manager, 20))),
        (hall, Some((&director, 45))),
        (gym, None),
    ] {
        let stored = store.create_agreement(&manage, input, &origin).await?;
        if let Some((by, days_ago)) = checked {
            verify(stored, by, days_ago).await?;
        }
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use mamori_core::third_party::{FlagRules, flags};

    use super::*;

    fn shift(day: NaiveDate, days: i64) -> NaiveDate {
        day + chrono::Duration::days(days)
    }

    /// The demonstration's dates give the flags it promises, whatever day it starts.
    #[test]
    fn the_demo_agreements_are_flagged_as_promised() {
        let rules = FlagRules::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let period = |from, to| Period {
            starts_on: shift(today, from),
            ends_on: shift(today, to),
        };
        let checked = |codes: &[&str], ago: i64| -> Vec<(String, NaiveDate)> {
            codes
                .iter()
                .map(|c| ((*c).to_owned(), shift(today, -ago)))
                .collect()
        };
        let ending = flags(
            period(-240, 25),
            &codes(FULL),
            &checked(FULL, 120),
            &rules,
            today,
        );
        assert!(ending.ending_soon && !ending.unverified && ending.missing.is_empty());
        let four = [
            "subcontracting",
            "confidentiality",
            "incident_reporting",
            "return_disposal",
        ];
        let unchecked = flags(period(-400, 330), &codes(&four), &[], &rules, today);
        assert!(unchecked.unverified && !unchecked.ending_soon && unchecked.missing.is_empty());
        let with_account = flags(
            period(-60, 300),
            &codes(FULL),
            &checked(FULL, 20),
            &rules,
            today,
        );
        assert!(!with_account.any());
        let gym = flags(
            period(-600, 1_225),
            &codes(&["subcontracting", "confidentiality", "incident_reporting"]),
            &[],
            &rules,
            today,
        );
        assert_eq!(gym.missing, ["return_disposal"]);
    }
}
