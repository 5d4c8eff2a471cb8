//! The demonstration's third-party registers: five 外部サービス of 管理者 (three registered with
//! ISMAP, one of them running out within the month), one holding a 機密性3 asset that its levels
//! do not take, so that the flag shows; and four social-media accounts, one a year and more past
//! its review and one without two-factor authentication, the 情報政策課's reviewed by its 管理者
//! `takahashi`. Deterministic but for the clock: the same registers every time.

use anyhow::Context;
use chrono::{Days, Months};
use mamori_core::authz::{
    EditCloudService, ManageCloudServices, ManageSocialAccounts, ReviewSocialAccount, ViewAssets,
    authorize,
};
use mamori_core::cloud::Ismap;
use mamori_core::{Actor, Clock as _, UnitId};
use mamori_store::{AssetFilter, CloudServiceInput, Origin, SocialAccountInput, Store};

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

/// (provider, service, levels taken, rules, ISMAP (number, days to expiry), unit index of 管理者)
type Service = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    Option<(&'static str, u64)>,
    usize,
);

const SERVICES: [Service; 5] = [
    (
        "自治体情報セキュリティクラウド運営事業者",
        "Web閲覧・メール中継サービス",
        &["2", "1"],
        "インターネット接続系からのみ利用する。個人情報を含む通信は暗号化する。",
        Some(("C21-0101-1", 400)),
        2,
    ),
    (
        "大手クラウド事業者A",
        "オンラインストレージ",
        &["2", "1"],
        "機密性2以下の情報に限る。共有リンクは庁内の職員に限り、期限を付ける。",
        Some(("C22-0207-2", 20)),
        2,
    ),
    (
        "大手クラウド事業者B",
        "Web会議サービス",
        &["1"],
        "公開情報の打合せに限る。録画は庁内サーバに保存し、クラウドに残さない。",
        Some(("C21-0033-1", 700)),
        1,
    ),
    (
        "地域IT事業者",
        "電子申請受付サービス",
        &["3", "2", "1"],
        "受付データは毎日庁内に取り込み、30日を過ぎたものは削除する。",
        None,
        0,
    ),
    (
        "文書作成支援事業者",
        "生成AIチャットサービス",
        &["1"],
        "公開情報のみ入力する。個人情報・非公開情報の入力は禁止。",
        None,
        1,
    ),
];

/// (platform, account, URL, owner's user name, 2FA, months since the last review, rules)
type Account = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    u32,
    &'static str,
);

const ACCOUNTS: [Account; 4] = [
    (
        "X",
        "@kumiai_koho",
        "https://x.com/kumiai_koho",
        "takahashi",
        true,
        11,
        "広報担当課長が承認した記事のみ発信する。個人への返信は行わない。",
    ),
    (
        "Facebook",
        "特別区人事・厚生事務組合",
        "https://www.facebook.com/kumiai.example",
        "yamamoto",
        true,
        14,
        "イベント告知と募集案内に限る。コメント欄は閉じる。",
    ),
    (
        "YouTube",
        "組合公式チャンネル",
        "https://www.youtube.com/@kumiai-example",
        "tanaka",
        false,
        3,
        "研修動画と記者発表の録画に限る。職員の顔が映る動画は本人の同意を得る。",
    ),
    (
        "LINE",
        "組合公式アカウント",
        "https://page.line.me/kumiai-example",
        "suzuki",
        true,
        1,
        "災害時の緊急連絡と定型の案内に限る。",
    ),
];

pub async fn fill_registers(store: &dyn Store, units: &[UnitId]) -> anyhow::Result<(usize, usize)> {
    let today = mamori_core::time::jst_date(mamori_store::SystemClock.now_ms()).context("today")?;
    let ciso = actor(store, "sato").await?;
    let origin = Origin::of(&ciso, "demo");
    let manage = authorize::<ManageCloudServices>(&ciso, &())?;
    let mut services = Vec::new();
    for (provider, name, classes, rules, ismap, unit) in SERVICES {
        let service = store
            .create_cloud_service(
                &manage,
                CloudServiceInput {
                    provider: provider.into(),
                    name: name.into(),
                    rules: rules.into(),
                    classes: classes.iter().map(|c| (*c).to_owned()).collect(),
                    ismap: ismap.map(|(number, days)| Ismap {
                        number: number.into(),
                        expires_on: today + Days::new(days),
                    }),
                    unit: units[unit],
                },
                &origin,
            )
            .await?;
        services.push(service);
    }
    // The online storage holds a 機密性2 asset, as its rules allow, and a 機密性3 one, which
    // they do not: flagged.
    let view = authorize::<ViewAssets>(&ciso, &())?;
    let visibility = ciso.asset_visibility();
    let mut placed = 0;
    for confidentiality in ["2", "3"] {
        let (rows, _) = store
            .list_assets(
                &view,
                &visibility,
                &AssetFilter {
                    confidentiality: Some(confidentiality.into()),
                    lifecycle: Some(mamori_core::asset::Lifecycle::InUse),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await?;
        if let Some(asset) = rows.first() {
            let storage = &services[1];
            let edit = authorize::<EditCloudService>(&ciso, &storage.place())?;
            store
                .place_asset(&edit, storage.id, asset.id, &origin)
                .await?;
            placed += 1;
        }
    }
    let social = authorize::<ManageSocialAccounts>(&ciso, &())?;
    let mut accounts = 0;
    for (platform, name, url, owner, two_factor, months_ago, rules) in ACCOUNTS {
        let owner = actor(store, owner).await?;
        let account = store
            .create_social_account(
                &social,
                SocialAccountInput {
                    platform: platform.into(),
                    account_name: name.into(),
                    url: url.into(),
                    owner: owner.person_id,
                    rules: rules.into(),
                    two_factor,
                    review_months: mamori_core::social::DEFAULT_REVIEW_MONTHS,
                    last_reviewed_on: today.checked_sub_months(Months::new(months_ago)),
                },
                &origin,
            )
            .await?;
        // The 情報政策課's 管理者 reviews the channel his unit runs.
        if platform == "YouTube" {
            let manager = actor(store, "takahashi").await?;
            store
                .record_social_review(
                    &authorize::<ReviewSocialAccount>(&manager, &account.place())?,
                    account.id,
                    today,
                    "投稿動画と管理者権限の一覧を確認。二要素認証の設定を依頼。",
                    &Origin::of(&manager, "demo"),
                )
                .await?;
        }
        accounts += 1;
    }
    Ok((services.len() + placed, accounts))
}
