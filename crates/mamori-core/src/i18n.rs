//! The one message catalogue of mamori: Japanese first, English by choice. Every text that the
//! web pages, the API's error bodies, the spreadsheets, the command line and core's flags show
//! is a key here, each with both languages in one row, so a key cannot exist in one language
//! only. Keys named by a domain value (a role, a kind of asset, a lifecycle state, a dimension,
//! a handling rule) are reached through typed functions that match every value, and a test walks
//! every value; keys written in templates and code are checked by the web crate's tests.

use crate::asset::{AssetKind, Lifecycle};
use crate::classification::{Dimension, TakeOut};
use crate::policy::PolicyError;
use crate::role::Role;
use crate::text::{FieldError, FieldErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that we speak, by q-value.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("ja") => Lang::Ja,
                Some("en") => Lang::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The text of a message key. An unknown key is a bug that the tests keep out: it shows as
    /// the key itself, never as a placeholder.
    pub fn t(self, key: &str) -> &str {
        self.lookup(key).unwrap_or(key)
    }

    /// The text of a key that may have none (e.g. a reason code from the 無害化 engine).
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        MESSAGES
            .binary_search_by(|(k, _, _)| (*k).cmp(key))
            .ok()
            .map(|i| match self {
                Lang::Ja => MESSAGES[i].1,
                Lang::En => MESSAGES[i].2,
            })
    }

    /// The text of a key with its `{name}` placeholders filled in from `args`; both languages of a
    /// row name the same placeholders (a test holds it).
    pub fn fill(self, key: &str, args: &[(&str, String)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Whether the catalogue has this key.
    pub fn has(key: &str) -> bool {
        Lang::Ja.lookup(key).is_some()
    }

    /// A role's name (最高情報セキュリティ責任者 …).
    pub fn role(self, role: Role) -> &'static str {
        self.named("role", role.as_str())
    }

    /// A kind of information asset (情報システム …).
    pub fn kind(self, kind: AssetKind) -> &'static str {
        self.named("kind", kind.as_str())
    }

    /// A lifecycle state (導入予定, 運用中 …): the same word on the screen and in the spreadsheet.
    pub fn lifecycle(self, lifecycle: Lifecycle) -> &'static str {
        self.named("lifecycle", lifecycle.as_str())
    }

    /// A classification dimension (機密性, 完全性, 可用性).
    pub fn dimension(self, dimension: Dimension) -> &'static str {
        self.named("dimension", dimension.as_str())
    }

    /// Whether an asset of a level may be taken out (持ち出し).
    pub fn take_out(self, take_out: TakeOut) -> &'static str {
        self.lookup(match take_out {
            TakeOut::Forbidden => "rules.take_out_forbidden",
            TakeOut::WithApproval => "rules.take_out_approval",
            TakeOut::Allowed => "rules.take_out_allowed",
        })
        .unwrap_or_default()
    }

    /// The text of `{area}.{code}`, for the typed functions above; their test walks every value.
    fn named(self, area: &str, code: &str) -> &'static str {
        let key = format!("{area}.{code}");
        self.lookup(&key).unwrap_or_default()
    }

    /// The message key of a refused change's code (`conflict.{code}`), when it has its own text.
    pub fn conflict_key(code: &str) -> Option<&'static str> {
        let key = format!("conflict.{code}");
        MESSAGES
            .binary_search_by(|(k, _, _)| (*k).cmp(key.as_str()))
            .ok()
            .map(|i| MESSAGES[i].0)
    }

    /// A localised sentence for a refused field.
    pub fn field_error(self, error: &FieldError) -> String {
        let key = format!("field.{}", error.field);
        let field = self.lookup(&key).unwrap_or(error.field).to_owned();
        let (key, bound) = match error.kind {
            FieldErrorKind::Required => ("refusal.required", None),
            FieldErrorKind::TooLong { max } => ("refusal.too_long", Some(("max", max))),
            FieldErrorKind::TooShort { min } => ("refusal.too_short", Some(("min", min))),
            FieldErrorKind::ControlCharacter => ("refusal.control", None),
            FieldErrorKind::InvalidFormat => ("refusal.invalid", None),
            FieldErrorKind::UnknownValue => ("refusal.unknown", None),
            FieldErrorKind::NotAllowed => ("refusal.not_allowed", None),
        };
        let mut args = vec![("field", field)];
        args.extend(bound.map(|(name, n)| (name, n.to_string())));
        self.fill(key, &args)
    }

    /// A localised sentence for a policy text that cannot be read, naming its line.
    pub fn policy_error(self, error: &PolicyError) -> String {
        let sentence = self.t(error.key());
        let line = error.line();
        let limit = match error {
            PolicyError::LineTooLong { max, .. } => Some((*max, "文字", "characters")),
            PolicyError::TooManyLines { max, .. } => Some((*max, "行", "lines")),
            PolicyError::TooLarge { max, .. } => Some((*max, "バイト", "bytes")),
            PolicyError::ControlCharacter { .. }
            | PolicyError::Empty { .. }
            | PolicyError::Encoding { .. }
            | PolicyError::NoSection { .. } => None,
        };
        match (self, limit) {
            (Lang::Ja, None) => format!("{line}行目：{sentence}"),
            (Lang::Ja, Some((max, unit, _))) => {
                format!("{line}行目：{sentence}（{max}{unit}まで）")
            }
            (Lang::En, None) => format!("Line {line}: {sentence}"),
            (Lang::En, Some((max, _, unit))) => {
                format!("Line {line}: {sentence} (at most {max} {unit})")
            }
        }
    }
}

/// (key, 日本語, English), sorted by key.
static MESSAGES: &[(&str, &str, &str)] = &[
    ("account.directory", "ディレクトリ認証", "Directory login"),
    ("account.language", "表示言語", "Language"),
    (
        "account.password_changed",
        "パスワードを変更しました。",
        "Your password was changed.",
    ),
    ("account.title", "アカウント", "Account"),
    ("accounts.create", "アカウントを作成", "Create account"),
    ("accounts.title", "アカウント管理", "Accounts"),
    ("action.add", "追加", "Add"),
    ("action.assign", "付与", "Assign"),
    ("action.cancel", "取消", "Cancel"),
    ("action.create", "作成", "Create"),
    ("action.delete", "削除", "Delete"),
    ("action.disable", "無効化", "Disable"),
    ("action.enable", "有効化", "Enable"),
    ("action.filter", "絞り込み", "Filter"),
    ("action.login", "ログイン", "Log in"),
    ("action.logout", "ログアウト", "Log out"),
    ("action.next", "次へ", "Next"),
    ("action.previous", "前へ", "Previous"),
    ("action.revoke", "取り消す", "Revoke"),
    ("action.save", "保存", "Save"),
    ("action.verify", "確認", "Verify"),
    (
        "agreement.assets",
        "対象の情報システム・情報資産",
        "Systems and assets",
    ),
    ("agreement.carried", "契約に含む", "Carried"),
    ("agreement.checked_by", "確認者", "Checked by"),
    ("agreement.checked_on", "確認日", "Checked on"),
    (
        "agreement.classes",
        "取り扱う情報の分類（機密性）",
        "Classes of information (confidentiality)",
    ),
    ("agreement.contractor", "委託事業者", "Contractor"),
    ("agreement.edit", "内容の変更", "Change"),
    ("agreement.ends_on", "終了日", "End"),
    ("agreement.evidence", "証跡", "Evidence"),
    ("agreement.facility", "施設", "Facility"),
    ("agreement.flag.ended", "期間満了", "Ended"),
    ("agreement.flag.ending_soon", "期間満了間近", "Ending soon"),
    (
        "agreement.flag.ending_soon_help",
        "期間の終了まで{days}日を切っています。更新または終了の準備をしてください。",
        "Ends within {days} days: prepare its renewal or its end.",
    ),
    (
        "agreement.flag.missing",
        "必須要件なし",
        "Mandatory requirement missing",
    ),
    (
        "agreement.flag.missing_help",
        "必須のセキュリティ要件が含まれていません。",
        "A mandatory security requirement is not carried.",
    ),
    (
        "agreement.flag.unverified",
        "確認期限超過",
        "Verification overdue",
    ),
    (
        "agreement.flag.unverified_help",
        "{days}日以上確認されていない要件があります。",
        "A requirement has gone unchecked for more than {days} days.",
    ),
    (
        "agreement.flag_help",
        "各要件は開始日または前回の確認から{days}日以内に確認します。",
        "Each requirement is checked within {days} days of the start or of its last check.",
    ),
    ("agreement.flags", "注意", "Flags"),
    ("agreement.last_check", "前回の確認", "Last check"),
    ("agreement.managing_body", "指定管理者", "Managing body"),
    ("agreement.mandatory", "（必須）", "(mandatory)"),
    ("agreement.none", "登録されていません。", "None registered."),
    ("agreement.outcome", "結果", "Outcome"),
    ("agreement.people", "従事者", "People doing the work"),
    (
        "agreement.people_help",
        "委託事業者の役割を持つアカウントのうち、この契約に従事する人を選びます。契約期間中に限り、指定した情報資産と文書を閲覧できます。",
        "The contractor accounts who work under this contract: while it is in force they read the assets and documents it names, and nothing else.",
    ),
    ("agreement.period", "期間", "Period"),
    (
        "agreement.policies",
        "閲覧させる対策基準・実施手順",
        "対策基準 and 実施手順 they may read",
    ),
    ("agreement.requirement", "要件", "Requirement"),
    (
        "agreement.requirements",
        "セキュリティ要件",
        "Security requirements",
    ),
    ("agreement.starts_on", "開始日", "Start"),
    ("agreement.title", "契約件名", "Contract"),
    ("agreement.unit", "所管課", "Responsible unit"),
    ("agreement.verifications", "遵守状況の確認", "Verifications"),
    (
        "agreement.verifications_none",
        "まだ確認されていません。",
        "Not checked yet.",
    ),
    ("agreement.verify", "確認を記録", "Record the check"),
    ("agreement.work", "業務内容", "Work"),
    ("app.name", "守り mamori", "mamori"),
    (
        "app.tagline",
        "情報セキュリティポリシー運用",
        "Information security policy in operation",
    ),
    ("asset.cloud_services", "外部サービス", "Cloud services"),
    ("asset.disposal", "廃棄記録", "Disposal record"),
    ("asset.dispose", "廃棄を記録", "Record disposal"),
    ("asset.edit", "登録内容の変更", "Edit details"),
    (
        "asset.flags_heading",
        "この情報資産は分類・セグメントの規則に反しています。",
        "This asset breaks the rules of its class or segment.",
    ),
    ("asset.reclassify", "分類の変更", "Reclassify"),
    (
        "asset.restricted_notice",
        "この情報資産は閲覧が制限されています。閲覧は監査証跡に記録されます。",
        "Access to this asset is restricted. This read is recorded in the audit trail.",
    ),
    (
        "asset.rules",
        "適用される取扱制限",
        "Handling rules that apply",
    ),
    ("asset.title", "情報資産", "Information asset"),
    ("asset.updated", "最終更新", "Last updated"),
    (
        "assets.class",
        "分類（機密性/完全性/可用性）",
        "Class (C/I/A)",
    ),
    ("assets.create", "情報資産を登録", "Register an asset"),
    ("assets.export", "台帳を書き出す", "Export the register"),
    ("assets.export_csv", "CSV（UTF-8）", "CSV (UTF-8)"),
    ("assets.export_sjis", "CSV（Shift_JIS）", "CSV (Shift_JIS)"),
    ("assets.export_xlsx", "Excel（.xlsx）", "Excel (.xlsx)"),
    ("assets.flagged", "要確認", "Flagged"),
    ("assets.flagged_only", "要確認のみ", "Flagged only"),
    ("assets.flags", "指摘", "Flags"),
    ("assets.import", "台帳を取り込む", "Import a register"),
    (
        "assets.import_help",
        "管理番号のある行はその情報資産を更新し、空欄の行は新しく登録します。誤りが一つでもあれば何も変更しません。",
        "Rows with an ID update that asset; rows without one are registered. If any row is wrong, nothing is changed.",
    ),
    (
        "assets.imported",
        "台帳を取り込みました。",
        "The register was imported.",
    ),
    ("assets.imported_created", "新規登録", "Registered"),
    ("assets.imported_updated", "更新", "Updated"),
    (
        "assets.none",
        "該当する情報資産はありません。",
        "No assets match.",
    ),
    ("assets.restricted", "詳細非公開", "details restricted"),
    (
        "assets.search",
        "名称・設置場所・ホスト・アドレスで検索",
        "Search name, location, host or address",
    ),
    ("assets.title", "情報資産台帳", "Asset register"),
    ("assets.total", "件数", "Assets"),
    ("assets.total_more", "以上", "or more"),
    ("audit.action", "操作", "Action"),
    ("audit.actor", "実行者", "Actor"),
    ("audit.address", "接続元", "Address"),
    ("audit.at", "日時", "Time"),
    (
        "audit.dependence.belongs_to_unit",
        "監査対象の課室に所属している",
        "Belongs to a unit in scope",
    ),
    (
        "audit.dependence.manages_unit",
        "監査対象の課室の情報セキュリティ管理者である",
        "Manages a unit in scope",
    ),
    (
        "audit.dependence.oversees_organisation",
        "監査対象の課室の情報セキュリティ責任者である",
        "Oversees a unit in scope",
    ),
    ("audit.detail", "詳細", "Detail"),
    ("audit.from", "開始日", "From"),
    ("audit.older", "さらに古い記録", "Older records"),
    ("audit.seq", "番号", "No."),
    ("audit.target", "対象", "Target"),
    ("audit.title", "監査証跡", "Audit trail"),
    ("audit.to", "終了日", "To"),
    ("audit_plan.all_chapters", "すべての章", "Every chapter"),
    ("audit_plan.chapters", "対象の章", "Chapters in scope"),
    (
        "audit_plan.chapters_help",
        "選ばなければすべての章が対象になります。",
        "None ticked covers every chapter.",
    ),
    ("audit_plan.create", "監査を計画する", "Plan an audit"),
    ("audit_plan.criteria", "監査基準", "Audit criteria"),
    ("audit_plan.draft", "報告書案(未発行)", "Draft (not issued)"),
    (
        "audit_plan.export",
        "指摘事項と是正処置(Excel)",
        "Findings and actions (Excel)",
    ),
    (
        "audit_plan.independence",
        "監査人は、監査対象の課室に所属する者、その情報セキュリティ管理者、その機関の情報セキュリティ責任者であってはなりません(独立性)。",
        "No auditor may belong to, manage or oversee a unit in scope (independence).",
    ),
    (
        "audit_plan.issue",
        "監査報告書を発行する",
        "Issue the audit report",
    ),
    ("audit_plan.lead", "監査責任者", "Lead auditor"),
    ("audit_plan.member", "監査人", "Auditor"),
    ("audit_plan.name", "監査名", "Audit"),
    (
        "audit_plan.none",
        "情報セキュリティ監査はまだありません。",
        "No information security audits yet.",
    ),
    ("audit_plan.note", "監査調書", "Working note"),
    ("audit_plan.notes", "監査調書", "Working notes"),
    (
        "audit_plan.notes_none",
        "監査調書はまだありません。",
        "No working notes yet.",
    ),
    (
        "audit_plan.one",
        "情報セキュリティ監査",
        "Information security audit",
    ),
    ("audit_plan.outline", "監査の概要", "Outline of the audit"),
    ("audit_plan.period", "監査期間", "Period"),
    ("audit_plan.period_from", "監査期間(開始)", "Period from"),
    ("audit_plan.period_to", "監査期間(終了)", "Period to"),
    ("audit_plan.remove", "外す", "Remove"),
    (
        "audit_plan.report",
        "情報セキュリティ監査報告書",
        "Information security audit report",
    ),
    ("audit_plan.scope", "監査対象の課室", "Units in scope"),
    ("audit_plan.state", "状態", "State"),
    ("audit_plan.state.fieldwork", "実施中", "Fieldwork"),
    ("audit_plan.state.planned", "計画", "Planned"),
    ("audit_plan.state.reported", "報告済み", "Reported"),
    ("audit_plan.summary", "総合所見", "Overall opinion"),
    ("audit_plan.team", "監査チーム", "Audit team"),
    (
        "audit_plan.team_none",
        "監査人はまだいません。",
        "No auditors yet.",
    ),
    (
        "audit_plan.title",
        "情報セキュリティ監査",
        "Information security audits",
    ),
    (
        "chapter.assets",
        "2 情報資産の分類と管理",
        "2 Classification and management of information assets",
    ),
    ("chapter.human", "5 人的セキュリティ", "5 Human security"),
    ("chapter.none", "章なし", "No chapter"),
    ("chapter.operations", "7 運用", "7 Operations"),
    ("chapter.organisation", "1 組織体制", "1 Organisation"),
    (
        "chapter.outsourcing",
        "8 業務委託と外部サービスの利用",
        "8 Outsourcing and external services",
    ),
    (
        "chapter.physical",
        "4 物理的セキュリティ",
        "4 Physical security",
    ),
    (
        "chapter.resilience",
        "3 情報システム全体の強靭性の向上",
        "3 Resilience of the information systems",
    ),
    (
        "chapter.review",
        "9 評価・見直し",
        "9 Evaluation and review",
    ),
    (
        "chapter.technical",
        "6 技術的セキュリティ",
        "6 Technical security",
    ),
    ("classification.definition", "分類基準", "Definition"),
    ("classification.edit", "編集", "Edit"),
    (
        "classification.level_help",
        "段階のコードと順位は変えられません。配置できるセグメントを変えると、この段階の情報資産の指摘をすぐに計算し直します。変更は監査証跡に記録されます。",
        "The level's code and rank cannot change. Changing its allowed segments recomputes the flags of its assets at once. The change is recorded in the audit trail.",
    ),
    (
        "classification.level_title",
        "取扱制限の編集",
        "Edit handling rules",
    ),
    (
        "classification.segments_help",
        "一つも選ばなければ、どのセグメントにも配置できます。",
        "Tick none to allow every segment.",
    ),
    (
        "classification.split",
        "機密性3を3A/3B/3Cに細分化する",
        "Split 機密性3 into 3A/3B/3C",
    ),
    (
        "classification.split_help",
        "細分化すると、今の機密性3の情報資産はすべて選んだ段階に移り、「分割後の再確認が必要」として指摘されます。分類を見直すと指摘は消えます。",
        "Splitting moves every 機密性3 asset to the level chosen and flags it for review; reclassifying it clears the flag.",
    ),
    (
        "classification.split_off",
        "機密性3は細分化されていません。",
        "機密性3 is not split.",
    ),
    (
        "classification.split_on",
        "機密性3は3A/3B/3Cに細分化されています。",
        "機密性3 is split into 3A/3B/3C.",
    ),
    (
        "classification.title",
        "情報資産の分類と取扱制限",
        "Classification and handling rules",
    ),
    (
        "classification.unsplit",
        "細分化を解除する",
        "Stop splitting",
    ),
    (
        "classification.unsplit_help",
        "細分化をやめると、3A/3B/3Cの情報資産はすべて機密性3に戻ります。",
        "Undoing the split moves every 3A/3B/3C asset back to 機密性3.",
    ),
    (
        "cli.audit.broken",
        "監査証跡の改ざんを検出しました",
        "audit trail broken",
    ),
    (
        "cli.audit.intact",
        "監査証跡は完全です: {n} 件",
        "audit trail intact: {n} records",
    ),
    (
        "cli.audit.rewound",
        "監査証跡の巻き戻しを検出しました",
        "audit trail rewound",
    ),
    (
        "cli.audit.verified_before",
        "その前の {n} 件は検証できました",
        "{n} records verified before it",
    ),
    (
        "cli.audit.verified_in_database",
        "データベースの {n} 件は検証できました",
        "{n} records verified in the database",
    ),
    (
        "cli.audit_key.invalid",
        "{path} は監査鍵として正しくありません",
        "{path} is not a valid audit key",
    ),
    (
        "cli.audit_key.missing",
        "{path} がありません。監査鍵は最初の `mamori serve` で作られます",
        "{path} not found: the audit key is created by the first `mamori serve`",
    ),
    (
        "cli.backup.other_key",
        "{path} は既にあり、別の監査鍵が入っています。別の --to を指定してください",
        "{path} already exists and holds another audit key; choose another --to",
    ),
    (
        "cli.backup.written",
        "バックアップを {path} に書き出しました（監査鍵: {key}、監査アンカー: {anchor}）",
        "backup written to {path} (audit key: {key}, audit anchor: {anchor})",
    ),
    (
        "cli.config.direction",
        "direction は inbound か outbound で指定してください（{value} ではなく）",
        "direction must be inbound or outbound, not {value}",
    ),
    (
        "cli.config.domains_required",
        "accept_domains は必須です: ドメインのリストを指定してください",
        "accept_domains is required: a list of domains",
    ),
    (
        "cli.config.domains_text",
        "accept_domains の要素は文字列で指定してください",
        "accept_domains must hold strings",
    ),
    (
        "cli.config.invalid",
        "ゲートウェイ設定 {path} が不正です",
        "the gateway configuration {path} is invalid",
    ),
    (
        "cli.config.listen",
        "listen は ADDRESS:PORT で指定してください（{value} ではなく）",
        "listen must be ADDRESS:PORT, not {value}",
    ),
    (
        "cli.config.negative",
        "{key} に負の数は使えません",
        "{key} must not be negative",
    ),
    (
        "cli.config.not_flag",
        "{key} は true か false で指定してください",
        "{key} must be true or false",
    ),
    (
        "cli.config.not_number",
        "{key} は数で指定してください",
        "{key} must be a number",
    ),
    (
        "cli.config.not_text",
        "{key} は文字列で指定してください",
        "{key} must be a string",
    ),
    (
        "cli.config.policy_invalid",
        "[sanitize] は無害化ポリシーとして正しくありません",
        "[sanitize] is not a valid sanitize policy",
    ),
    (
        "cli.config.reading",
        "ゲートウェイ設定 {path} の読み込み",
        "reading the gateway configuration {path}",
    ),
    (
        "cli.config.required",
        "{key} は必須です",
        "{key} is required",
    ),
    (
        "cli.config.too_large",
        "{key} が大きすぎます",
        "{key} is too large",
    ),
    (
        "cli.config.unknown_key",
        "{key} という設定項目はありません。使える項目: {keys}",
        "unknown key {key}; known keys: {keys}",
    ),
    (
        "cli.controls.builtin_failed",
        "組み込みの対策項目集を登録できません：{code}",
        "installing the built-in catalogue failed: {code}",
    ),
    (
        "cli.controls.imported",
        "{name}（{urn}）：対策項目 {measures} 件、ID {id}",
        "{name} ({urn}): {measures} measures, id {id}",
    ),
    (
        "cli.controls.replaced",
        "{name}（{urn}）：対策項目 {measures} 件、ID {id}（置き換え）",
        "{name} ({urn}): {measures} measures, id {id}, replaced",
    ),
    (
        "cli.data.missing",
        "データフォルダー {path} がありません",
        "data folder {path} not found",
    ),
    (
        "cli.database.opening",
        "データベースを開く",
        "opening the database",
    ),
    (
        "cli.demo.account_missing",
        "デモデータにはアカウント {user} が必要です",
        "the demo data needs the account {user}",
    ),
    (
        "cli.demo.action",
        "手順書を整備し、課内で周知する。",
        "Write the procedure and make it known in the unit.",
    ),
    (
        "cli.demo.action_done",
        "手順書を作成し、課内会議で周知した。",
        "The procedure was written and presented at the unit's meeting.",
    ),
    (
        "cli.demo.action_verified",
        "手順書と周知の記録を確認した。",
        "The procedure and the record of its presentation were checked.",
    ),
    (
        "cli.demo.audit_criteria",
        "情報セキュリティ対策基準、総務省「地方公共団体における情報セキュリティ監査に関するガイドライン」",
        "The security standard and MIC's guideline for information security audits of local governments",
    ),
    (
        "cli.demo.audit_finding",
        "サーバ室の入退室記録に、退室時刻の記入漏れが複数ある。",
        "Several entries of the server room's log lack the time of leaving.",
    ),
    (
        "cli.demo.audit_note",
        "サーバ室の入退室記録と、LGWAN接続系端末の持出し記録を確認した。",
        "Checked the server room's entry log and the take-out log of the LGWAN-connected terminals.",
    ),
    (
        "cli.demo.audit_title",
        "{year}年度 情報セキュリティ監査",
        "Information security audit {year}",
    ),
    (
        "cli.demo.candidate_dismissed",
        "取引先の正規の見積書。送信元に電話で確認した。",
        "A genuine quotation from a partner, confirmed with the sender by phone.",
    ),
    (
        "cli.demo.catalogue_missing",
        "組み込みの対策項目集がありません",
        "the built-in catalogue is missing",
    ),
    (
        "cli.demo.evidence",
        "点検記録簿に記録済み",
        "recorded in the inspection log",
    ),
    (
        "cli.demo.exception_approved",
        "期限までに改修を終えること。",
        "The rework is to be finished by the end date.",
    ),
    (
        "cli.demo.exception_compensating",
        "当該端末をインターネット接続系から切り離し、利用者を限定する。",
        "The terminal is cut off from the Internet-connected segment and its users are limited.",
    ),
    (
        "cli.demo.exception_emergency",
        "障害対応のため、保守事業者に一時的に管理者権限を付与した。",
        "An administrator right was given to the maintenance contractor for a failure.",
    ),
    (
        "cli.demo.exception_reason",
        "業務システムの改修が完了するまで、旧バージョンのブラウザを使う必要がある。",
        "The business system needs the old browser until its rework is finished.",
    ),
    (
        "cli.demo.incident_mail",
        "児童手当の受給者一覧を添付したメールを、宛先を誤って外部の事業者に送信した。",
        "A mail with the list of child allowance recipients attached was sent to an outside company by mistake.",
    ),
    (
        "cli.demo.incident_mail_contained",
        "送信先に削除を依頼し、削除したとの回答を得た。",
        "The recipient was asked to delete it and answered that it did.",
    ),
    (
        "cli.demo.incident_mail_title",
        "住民情報を含むメールの誤送信",
        "A mail with residents' data sent to the wrong address",
    ),
    (
        "cli.demo.incident_malware",
        "インターネット接続系の端末で、不審なメールの添付ファイルを開いた。",
        "A suspicious attachment was opened on a terminal of the Internet-connected segment.",
    ),
    (
        "cli.demo.incident_malware_contained",
        "当該端末をネットワークから切り離した。",
        "The terminal was cut off from the network.",
    ),
    (
        "cli.demo.incident_malware_title",
        "標的型メールの添付ファイルの実行",
        "An attachment of a targeted mail opened",
    ),
    (
        "cli.demo.incident_usb",
        "会議資料を保存したUSBメモリを庁外で紛失した。資料は公開済みのものだけだった。",
        "A USB memory with meeting papers was lost outside the office. The papers were already public.",
    ),
    (
        "cli.demo.incident_usb_lessons",
        "持出しは暗号化USBメモリに限り、持出し簿に記録する。",
        "Only encrypted USB memories leave the office, and each is entered in the take-out log.",
    ),
    (
        "cli.demo.incident_usb_title",
        "USBメモリの紛失",
        "A USB memory lost",
    ),
    (
        "cli.demo.inspection_gap",
        "手順書が未整備のため、来年度までに整備する。",
        "The procedure is not yet written; it will be by next year.",
    ),
    (
        "cli.demo.inspection_title",
        "{year}年度 情報セキュリティ自己点検",
        "Information security self-inspection {year}",
    ),
    (
        "cli.demo.no_administrator",
        "デモデータには有効な初期管理者 admin が必要です",
        "the demo data needs the first administrator, admin, enabled",
    ),
    (
        "cli.demo.not_applicable",
        "当課には該当する資産・業務がない",
        "this unit has no asset or work it concerns",
    ),
    (
        "cli.demo.policy",
        "デモのポリシー文書を作成できません",
        "the demo's policy documents cannot be made",
    ),
    (
        "cli.demo.review_decisions",
        "記録媒体の持出し手順を対策基準に加える。",
        "Add the take-out procedure for media to the standards.",
    ),
    (
        "cli.demo.review_title",
        "情報セキュリティ対策の見直し（上半期）",
        "Review of the security measures (first half)",
    ),
    (
        "cli.demo.risk_accepted",
        "後継システムへの移行（来年度）まで、監視を強化して受容する",
        "borne with closer monitoring until the successor system replaces it next year",
    ),
    (
        "cli.demo.signed_off",
        "回答内容を確認した。",
        "The answers were checked.",
    ),
    (
        "cli.demo.task_apology",
        "誤送信の対象となった受給者へのおわびと説明",
        "Apologise to and inform the recipients whose data was sent",
    ),
    (
        "cli.demo.task_rules",
        "外部宛てメールの送信前確認の手順を見直す",
        "Review the check before mail goes to outside addresses",
    ),
    (
        "cli.demo.third_parties",
        "デモの委託事業者・指定管理者を作れませんでした",
        "could not make the demonstration's contractors and designated managers",
    ),
    (
        "cli.demo.training_all",
        "情報セキュリティポリシーの要点、標的型メールへの対応、情報資産の取扱いを学ぶ全職員向けの研修。",
        "For everyone on the staff: the points of the security policy, targeted mail, and handling information assets.",
    ),
    (
        "cli.demo.training_all_title",
        "{year}年度 情報セキュリティ研修",
        "Information security training {year}",
    ),
    (
        "cli.demo.training_managers",
        "課室の自己点検、インシデント発生時の報告、例外措置の申請を扱う管理者向けの研修。",
        "For the units' managers: self-inspection, reporting incidents and asking for exceptions.",
    ),
    (
        "cli.demo.training_managers_title",
        "{year}年度 情報セキュリティ管理者研修",
        "Training for information security managers {year}",
    ),
    (
        "cli.demo.verification_note",
        "契約書の条項と提出書類（誓約書・従事者名簿・報告書）を確認した。",
        "Checked the contract's clauses and the documents handed in (undertakings, list of staff, reports).",
    ),
    (
        "cli.directory.groups",
        "group は [[group]] の表で指定してください",
        "group must be given as [[group]] tables",
    ),
    (
        "cli.directory.invalid",
        "ディレクトリ設定 {path} が不正です",
        "the directory configuration {path} is invalid",
    ),
    (
        "cli.directory.list",
        "{key} は文字列のリストで指定してください",
        "{key} must be a list of strings",
    ),
    (
        "cli.directory.lookup",
        "user_dn（直接バインド）か bind_dn（検索してからバインド）のどちらか一方を指定してください",
        "give either user_dn (bind directly) or bind_dn (search, then bind), not both and not neither",
    ),
    (
        "cli.directory.password_file",
        "サービスアカウントのパスワードを {path} から読めません",
        "cannot read the service account's password from {path}",
    ),
    (
        "cli.directory.reading",
        "ディレクトリ設定 {path} の読み込み",
        "reading the directory configuration {path}",
    ),
    (
        "cli.directory.role",
        "{key} は次のいずれかで指定してください: {roles}（{value} ではなく）",
        "{key} must be one of {roles}, not {value}",
    ),
    (
        "cli.directory.scope",
        "{key}: 役割 {role} の範囲は {scope} で指定してください",
        "{key}: role {role} takes its scope as {scope}",
    ),
    (
        "cli.directory.scope_global",
        "指定なし（全体）",
        "nothing (global)",
    ),
    (
        "cli.directory.scope_missing",
        "{key}: ID {id} の機関・課室は登録されていません",
        "{key}: no organisation or unit has the id {id}",
    ),
    (
        "cli.directory.search_only",
        "{key} は bind_dn（検索してからバインド）と一緒に指定してください。user_dn では使われません",
        "{key} goes with bind_dn (search, then bind); user_dn does not use it",
    ),
    (
        "cli.directory.setting",
        "設定項目 {field} が不正です",
        "the setting {field} is wrong",
    ),
    ("cli.error", "エラー", "error"),
    ("cli.file.copying", "{path} の複製", "copying {path}"),
    ("cli.file.creating", "{path} の作成", "creating {path}"),
    (
        "cli.file.creating_new",
        "{path} の作成（まだ存在しないファイルに限ります）",
        "creating {path} (it must not exist yet)",
    ),
    (
        "cli.file.exists",
        "{path} は既にあります",
        "{path} already exists",
    ),
    ("cli.file.opening", "{path} を開く", "opening {path}"),
    ("cli.file.reading", "{path} の読み込み", "reading {path}"),
    (
        "cli.file.unwritable",
        "{path} に書き込めません",
        "cannot write {path}",
    ),
    ("cli.file.writing", "{path} への書き込み", "writing {path}"),
    (
        "cli.gateway.listen_required",
        "--listen と --next-hop は必須です",
        "--listen and --next-hop are required",
    ),
    (
        "cli.gateway.listening",
        "mamori gateway: {addr} で待ち受けています",
        "mamori gateway listening on {addr}",
    ),
    (
        "cli.gateway.metrics",
        "mamori gateway: メトリクスは http://{addr}/metrics です",
        "mamori gateway metrics on http://{addr}/metrics",
    ),
    (
        "cli.gateway.spool_unreadable",
        "{path} のスプールの読み込み",
        "reading the spool under {path}",
    ),
    (
        "cli.monitor.config",
        "監視の設定ファイル {path} が正しくありません",
        "the monitor configuration {path} is not valid",
    ),
    (
        "cli.monitor.format",
        "ログの形式「{format}」は使えません（auto, suricata, zeek, netfilter, fortigate, paloalto, squid）",
        "unknown log format \"{format}\" (auto, suricata, zeek, netfilter, fortigate, paloalto, squid)",
    ),
    (
        "cli.monitor.reading",
        "ログを最後まで読めませんでした: {error}",
        "the logs could not all be read: {error}",
    ),
    (
        "cli.monitor.storing",
        "警告をデータベースに記録できませんでした",
        "the alerts could not be recorded in the database",
    ),
    (
        "cli.no_user",
        "アカウント {user} はありません",
        "no user {user}",
    ),
    (
        "cli.notice.base_url",
        "base_url {url} は http:// か https:// で始まる URL にしてください",
        "base_url {url} must be a URL starting with http:// or https://",
    ),
    (
        "cli.notice.digest_at",
        "digest_at {value} は HH:MM（日本時間）で書いてください",
        "digest_at {value} must be HH:MM (Japan time)",
    ),
    (
        "cli.notice.from",
        "from のアドレス {from} は使えません（ローカル部@ドメイン の形の ASCII で、空白や記号 <>\"(),;: を含まないもの）",
        "the from address {from} is not usable (ASCII local-part@domain without spaces or <>\"(),;:)",
    ),
    (
        "cli.notice.invalid",
        "お知らせメールの設定ファイル {path} に誤りがあります",
        "the notice configuration {path} is invalid",
    ),
    (
        "cli.notice.reading",
        "お知らせメールの設定ファイル {path} を読めません",
        "cannot read the notice configuration {path}",
    ),
    (
        "cli.notice.tls",
        "tls の値に誤りがあります: {detail}",
        "invalid tls: {detail}",
    ),
    (
        "cli.org.choose",
        "--org で機関を指定してください（{codes}）",
        "name the organisation with --org ({codes})",
    ),
    (
        "cli.org.none",
        "機関がまだありません。先に作成してください",
        "there is no organisation yet: create one first",
    ),
    (
        "cli.org.unknown",
        "コード {code} の機関はありません",
        "no organisation has the code {code}",
    ),
    ("cli.password", "パスワード", "password"),
    (
        "cli.password.change_at_first_login",
        "最初のログインでこのパスワードの変更を求めます。この表示は一度だけです",
        "it must be changed at the first login; it is shown this once only",
    ),
    (
        "cli.password.refused",
        "パスワードは使えません: {reason}",
        "password refused: {reason}",
    ),
    (
        "cli.permissions.open",
        "他の利用者が読める状態です: {list}。フォルダーをモード 700、ファイルをモード 600 にしてください（chmod go= …）",
        "others may read {list}: give the folder mode 700 and its files mode 600 (chmod go= …)",
    ),
    (
        "cli.policy.imported",
        "{org} / {title}：文書 {policy} 第{version}版（節 {sections}、条項 {clauses}、附則 {supplementary}）",
        "{org} / {title}: policy {policy} version {version} ({sections} sections, {clauses} clauses, {supplementary} supplementary provisions)",
    ),
    (
        "cli.quarantine.invalid_id",
        "隔離IDが正しくありません",
        "invalid quarantine id",
    ),
    (
        "cli.quarantine.invalid_time",
        "（不正な時刻 {ms}）",
        "(invalid time {ms})",
    ),
    (
        "cli.quarantine.kept_pending",
        "原本の提供申請が処理中のため {n} 件を残しました",
        "{n} kept: a release request is pending",
    ),
    (
        "cli.quarantine.left_in_place",
        "警告: 削除せずに残しました",
        "warning: left in place",
    ),
    (
        "cli.quarantine.next_page",
        "続きがあります: --before {before}",
        "more entries follow: --before {before}",
    ),
    (
        "cli.quarantine.not_found",
        "隔離ID {id} はありません",
        "quarantine id {id} not found",
    ),
    (
        "cli.quarantine.original_written",
        "{id} の原本を {path} に書き出しました（{bytes} バイト）",
        "original of {id} written to {path} ({bytes} bytes)",
    ),
    (
        "cli.quarantine.reindexed",
        "索引を作り直しました: {n} 件（読めないもの {unreadable} 件）",
        "index rebuilt: {n} entries ({unreadable} unreadable)",
    ),
    (
        "cli.quarantine.removed",
        "{id} を削除しました（受信 {received}、保存期限 {expires}）",
        "removed {id} (received {received}, expires {expires})",
    ),
    (
        "cli.quarantine.removed_count",
        "{n} 件を削除しました",
        "{n} removed",
    ),
    (
        "cli.quarantine.removed_expired",
        "{id} を削除しました（受信 {received}、保存期限 {expired} 切れ）",
        "removed {id} (received {received}, expired {expired})",
    ),
    (
        "cli.refused",
        "{flag} が正しくありません: {reason}",
        "invalid {flag}: {reason}",
    ),
    (
        "cli.release.account_disabled",
        "{flag}: アカウント {user} は無効です",
        "{flag}: account {user} is disabled",
    ),
    (
        "cli.release.already_open",
        "{address} には {id} の未決の申請が既にあります。画面で決定してください",
        "{address} already has an open request for {id}: decide it in the web pages",
    ),
    (
        "cli.release.attempted",
        "{n} 件の原本提供を試みました",
        "{n} release(s) attempted",
    ),
    (
        "cli.release.delivered",
        "{address} に配送しました: {result}",
        "delivered to {address}: {result}",
    ),
    (
        "cli.release.ended",
        "原本提供 {state}: {result}",
        "release {state}: {result}",
    ),
    (
        "cli.release.no_account",
        "{flag}: アカウント {user} はありません",
        "{flag}: no account {user}",
    ),
    (
        "cli.release.no_recipient",
        "アドレス {address} を持つアカウントがありません。受信者には、このアドレスを持つ職員のアカウントが必要です",
        "no account has the address {address}: the recipient needs an account whose person has it",
    ),
    (
        "cli.release.not_accepted",
        "--approver: 承認者の資格情報を受け付けませんでした",
        "--approver: the approver's credentials were not accepted",
    ),
    (
        "cli.release.not_approver",
        "{approver} は {requester} の原本提供を承認できません。承認できるのは、所属する課室の情報セキュリティ管理者、機関の情報セキュリティ責任者、統括情報セキュリティ責任者または最高情報セキュリティ責任者（CISO）です",
        "{approver} may not approve releases for {requester}: only their unit's 情報セキュリティ管理者, the 情報セキュリティ責任者 of their organisation, the 統括情報セキュリティ責任者 or the CISO",
    ),
    (
        "cli.release.not_asker",
        "{address} は {id} の原本を申請できるアドレス（{askers}）ではありません",
        "{address} is not among the addresses of {id} that may ask for it ({askers})",
    ),
    (
        "cli.release.not_their_address",
        "--recipient {address} は {user} のアドレスではありません",
        "--recipient {address} is not the address of {user}",
    ),
    (
        "cli.release.not_yet",
        "まだ配送できていません（{result}）。ゲートウェイ付きの `mamori serve` か `mamori quarantine deliver` が再試行します",
        "not delivered yet ({result}); `mamori serve` with the gateway, or `mamori quarantine deliver`, tries again",
    ),
    (
        "cli.release.password_change_first",
        "--approver: {user} は初期パスワードの変更が必要です。画面でパスワードを変更してから承認してください",
        "--approver: {user} must change the initial password first; change it on the web page, then approve",
    ),
    (
        "cli.release.proof_required",
        "承認者の本人確認が必要です: APIトークンを --approver-token-stdin で、またはパスワードを --approver-password-stdin で渡してください",
        "the approver must prove who they are: give their API token with --approver-token-stdin or their password with --approver-password-stdin",
    ),
    (
        "cli.release.read_only_token",
        "--approver: 読み取り専用のAPIトークンでは承認できません",
        "--approver: a read-only API token cannot approve",
    ),
    (
        "cli.release.recipient_disabled",
        "受信者のアカウントは無効です",
        "the recipient's account is disabled",
    ),
    (
        "cli.release.recorded",
        "{id} の原本提供の申請 {request} を記録しました（申請 {requester}、承認 {approver}）",
        "release request {request} for {id} recorded: requested by {requester}, approved by {approver}",
    ),
    (
        "cli.release.second_factor",
        "--approver: {user} は二要素認証を使っています。APIトークンを --approver-token-stdin で渡してください",
        "--approver: {user} signs in with a second factor; give an API token with --approver-token-stdin",
    ),
    (
        "cli.release.self_approval",
        "申請者は自分の申請を承認できません（職務の分離）",
        "the approver may not be the requester (segregation of duties)",
    ),
    (
        "cli.release.several",
        "アドレス {address} を持つアカウントが複数あります。--requester で一つを指定してください",
        "several accounts have the address {address}; name one with --requester",
    ),
    (
        "cli.release.vanished",
        "原本提供の申請 {id} が見つかりません",
        "release request {id} vanished",
    ),
    (
        "cli.role.unknown",
        "--role {raw} というロールはありません。次のいずれかです: {roles}",
        "unknown --role {raw}; one of: {roles}",
    ),
    (
        "cli.sanitize.config_invalid",
        "設定ファイル {path} が不正です",
        "invalid config {path}",
    ),
    (
        "cli.sanitize.config_unreadable",
        "設定ファイル {path} を読めません",
        "cannot read config {path}",
    ),
    (
        "cli.sanitize.id_unsafe",
        "隔離IDがファイル名に使えません",
        "quarantine id is not a safe file name",
    ),
    (
        "cli.sanitize.input_unreadable",
        "入力 {path} を読めません",
        "cannot read input {path}",
    ),
    (
        "cli.sanitize.output_not_file",
        "出力先がファイルではありません",
        "output is not a file path",
    ),
    (
        "cli.sanitize.policy_invalid",
        "無害化ポリシーが不正です: {path}",
        "invalid sanitize policy {path}",
    ),
    (
        "cli.sanitize.prefix_invalid",
        "quarantine_id_prefix に使えるのは ASCII の英字・数字と「.」「_」「-」だけです",
        "quarantine_id_prefix may only contain ASCII letters, digits, '.', '_' and '-'",
    ),
    (
        "cli.sanitize.quarantine_uncreatable",
        "隔離ディレクトリ {path} を作れません",
        "cannot create {path}",
    ),
    (
        "cli.sanitize.quarantined",
        "全体を隔離しました: {id}",
        "quarantined whole: {id}",
    ),
    (
        "cli.sanitize.stdin_unreadable",
        "標準入力を読めません",
        "cannot read standard input",
    ),
    (
        "cli.sanitize.stdout_unwritable",
        "標準出力に書けません",
        "cannot write standard output",
    ),
    (
        "cli.scope.invalid",
        "--scope {raw} は使えません。global、organisation:ID、unit:ID、system:NAME のいずれかです",
        "invalid --scope {raw}: use global, organisation:ID, unit:ID or system:NAME",
    ),
    (
        "cli.scope.missing",
        "{kind} {id} はありません（--scope）",
        "{kind} {id} does not exist (--scope)",
    ),
    (
        "cli.scope.needs",
        "ロール {role} には {needed} が必要です（{raw} ではなく）",
        "role {role} needs {needed}, not {raw}",
    ),
    (
        "cli.scope.needs_unit",
        "ロール {role} には {needed}（または --unit ID）が必要です（{raw} ではなく）",
        "role {role} needs {needed} (or --unit ID), not {raw}",
    ),
    (
        "cli.serve.address",
        "mamori: http://{addr}/ ({backend})",
        "mamori: http://{addr}/ ({backend})",
    ),
    (
        "cli.serve.admin_created",
        "初期管理者を作成しました",
        "initial administrator created",
    ),
    (
        "cli.serve.demo_created",
        "デモデータを作成しました（{people} 人）",
        "demo data created: {people} people",
    ),
    (
        "cli.serve.demo_not_empty",
        "デモデータは空のデータフォルダーにのみ作成します",
        "demo data only fills an empty data folder",
    ),
    (
        "cli.serve.demo_password",
        "デモ利用者のパスワード",
        "demo users' password",
    ),
    (
        "cli.serve.directory",
        "ディレクトリ認証: {url}",
        "directory login: {url}",
    ),
    (
        "cli.serve.gateway_address",
        "mamori gateway: smtp://{addr}",
        "mamori gateway: smtp://{addr}",
    ),
    (
        "cli.serve.insecure_cookies",
        "警告: {listen} では Cookie に Secure を付けません。前に TLS がなければ、セッションの Cookie はネットワーク上で読まれます",
        "warning: cookies are not marked Secure on {listen}; session cookies can be read on the network unless TLS is in front",
    ),
    (
        "cli.serve.listen",
        "{addr} での待ち受け",
        "listening on {addr}",
    ),
    (
        "cli.serve.monitor",
        "不正通信の監視: {path}",
        "monitor: {path}",
    ),
    (
        "cli.serve.notices",
        "お知らせメール: 中継サーバー {relay}",
        "notice mail: relay {relay}",
    ),
    (
        "cli.token.created",
        "APIトークン {id}「{name}」を {user} に発行しました（読み書き、有効期限 {expires}）。トークンの表示はこの一度だけです",
        "API token {id} \"{name}\" issued to {user} (read and write, expires {expires}); the token is shown this once only",
    ),
    (
        "cli.token.created_read_only",
        "APIトークン {id}「{name}」を {user} に発行しました（読み取り専用、有効期限 {expires}）。トークンの表示はこの一度だけです",
        "API token {id} \"{name}\" issued to {user} (read-only, expires {expires}); the token is shown this once only",
    ),
    (
        "cli.token.expires_range",
        "--expires は 1 から 3650 日までです",
        "--expires is out of range: 1 to 3650 days",
    ),
    ("cli.token.none", "APIトークンはありません", "no API tokens"),
    (
        "cli.token.not_found",
        "取り消せるAPIトークン {id} はありません",
        "no API token {id} to revoke",
    ),
    (
        "cli.token.password_change_first",
        "注意: {user} は初期パスワードの変更が必要です。画面でパスワードを変更するまで、このトークンは使えません",
        "note: {user} must change the initial password first; the token works once the password is changed on the web page",
    ),
    (
        "cli.token.revoked",
        "APIトークン {id}「{name}」（{user}）を取り消しました",
        "API token {id} \"{name}\" ({user}) revoked",
    ),
    (
        "cli.training.imported",
        "受講完了を{completed}件取り込みました（記録済み{unchanged}件）",
        "imported {completed} completions ({unchanged} already recorded)",
    ),
    (
        "cli.unit.missing",
        "部局・課室 {unit} はありません（--unit）",
        "unit {unit} does not exist (--unit)",
    ),
    (
        "cli.user.created",
        "アカウント {username} を作成しました（ID {id}）",
        "created user {username} (id {id})",
    ),
    ("cli.username", "ユーザー名", "username"),
    (
        "cli.username.taken",
        "ユーザー名 {username} は既に使われています",
        "username {username} is already taken",
    ),
    ("cli.warning", "警告", "warning"),
    ("cloud.asset_id", "資産番号", "Asset number"),
    ("cloud.class", "分類", "Class"),
    ("cloud.edit", "外部サービスを編集", "Edit the cloud service"),
    (
        "cloud.forbidden_count",
        "分類上許可されない資産 {n} 件",
        "{n} asset(s) its classes do not allow",
    ),
    (
        "cloud.help",
        "利用している外部サービス（クラウドサービス）と、扱ってよい情報の機密性、ISMAP登録、利用上のルール、所管課です。許可されていない機密性の資産を置くと警告が出ます。",
        "The cloud services in use, the confidentiality of the information each may hold, their ISMAP registration, the rules for their use and the responsible unit. An asset whose class a service does not take is flagged.",
    ),
    (
        "cloud.hidden",
        "閲覧権限のない資産が他に {n} 件あります。",
        "{n} more asset(s) you may not see.",
    ),
    ("cloud.ismap", "ISMAP登録あり", "Registered with ISMAP"),
    (
        "cloud.ismap.expired",
        "ISMAP登録の期限切れ",
        "ISMAP registration expired",
    ),
    (
        "cloud.ismap.expiring",
        "ISMAP登録の期限間近",
        "ISMAP registration expiring",
    ),
    (
        "cloud.ismap.registered",
        "ISMAP登録済み",
        "Registered with ISMAP",
    ),
    (
        "cloud.ismap.unregistered",
        "ISMAP未登録",
        "Not registered with ISMAP",
    ),
    (
        "cloud.none",
        "登録された外部サービスはありません。",
        "No cloud services are registered.",
    ),
    ("cloud.one", "外部サービス", "Cloud service"),
    ("cloud.place", "資産を配置", "Place an asset"),
    ("cloud.placed", "配置された資産", "Assets placed"),
    ("cloud.placed_at", "配置日時", "Placed"),
    (
        "cloud.placed_none",
        "配置された資産はありません。",
        "No assets are placed in this service.",
    ),
    (
        "cloud.register",
        "外部サービスを登録",
        "Register a cloud service",
    ),
    ("cloud.title", "外部サービス", "Cloud services"),
    ("cloud.unplace", "配置を解除", "Take out"),
    ("common.no", "不要", "No"),
    ("common.yes", "要", "Yes"),
    (
        "conflict.account.not_from_directory",
        "この名前のアカウントはmamori内で管理されているため、ディレクトリ認証には使えません。",
        "An account of this name is kept in mamori itself; it cannot log in through the directory.",
    ),
    (
        "conflict.account.person_has_account",
        "この職員には既にアカウントがあります。アカウントは職員一人につき一つです。",
        "This person already has an account; each person has one.",
    ),
    (
        "conflict.account.person_missing",
        "アカウントを作成する職員が職員名簿に見つかりません。",
        "The person for this account is not in the directory.",
    ),
    (
        "conflict.account.username_taken",
        "このユーザー名は既に使われています。別のユーザー名を指定してください。",
        "This username is already taken; choose another.",
    ),
    (
        "conflict.action.owner_missing",
        "是正処置の担当者が職員名簿にありません。",
        "The owner of the corrective action is not in the directory.",
    ),
    (
        "conflict.action.verifier_is_owner",
        "是正処置の担当者は、自分の処置を確認できません。",
        "Nobody verifies a corrective action they own.",
    ),
    (
        "conflict.action.wrong_state",
        "是正処置の状態から、この操作はできません(完了報告は対応中のものだけ、確認は完了報告済みのものだけ)。",
        "The corrective action is not in a state for this step (only open actions are reported done, only done ones verified).",
    ),
    (
        "conflict.agreement.kind_fields",
        "委託契約には委託事業者を、指定管理協定には指定管理者を指定してください（従事者と文書は委託契約のみ）。",
        "A contract names its contractor, a 指定管理 agreement its managing body (people and documents are for contracts only).",
    ),
    (
        "conflict.agreement.person_not_contractor",
        "契約に載せる従事者は、委託事業者の役割を持つ人に限ります。",
        "A contract lists only people who hold the contractor role.",
    ),
    (
        "conflict.agreement.policy_tier",
        "契約で閲覧させる文書は、対策基準と実施手順に限ります。",
        "A contract names 対策基準 and 実施手順 documents only.",
    ),
    (
        "conflict.agreement.requirement_not_carried",
        "この契約・協定に含まれない要件は確認できません。",
        "The agreement does not carry this requirement.",
    ),
    (
        "conflict.agreement.scope_missing",
        "契約・協定が、存在しない課室・委託事業者・情報資産・文書・職員を指定しています。",
        "The agreement names a unit, contractor, asset, document or person that does not exist.",
    ),
    (
        "conflict.api_token.digest_taken",
        "APIトークンを発行できませんでした。もう一度発行してください。",
        "The API token could not be issued; please try again.",
    ),
    (
        "conflict.asset.administrator_missing",
        "指定された管理者が職員名簿に見つかりません。",
        "The administrator named is not in the directory.",
    ),
    (
        "conflict.asset.disposed",
        "この情報資産は廃棄済みです。廃棄済みの資産を使用中に戻したり、廃棄記録を書き換えたりすることはできません。",
        "This asset has been disposed of: it cannot return to use and its disposal record cannot be rewritten.",
    ),
    (
        "conflict.asset.import_duplicate_id",
        "取り込むファイルに同じ資産IDの行が複数あります。一つの資産は一行にまとめてください。",
        "The file names the same asset ID on more than one row; give each asset one row.",
    ),
    (
        "conflict.asset.segment_missing",
        "指定されたセグメントは登録されていません。",
        "The segment chosen is not registered.",
    ),
    (
        "conflict.asset.unit_missing",
        "指定された所管課室は登録されていません。",
        "The owner unit chosen does not exist.",
    ),
    (
        "conflict.asset.unknown_level",
        "指定された分類（機密性・完全性・可用性）の段階が分類基準にありません。",
        "A classification level given is not on its scale.",
    ),
    (
        "conflict.audit_plan.member_belongs_to_unit",
        "監査対象の課室に所属する職員は、この監査の監査人になれません(独立性)。",
        "A member of a unit in scope may not audit it (independence).",
    ),
    (
        "conflict.audit_plan.member_manages_unit",
        "監査対象の課室の情報セキュリティ管理者は、この監査の監査人になれません(独立性)。",
        "The manager of a unit in scope may not audit it (independence).",
    ),
    (
        "conflict.audit_plan.member_oversees_organisation",
        "監査対象の課室を所管する情報セキュリティ責任者は、この監査の監査人になれません(独立性)。",
        "The officer over a unit in scope may not audit it (independence).",
    ),
    (
        "conflict.audit_plan.reported",
        "監査報告書は発行済みです。この監査は変更できません。",
        "The report is issued; the audit is closed to changes.",
    ),
    (
        "conflict.audit_plan.scope_missing",
        "監査対象に存在しない課室または職員が含まれています。",
        "The audit names a unit or person that does not exist.",
    ),
    (
        "conflict.audit_plan.unit_out_of_scope",
        "その課室はこの監査の対象ではありません。",
        "That unit is not in the audit's scope.",
    ),
    (
        "conflict.classification.split_target",
        "機密性3の情報資産の移行先には、3A・3B・3Cのいずれかを指定してください。",
        "Choose 3A, 3B or 3C for the assets now at confidentiality level 3.",
    ),
    (
        "conflict.cloud.asset_missing",
        "資産が存在しません。",
        "The asset does not exist.",
    ),
    (
        "conflict.cloud.asset_not_placed",
        "この資産はこの外部サービスに配置されていません。",
        "The asset is not placed in this service.",
    ),
    (
        "conflict.cloud.asset_placed",
        "この資産は既にこの外部サービスに配置されています。",
        "The asset is already placed in this service.",
    ),
    (
        "conflict.cloud.level_unknown",
        "機密性の分類にない区分です。",
        "That level is not on the confidentiality scale.",
    ),
    (
        "conflict.cloud.service_taken",
        "この事業者の同じ名前の外部サービスが既にあります。",
        "This provider already has a service of this name.",
    ),
    (
        "conflict.cloud.unit_missing",
        "所管課が存在しません。",
        "The responsible unit does not exist.",
    ),
    (
        "conflict.exception.decided",
        "この例外措置はすでに判断されています。",
        "This exception is decided already.",
    ),
    (
        "conflict.exception.scope_missing",
        "例外措置の対策項目または課室が存在しません。",
        "The exception names a measure or unit that does not exist.",
    ),
    (
        "conflict.exception.self_decision",
        "自分が申請した例外措置は判断できません。",
        "Nobody decides an exception they asked for.",
    ),
    (
        "conflict.finding.closed",
        "この指摘事項は完了しています(是正処置がすべて確認済み)。",
        "This finding is closed: every corrective action was verified.",
    ),
    (
        "conflict.finding.scope_missing",
        "指摘事項の課室または対策項目が存在しません。",
        "The finding names a unit or measure that does not exist.",
    ),
    (
        "conflict.incident.candidate_decided",
        "このインシデント候補は判断済みです。",
        "The incident candidate was decided already.",
    ),
    (
        "conflict.incident.candidate_reason_missing",
        "見送る理由を入力してください。",
        "Give the reason for dismissing it.",
    ),
    (
        "conflict.incident.closed",
        "このインシデントは終結しています。記録のみ追加できます。",
        "This incident is closed; only notes may be added.",
    ),
    (
        "conflict.incident.open",
        "教訓は、インシデントを終結してから記録します。",
        "Lessons learned are recorded once the incident is closed.",
    ),
    (
        "conflict.incident.scope_missing",
        "インシデントの資産・脅威・担当者が存在しません。",
        "The incident names an asset, threat or owner that does not exist.",
    ),
    (
        "conflict.incident.task_done",
        "この対応タスクは完了しています。",
        "The task is done already.",
    ),
    (
        "conflict.incident.task_not_theirs",
        "対応タスクを完了にできるのは、担当者とインシデント対応者だけです。",
        "Only the task's owner, or those who handle incidents, can mark it done.",
    ),
    (
        "conflict.inspection.incomplete",
        "未回答の項目があるため、承認できません。すべての項目に回答してください。",
        "Some items are unanswered; every item needs its answer before sign-off.",
    ),
    (
        "conflict.inspection.scope_missing",
        "自己点検の対象に、存在しない対策項目集・課室・対策項目が含まれています。",
        "The self-inspection names a catalogue, unit or measure that does not exist.",
    ),
    (
        "conflict.inspection.signed_off",
        "この課室の結果はすでに承認されています。",
        "This unit's result is already signed off.",
    ),
    (
        "conflict.inspection.unit_not_covered",
        "この自己点検は、この課室を対象としていません。",
        "This self-inspection does not cover that unit.",
    ),
    (
        "conflict.inspection.year_taken",
        "この対策項目集には、同じ年度の自己点検がすでにあります。",
        "This catalogue already has a self-inspection for that year.",
    ),
    (
        "conflict.level.invalid",
        "段階の内容に誤りがあります。入力内容と、許可するセグメントが登録済みであることを確認してください。",
        "The level's details were refused: check the entries and that the segments allowed are registered.",
    ),
    (
        "conflict.measure.missing",
        "この対策項目は対策項目集にありません。",
        "The catalogue has no such measure.",
    ),
    (
        "conflict.measure.unit_missing",
        "指定された課室がありません。",
        "The unit does not exist.",
    ),
    (
        "conflict.monitor.alert_closed",
        "このアラートは完了しています。",
        "This alert is closed.",
    ),
    (
        "conflict.monitor.alert_not_open",
        "未対応のアラートだけが対応を開始できます。",
        "Only an open alert can be acknowledged.",
    ),
    (
        "conflict.monitor.matrix_invalid",
        "許可表が正しくありません（同じ組の重複、同一領域の組、長すぎる備考）。",
        "The matrix is not valid (a pair twice, a zone with itself, or a note too long).",
    ),
    (
        "conflict.monitor.settings_invalid",
        "監視の設定が範囲外です。",
        "The monitor settings are out of range.",
    ),
    (
        "conflict.monitor.zone_missing",
        "許可表に存在しない領域が指定されています。",
        "The matrix names a segment that does not exist.",
    ),
    (
        "conflict.organisation.code_taken",
        "この機関コードは既に他の機関で使われています。",
        "Another organisation already uses this code.",
    ),
    (
        "conflict.person.email_taken",
        "このメールアドレスは既にほかの職員に設定されています。",
        "Another person already has this e-mail address.",
    ),
    (
        "conflict.person.unit_missing",
        "指定された所属（部局・課室）は登録されていません。",
        "The unit chosen does not exist.",
    ),
    (
        "conflict.policy.already_acknowledged",
        "この版は既に確認済みです。",
        "You have already confirmed this version.",
    ),
    (
        "conflict.policy.in_review",
        "審査中の版があります。差し戻してから編集してください。",
        "A version is in review: return it to draft before editing.",
    ),
    (
        "conflict.policy.organisation_missing",
        "指定された機関がありません。",
        "The organisation does not exist.",
    ),
    (
        "conflict.policy.self_approval",
        "最後に編集した人はその版を承認できません。",
        "Nobody approves a version they last edited.",
    ),
    (
        "conflict.policy.title_taken",
        "この機関には同じ区分・題名の文書が既にあります。",
        "The organisation already has a document of this tier and title.",
    ),
    (
        "conflict.policy.wrong_state",
        "この版の状態では、その操作はできません。",
        "The version's state does not allow that step.",
    ),
    (
        "conflict.release.address_invalid",
        "申請の宛先メールアドレスの形式が正しくありません。",
        "The address of the request is not a valid e-mail address.",
    ),
    (
        "conflict.release.already_open",
        "このメールには、同じ宛先からの処理中の原本提供申請が既にあります。",
        "This message already has an open request for the same address.",
    ),
    (
        "conflict.release.not_approved",
        "この申請は承認された状態ではないため、配送の結果を記録できません。",
        "This request is not approved, so no delivery can be recorded for it.",
    ),
    (
        "conflict.release.not_pending",
        "この申請は既に承認または却下されています。",
        "This request has already been decided.",
    ),
    (
        "conflict.release.self_approval",
        "自分が申請した解除を自分で承認することはできません。",
        "You cannot approve a release you asked for yourself.",
    ),
    (
        "conflict.review.incident_open",
        "見直しで取り上げられるのは、終結したインシデントだけです。",
        "A review cites incidents once they are closed.",
    ),
    (
        "conflict.review.input_missing",
        "見直しの検討事項に、存在しない監査・自己点検・リスクが含まれています。",
        "The review names an audit, self-inspection or risk that does not exist.",
    ),
    (
        "conflict.review.version_missing",
        "その版は存在しません。",
        "That policy version does not exist.",
    ),
    (
        "conflict.risk.acceptance_reserved",
        "このリスクの受容は最高情報セキュリティ責任者（CISO）が決定します。リスク所有者は受容できません。",
        "Accepting this risk is the CISO's decision; its owner cannot accept it.",
    ),
    (
        "conflict.risk.asset_missing",
        "指定された情報資産が台帳にありません。",
        "An asset named is not in the register.",
    ),
    (
        "conflict.risk.matrix_invalid",
        "リスクマトリクスが正しくありません。",
        "The risk matrix is not valid.",
    ),
    (
        "conflict.risk.measure_missing",
        "指定された対策項目が対策項目集にありません。",
        "A measure named is not in any catalogue.",
    ),
    (
        "conflict.risk.owner_missing",
        "リスク所有者が職員名簿にありません。",
        "The risk owner is not in the directory.",
    ),
    (
        "conflict.risk.threat_missing",
        "指定された脅威が登録されていません。",
        "A threat named is not registered.",
    ),
    (
        "conflict.risk.unit_missing",
        "課室が存在しません。",
        "The unit does not exist.",
    ),
    (
        "conflict.role.already_assigned",
        "この職員には、同じ範囲で同じ役割が既に付与されています。",
        "This person already holds this role with this scope.",
    ),
    (
        "conflict.role.scope_missing",
        "役割の範囲に指定された機関または部局・課室は登録されていません。",
        "The organisation or unit the role is scoped to does not exist.",
    ),
    (
        "conflict.scale.invalid",
        "分類基準に誤りがあります。段階を一つ以上設け、各段階のコード（8文字以内の英数字）と順位が重複しないようにしてください。",
        "The scale was refused: it needs at least one level, each with its own code (up to 8 letters or digits) and rank.",
    ),
    (
        "conflict.segment.code_taken",
        "このセグメントコードは既に使われています。",
        "Another segment already uses this code.",
    ),
    (
        "conflict.segment.in_rules",
        "このセグメントは機密性などの段階の配置ルールで指定されているため削除できません。先に段階の取扱いルールから外してください。",
        "A classification level's rules name this segment; remove it from those rules first.",
    ),
    (
        "conflict.segment.in_use",
        "このセグメントに属する情報資産があるため削除できません。",
        "Assets are placed in this segment, so it cannot be deleted.",
    ),
    (
        "conflict.social.account_taken",
        "このサービスの同じ名前のアカウントが既にあります。",
        "This platform already has an account of this name.",
    ),
    (
        "conflict.social.owner_missing",
        "責任者が職員名簿にありません。",
        "The responsible person is not in the directory.",
    ),
    (
        "conflict.threat.code_taken",
        "このコードの脅威は既にあります。",
        "A threat with this code already exists.",
    ),
    (
        "conflict.training.already_completed",
        "この研修はすでに完了として記録されています。",
        "This training is already recorded as completed.",
    ),
    (
        "conflict.training.code_taken",
        "同じコードの研修コースがすでにあります。",
        "A course with this code already exists.",
    ),
    (
        "conflict.training.scope_missing",
        "指定された課室、職員または割当てが存在しません。",
        "A unit, person or assignment named does not exist.",
    ),
    (
        "conflict.unit.move_between_organisations",
        "部局・課室を別の機関へ移すことはできません。",
        "A unit cannot be moved to another organisation.",
    ),
    (
        "conflict.unit.name_taken",
        "この機関には同じ名称の部局・課室が既にあります。",
        "This organisation already has a unit of this name.",
    ),
    (
        "conflict.unit.organisation_missing",
        "指定された機関は登録されていません。",
        "The organisation chosen does not exist.",
    ),
    (
        "conflict.unit.parent_cycle",
        "上位組織に、その部局・課室自身やその配下の部局・課室を指定することはできません。",
        "A unit cannot be placed under itself or under one of the units below it.",
    ),
    (
        "conflict.unit.parent_missing",
        "指定された上位組織は登録されていません。",
        "The parent unit chosen does not exist.",
    ),
    (
        "conflict.unit.parent_other_org",
        "上位組織には、同じ機関の部局・課室を指定してください。",
        "The parent unit must belong to the same organisation.",
    ),
    ("contract.new", "委託契約の登録", "Register a contract"),
    ("contract.one", "委託契約", "Contract"),
    ("contract.title", "委託契約", "Contracts"),
    ("contractor.contracts", "契約", "Contracts"),
    ("contractor.edit", "登録内容の変更", "Change"),
    (
        "contractor.new",
        "委託事業者の登録",
        "Register a contractor",
    ),
    (
        "contractor.none",
        "登録されていません。",
        "None registered.",
    ),
    ("contractor.one", "委託事業者", "Contractor"),
    ("contractor.title", "委託事業者", "Contractors"),
    ("controls.anchor", "条項番号", "Anchor"),
    ("controls.answer", "実施状況", "Status"),
    ("controls.applies", "対象", "Applies to"),
    ("controls.applies.all", "全課室", "Every unit"),
    (
        "controls.applies.class",
        "{dimension}{level}以上の資産を持つ課室",
        "Units holding assets of {dimension} {level} or higher",
    ),
    (
        "controls.applies.model",
        "ネットワーク構成 {models}",
        "Network model {models}",
    ),
    (
        "controls.applies.segment",
        "{segment}に資産を持つ課室",
        "Units with assets in the {segment}",
    ),
    ("controls.catalogue", "対策項目集", "Catalogue"),
    ("controls.checklist", "課室の点検表", "Unit checklist"),
    (
        "controls.checklists",
        "課室ごとの点検表",
        "Checklists by unit",
    ),
    ("controls.clause", "条項", "Clause"),
    (
        "controls.coverage",
        "基本方針の対策状況",
        "Coverage of the basic policy",
    ),
    (
        "controls.coverage_hint",
        "条項ごとに、その条項（と下位の条項）を実施する対策項目の、対象課室での実施状況を数えています。緑：すべて実施済み（または対象外）、黄：一部実施または未回答あり、赤：未実施あり、または半数以上が未回答。",
        "For each clause, the answers of the units concerned for the measures that implement it (or a clause below it). Green: all in place (or not applicable); amber: partly in place or some answers missing; red: a measure not in place, or more than half unanswered.",
    ),
    ("controls.evidence_file", "証跡ファイル", "Evidence file"),
    (
        "controls.evidence_link",
        "証跡の所在（URL・共有フォルダ）",
        "Evidence link (URL or file share)",
    ),
    ("controls.evidence_note", "証跡の説明", "Evidence note"),
    ("controls.export", "Excel で出力", "Export to Excel"),
    ("controls.implements", "基本方針", "Basic policy"),
    (
        "controls.import",
        "対策項目集の取込み",
        "Import a catalogue",
    ),
    (
        "controls.import_hint",
        "CISO Assistant のライブラリ形式（YAML）のファイルを選んでください。同じ URN の対策項目集は置き換えられ、回答は残ります。",
        "Choose a library file in CISO Assistant's format (YAML). A catalogue with the same URN is replaced; its answers are kept.",
    ),
    ("controls.measure", "対策項目", "Measure"),
    ("controls.measures", "対策項目数", "Measures"),
    (
        "controls.oldest_evidence",
        "最も古い証跡",
        "Oldest evidence",
    ),
    (
        "controls.segment.internet",
        "インターネット接続系",
        "Internet-connected segment",
    ),
    (
        "controls.segment.lgwan",
        "LGWAN接続系",
        "LGWAN-connected segment",
    ),
    (
        "controls.segment.my_number",
        "マイナンバー利用事務系",
        "My Number segment",
    ),
    ("controls.signal", "判定", "Signal"),
    ("controls.signal.amber", "途上", "In progress"),
    ("controls.signal.green", "実施済み", "In place"),
    ("controls.signal.none", "対象なし", "Nothing to judge"),
    ("controls.signal.red", "要対応", "Needs action"),
    ("controls.state.implemented", "実施済み", "Implemented"),
    ("controls.state.not", "未実施", "Not implemented"),
    ("controls.state.not_applicable", "対象外", "Not applicable"),
    ("controls.state.partly", "一部実施", "Partly"),
    ("controls.state.unanswered", "未回答", "Unanswered"),
    ("controls.title", "対策項目", "Measures"),
    ("controls.units", "課室数", "Units"),
    ("controls.version", "版", "Version"),
    ("corrective.complete", "完了を報告", "Report done"),
    ("corrective.done_by", "完了報告", "Reported done"),
    ("corrective.done_note", "実施した内容", "What was done"),
    ("corrective.due_on", "期限", "Due date"),
    ("corrective.mine", "自分の是正処置", "My corrective actions"),
    (
        "corrective.none",
        "是正処置はありません。",
        "No corrective actions.",
    ),
    ("corrective.overdue", "期限超過", "Overdue"),
    ("corrective.owner", "担当者", "Owner"),
    (
        "corrective.plan",
        "是正処置を立てる",
        "Plan a corrective action",
    ),
    ("corrective.return", "差し戻す", "Send back"),
    ("corrective.state", "状態", "State"),
    ("corrective.state.done", "完了報告済み", "Reported done"),
    ("corrective.state.open", "対応中", "Open"),
    ("corrective.state.verified", "確認済み", "Verified"),
    ("corrective.title", "是正処置", "Corrective actions"),
    ("corrective.verify", "確認する", "Verify"),
    ("corrective.verify_note", "確認の所見", "Verification note"),
    ("crossing.any", "可", "Any"),
    (
        "crossing.assumed",
        "許可表はまだ保存されていません。監視は総務省のガイドラインのβモデル（下の表）で通信を判定しています。モデルを適用するか、セルを1つ編集すると、この表が保存されます。",
        "No matrix has been saved yet: the monitor checks flows against the β model of the MIC guidelines (below). Applying a model or editing a cell saves it.",
    ),
    (
        "crossing.confirm",
        "許可表を置き換えることを確認しました",
        "I confirm that the matrix is replaced",
    ),
    ("crossing.edit", "許可を変更する", "Edit a cell"),
    (
        "crossing.empty",
        "許可表はまだありません。モデルを適用してください。",
        "There is no matrix yet: apply a model.",
    ),
    ("crossing.from_to", "送信元 ＼ 宛先", "From \\ To"),
    ("crossing.inside", "同一領域", "Same zone"),
    (
        "crossing.missing",
        "存在しない領域",
        "Segment no longer exists",
    ),
    (
        "crossing.missing_help",
        "削除された領域を指す設定です。削除してください。",
        "These cells name deleted segments; remove them.",
    ),
    ("crossing.model.alpha", "αモデル", "α model"),
    ("crossing.model.alpha_prime", "α′モデル", "α′ model"),
    ("crossing.model.beta", "βモデル", "β model"),
    ("crossing.model.beta_prime", "β′モデル", "β′ model"),
    ("crossing.never", "不可", "Never"),
    ("crossing.only", "指定した通信のみ", "Only these services"),
    ("crossing.preset", "モデルを適用する", "Apply a model"),
    (
        "crossing.preset_warning",
        "現在の許可表はすべて置き換えられます。",
        "The whole matrix will be replaced.",
    ),
    ("crossing.remove", "削除", "Remove"),
    (
        "crossing.servers_help",
        "アドレスを指定しないと、宛先の領域のどのアドレスへの通信も許可されます。",
        "Without an address, any address of the destination zone is allowed.",
    ),
    (
        "crossing.services_help",
        "1行に1つ。例: tcp/25@10.20.0.25、udp/53、tcp/*",
        "One per line, e.g. tcp/25@10.20.0.25, udp/53, tcp/*",
    ),
    ("crossing.title", "通信経路の許可表", "Crossing matrix"),
    ("crossing.unset", "未設定（不可）", "Not set (never)"),
    (
        "designated.new",
        "指定管理協定の登録",
        "Register an agreement",
    ),
    (
        "designated.one",
        "指定管理協定",
        "Designated-manager agreement",
    ),
    ("designated.title", "指定管理者", "Designated managers"),
    ("dimension.availability", "可用性", "Availability"),
    ("dimension.confidentiality", "機密性", "Confidentiality"),
    ("dimension.integrity", "完全性", "Integrity"),
    (
        "error.bad_request",
        "入力内容に誤りがあります。",
        "The request is not valid.",
    ),
    (
        "error.catalogue",
        "対策項目集を読み込めません。",
        "The catalogue cannot be read.",
    ),
    (
        "error.conflict",
        "同じ内容が既に登録されているか、関連する項目と矛盾しています。",
        "This conflicts with existing data.",
    ),
    (
        "error.csrf",
        "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてやり直してください。",
        "The form expired or was not sent from this site. Reload the page and try again.",
    ),
    (
        "error.forbidden",
        "この操作を行う権限がありません。",
        "You are not allowed to do this.",
    ),
    (
        "error.internal",
        "システムエラーが発生しました。管理者に連絡してください。",
        "A system error occurred. Please contact the administrator.",
    ),
    (
        "error.malformed",
        "リクエストの形式が正しくありません。JSON の構文やパラメーターを確認してください。",
        "The request is malformed. Check the JSON syntax and the parameters.",
    ),
    (
        "error.media_type",
        "この形式の送信内容は受け付けられません。Content-Type: application/json で送信してください。",
        "This content type is not accepted. Send the body as Content-Type: application/json.",
    ),
    (
        "error.method",
        "この操作はこのページでは使用できません。",
        "This method is not allowed here.",
    ),
    (
        "error.not_found",
        "ページが見つかりません。",
        "Page not found.",
    ),
    (
        "error.password_change_required",
        "先にパスワードを変更してください。画面からログインし、新しいパスワードを設定すると使えるようになります。",
        "The password must be changed first: log in on the web page and set a new one.",
    ),
    (
        "error.policy",
        "ポリシー本文を読み込めません。",
        "The policy text cannot be read.",
    ),
    (
        "error.read_only_token",
        "このAPIトークンは読み取り専用です。変更には読み書きできるトークンを使ってください。",
        "This API token may only read; make changes with a token that may write.",
    ),
    (
        "error.sheet",
        "ファイルを取り込めませんでした。何も変更していません。",
        "The file could not be imported; nothing was changed.",
    ),
    (
        "error.too_large",
        "送信内容が大きすぎます。",
        "The request is too large.",
    ),
    (
        "error.unauthenticated",
        "ログインしてください。",
        "Please log in.",
    ),
    ("exception.active", "例外措置中", "Exception in effect"),
    ("exception.approve", "許可する", "Approve"),
    (
        "exception.compensating",
        "代替措置",
        "Compensating measures",
    ),
    ("exception.decide", "例外措置の判断", "Decision"),
    ("exception.decided", "判断", "Decided"),
    ("exception.emergency", "緊急", "Emergency"),
    (
        "exception.emergency_help",
        "緊急時は先に措置を講じ、講じた日を記入して{days}日以内に報告してください。",
        "In an emergency, take the measure first, give the day it was taken and report it within {days} days.",
    ),
    ("exception.expired", "期限切れ", "Expired"),
    ("exception.late", "報告遅延", "Reported late"),
    ("exception.none", "例外措置はありません。", "No exceptions."),
    ("exception.one", "例外措置", "Exception"),
    ("exception.reason", "理由", "Reason"),
    ("exception.reject", "却下する", "Reject"),
    (
        "exception.request",
        "例外措置を申請する",
        "Ask for an exception",
    ),
    ("exception.requested", "申請", "Requested"),
    ("exception.state", "状態", "State"),
    ("exception.state.approved", "許可", "Approved"),
    (
        "exception.state.emergency",
        "緊急措置中",
        "Emergency, in effect",
    ),
    ("exception.state.rejected", "却下", "Rejected"),
    ("exception.state.requested", "申請中", "Requested"),
    (
        "exception.taken_on",
        "緊急措置を講じた日",
        "Day the emergency measure was taken",
    ),
    ("exception.title", "例外措置", "Exceptions"),
    ("exception.until", "期限", "Until"),
    ("field.account_name", "アカウント名", "Account name"),
    ("field.address", "所在地", "Address"),
    ("field.addresses", "IPアドレス", "IP addresses"),
    ("field.administrator", "管理者（担当者）", "Administrator"),
    ("field.allow", "許可", "Allowed"),
    (
        "field.allowed_segments",
        "配置できるセグメント",
        "Allowed segments",
    ),
    ("field.approver_role", "承認者の役割", "Approver role"),
    ("field.asset", "資産", "Asset"),
    ("field.assets", "対象の情報資産", "Assets"),
    ("field.audience_roles", "対象の役割", "Roles"),
    ("field.audience_units", "対象の課室", "Units"),
    ("field.audits", "監査", "Audits"),
    ("field.availability", "可用性", "Availability"),
    ("field.before", "番号", "Before"),
    ("field.body", "送信内容", "Request body"),
    ("field.by", "実施者", "Done by"),
    (
        "field.candidate_rules",
        "インシデント候補にするアラート",
        "Alerts raised as incident candidates",
    ),
    ("field.catalogue", "対策項目集", "Catalogue"),
    ("field.category", "分類", "Category"),
    ("field.cells", "許可表の各組", "Matrix cells"),
    ("field.chapters", "対象の章", "Chapters"),
    ("field.checked_on", "確認日", "Checked on"),
    (
        "field.classes",
        "扱ってよい情報の機密性",
        "Confidentiality allowed",
    ),
    ("field.clause", "該当条項", "Clause"),
    ("field.code", "コード", "Code"),
    ("field.compensating", "代替措置", "Compensating measures"),
    ("field.completed_on", "完了日", "Completed on"),
    ("field.confidentiality", "機密性", "Confidentiality"),
    ("field.confirm", "確認", "Confirmation"),
    ("field.contact_person", "担当者", "Contact person"),
    ("field.contractor", "委託事業者", "Contractor"),
    ("field.criteria", "監査基準", "Audit criteria"),
    ("field.decision", "判断", "Decision"),
    ("field.decisions", "決定事項", "Decisions"),
    ("field.definition", "分類基準", "Definition"),
    ("field.description", "説明", "Description"),
    ("field.detected_at", "気づいた日時", "When it was noticed"),
    ("field.disabled", "無効化", "Disabled"),
    ("field.disposal", "廃棄方法", "Disposal"),
    ("field.disposal_method", "廃棄方法", "Disposal method"),
    ("field.due_on", "期限", "Due date"),
    ("field.effective_from", "施行日", "Effective from"),
    ("field.email", "メールアドレス", "E-mail"),
    ("field.ends_on", "終了日", "End"),
    (
        "field.environment",
        "環境の変化",
        "Changes in the environment",
    ),
    (
        "field.evidence_samples",
        "アラートごとに残すログの行数",
        "Evidence lines kept per alert",
    ),
    (
        "field.existence_visible",
        "存在の開示（閲覧制限のない段階は開示が必要）",
        "Existence visible (required for a level without restricted access)",
    ),
    (
        "field.existing_to",
        "今の機密性3の情報資産の移行先",
        "Level for today's 機密性3 assets",
    ),
    (
        "field.external",
        "外部（委託事業者等）",
        "External (contractor etc.)",
    ),
    ("field.facility", "施設", "Facility"),
    ("field.file", "ファイル", "File"),
    ("field.format", "形式", "Format"),
    ("field.from", "開始日", "From"),
    (
        "field.gateway",
        "無害化ゲートウェイのアドレス",
        "Sanitising gateway address",
    ),
    ("field.held_on", "実施日", "Held on"),
    ("field.hosts", "ホスト名", "Host names"),
    ("field.id", "ID", "ID"),
    ("field.impact", "影響度", "Impact"),
    ("field.incidents", "インシデント", "Incidents"),
    ("field.inspection", "自己点検", "Self-inspection"),
    ("field.inspections", "自己点検", "Self-inspections"),
    ("field.integrity", "完全性", "Integrity"),
    ("field.internal", "内部アドレスの範囲", "Internal ranges"),
    ("field.ismap_expires_on", "ISMAP有効期限", "ISMAP expiry"),
    (
        "field.ismap_number",
        "ISMAP登録番号",
        "ISMAP registration number",
    ),
    ("field.kind", "種別", "Kind"),
    ("field.language", "言語", "Language"),
    ("field.last_reviewed_on", "前回の点検日", "Last reviewed"),
    ("field.lessons", "教訓", "Lessons learned"),
    ("field.level", "リスクレベル", "Level"),
    ("field.level_name", "段階の名称", "Level name"),
    ("field.levels", "分類の段階", "Levels"),
    ("field.lifecycle", "状態", "Lifecycle"),
    ("field.likelihood", "発生可能性", "Likelihood"),
    ("field.limit", "件数", "Limit"),
    ("field.link", "証跡の所在", "Evidence link"),
    ("field.location", "設置・保管場所", "Location"),
    ("field.managing_body", "指定管理者", "Managing body"),
    ("field.matrix", "リスクマトリクス", "Risk matrix"),
    ("field.measure", "対策項目", "Measure"),
    ("field.measures", "対策項目", "Measures"),
    ("field.method", "廃棄方法", "Method"),
    ("field.model", "モデル", "Model"),
    ("field.name", "名称", "Name"),
    ("field.name_en", "名称（英語）", "Name (English)"),
    ("field.name_ja", "名称（日本語）", "Name (Japanese)"),
    ("field.new_password", "新しいパスワード", "New password"),
    ("field.note", "備考", "Notes"),
    ("field.notes", "備考", "Notes"),
    ("field.occurred_at", "発生日時", "When it happened"),
    ("field.offset", "開始位置", "Offset"),
    ("field.organisation", "機関", "Organisation"),
    ("field.outcome", "確認結果", "Outcome"),
    ("field.owner", "リスク所有者", "Risk owner"),
    ("field.owner_unit", "所管課室", "Owning unit"),
    ("field.page", "ページ", "Page"),
    ("field.parent", "上位組織", "Parent unit"),
    ("field.password", "パスワード", "Password"),
    ("field.people", "本人の数", "Number of people"),
    ("field.period_from", "監査期間(開始)", "Period from"),
    ("field.period_to", "監査期間(終了)", "Period to"),
    ("field.person", "職員", "Person"),
    ("field.phone", "電話番号", "Phone"),
    ("field.platform", "サービス", "Platform"),
    ("field.policies", "閲覧させる文書", "Documents"),
    ("field.policy", "基本方針", "Policy"),
    (
        "field.ports",
        "走査と判定するポートの数",
        "Scan threshold: distinct ports",
    ),
    ("field.provider", "事業者", "Provider"),
    ("field.ranges", "アドレス範囲", "Address ranges"),
    ("field.reason", "理由", "Reason"),
    ("field.recipient", "宛先", "Recipient"),
    ("field.reference", "参照", "Reference"),
    ("field.report", "総合所見", "Overall opinion"),
    ("field.requirement", "要件", "Requirement"),
    (
        "field.requirements",
        "セキュリティ要件",
        "Security requirements",
    ),
    (
        "field.residual_impact",
        "残留リスクの影響度",
        "Residual impact",
    ),
    (
        "field.residual_likelihood",
        "残留リスクの発生可能性",
        "Residual likelihood",
    ),
    ("field.resolvers", "指定DNSサーバ", "Sanctioned resolvers"),
    (
        "field.review_months",
        "点検の間隔（月）",
        "Review interval (months)",
    ),
    ("field.review_on", "見直し期日", "Review date"),
    ("field.reviewed_on", "点検日", "Reviewed on"),
    ("field.risks", "リスク", "Risks"),
    ("field.role", "役割", "Role"),
    ("field.rule", "報告先", "Notification"),
    ("field.rules", "利用上のルール", "Rules for use"),
    (
        "field.scan_hosts",
        "走査と判定する宛先の数",
        "Scan threshold: distinct hosts",
    ),
    (
        "field.scan_ports",
        "走査と判定するポートの数",
        "Scan threshold: distinct ports",
    ),
    ("field.scope", "範囲", "Scope"),
    (
        "field.screen_transfer",
        "画面転送サーバのアドレス",
        "Screen-transfer server address",
    ),
    ("field.segment", "ネットワークセグメント", "Network segment"),
    ("field.segment_code", "セグメントコード", "Segment code"),
    ("field.sender", "差出人", "Sender"),
    ("field.services", "許可する通信", "Services"),
    ("field.severity", "重大度", "Severity"),
    ("field.since", "開始日", "From"),
    ("field.sort", "並び順", "Sort by"),
    ("field.split", "細分化", "Split"),
    ("field.starts_on", "開始日", "Start"),
    ("field.state", "状態", "State"),
    ("field.status", "実施状況", "Status"),
    ("field.step", "操作", "Step"),
    ("field.storage", "保管場所", "Storage"),
    ("field.take_out", "庁外持ち出し", "Taking out"),
    ("field.taken_on", "緊急措置を講じた日", "Day taken"),
    ("field.text", "本文", "Text"),
    ("field.threats", "脅威", "Threats"),
    ("field.tier", "文書の区分", "Tier"),
    ("field.title", "職名", "Title"),
    ("field.to", "終了日", "To"),
    ("field.totp_code", "確認コード", "Verification code"),
    ("field.treatment", "対応方針", "Treatment"),
    ("field.unit", "所属", "Unit"),
    ("field.units", "対象課室", "Units"),
    (
        "field.unregistered_window_secs",
        "未登録機器の報告間隔（秒）",
        "Unregistered device report window (seconds)",
    ),
    ("field.until", "期限", "Until"),
    ("field.url", "URL", "URL"),
    ("field.username", "ユーザー名", "Username"),
    ("field.verdict", "判定", "Verdict"),
    ("field.version", "版", "Version"),
    (
        "field.window_secs",
        "走査の判定時間（秒）",
        "Scan window (seconds)",
    ),
    ("field.year", "年度", "Year"),
    ("field.zone", "領域", "Zone"),
    ("finding.clause", "該当条項", "Clause"),
    ("finding.closed", "完了", "Closed"),
    ("finding.grade", "格付けを変更", "Grade again"),
    ("finding.kind.major", "重大な不適合", "Major nonconformity"),
    ("finding.kind.minor", "軽微な不適合", "Minor nonconformity"),
    ("finding.kind.observation", "観察事項", "Observation"),
    ("finding.none", "指摘事項はありません。", "No findings."),
    ("finding.one", "指摘事項", "Finding"),
    ("finding.open_only", "未完了のみ", "Open only"),
    (
        "finding.overdue_only",
        "期限超過の是正処置があるもののみ",
        "Only those with an overdue action",
    ),
    ("finding.raise", "指摘事項を記録", "Record a finding"),
    ("finding.raised", "記録", "Recorded"),
    ("finding.source", "出所", "Source"),
    (
        "finding.source.audit",
        "情報セキュリティ監査",
        "Information security audit",
    ),
    ("finding.source.inspection", "自己点検", "Self-inspection"),
    ("finding.title", "指摘事項", "Findings"),
    (
        "flag.address_outside_segment",
        "アドレスが所属セグメントの範囲外です",
        "An address lies outside its segment",
    ),
    (
        "flag.disposal_unrecorded",
        "廃棄記録（方法・実施者）がありません",
        "Disposed without a record of how and by whom",
    ),
    (
        "flag.segment_forbidden",
        "分類上、このセグメントに置くことはできません",
        "Its class does not allow this segment",
    ),
    (
        "flag.service_forbidden",
        "この外部サービスでは許可されない分類",
        "Its class is not allowed in this service",
    ),
    (
        "flag.split_review",
        "分割後の再確認が必要",
        "To be reviewed after the split",
    ),
    (
        "flag.unknown_level",
        "分類の段階が現在の分類基準にありません",
        "Its level is not on the current scale",
    ),
    (
        "flag.unknown_segment",
        "セグメントが登録されていません",
        "Its segment does not exist",
    ),
    (
        "home.actions_due",
        "担当の是正処置",
        "Corrective actions you own",
    ),
    (
        "home.actions_to_verify",
        "確認待ちの是正処置",
        "Corrective actions to verify",
    ),
    (
        "home.agreements",
        "確認が必要な委託契約・指定管理協定",
        "Contracts and agreements to check",
    ),
    (
        "home.exceptions",
        "判断待ちの例外措置",
        "Exceptions to decide",
    ),
    (
        "home.incident_candidates",
        "判断を待っているインシデント候補",
        "Incident candidates to decide on",
    ),
    (
        "home.incident_tasks",
        "担当しているインシデントの対応タスク",
        "Incident tasks you own",
    ),
    (
        "home.incidents",
        "判断待ちのインシデント報告",
        "Incident reports to triage",
    ),
    ("home.inspections", "自己点検", "Self-inspections"),
    (
        "home.nothing_waiting",
        "いま対応の必要なものはありません。",
        "Nothing waits for you.",
    ),
    (
        "home.risks_to_review",
        "見直し時期のリスク",
        "Risks due for review",
    ),
    ("home.title", "ホーム", "Home"),
    ("home.to_answer", "回答する点検表", "Checklists to answer"),
    ("home.to_approve", "承認を待つ版", "Versions to approve"),
    (
        "home.to_confirm",
        "遵守の確認を待つ版",
        "Versions to confirm",
    ),
    ("home.training", "期限の近い研修", "Training due"),
    ("home.waiting", "あなたの対応待ち", "Waiting for you"),
    ("home.welcome", "ようこそ", "Welcome"),
    (
        "incident.candidate.source.gateway",
        "無害化ゲートウェイ",
        "Sanitising gateway",
    ),
    ("incident.candidate.source.monitor", "監視", "Monitor"),
    ("incident.candidate.state.dismissed", "見送り", "Dismissed"),
    ("incident.candidate.state.open", "未判断", "Open"),
    (
        "incident.candidate.state.opened",
        "インシデント化",
        "Opened as an incident",
    ),
    ("incident.candidate_dismiss", "見送る", "Dismiss"),
    (
        "incident.candidate_open",
        "インシデントとして開く",
        "Open an incident",
    ),
    ("incident.candidate_raised", "検知日時", "Raised"),
    ("incident.candidate_source", "検知元", "Source"),
    ("incident.candidate_state", "状態", "State"),
    ("incident.candidate_summary", "概要", "Summary"),
    (
        "incident.candidates",
        "インシデント候補",
        "Incident candidates",
    ),
    (
        "incident.candidates_about",
        "ゲートウェイと監視が検知した、インシデントの可能性がある事象です。インシデントとして開くか、理由を付けて見送ります。",
        "What the gateway and the monitor detected that may be an incident: open an incident from it, or dismiss it with a reason.",
    ),
    (
        "incident.candidates_none",
        "インシデント候補はありません。",
        "No incident candidates.",
    ),
    ("incident.category", "分類(脅威)", "Category (threat)"),
    ("incident.chain", "報告経路", "Reporting chain"),
    (
        "incident.cited_by",
        "このインシデントを取り上げた見直し",
        "Reviews citing this incident",
    ),
    ("incident.closed", "終結", "Closed"),
    ("incident.contacts", "緊急連絡網", "Emergency contacts"),
    ("incident.contacts_global", "全体", "Whole organisation"),
    (
        "incident.contacts_help",
        "インシデントを見つけたら、所属の情報セキュリティ管理者に報告し、管理者は情報セキュリティ責任者とCSIRTへ、CSIRTは最高情報セキュリティ責任者へ報告します。",
        "On finding an incident, report it to your unit's information security manager, who reports to the information security officer and the CSIRT; the CSIRT reports to the CISO.",
    ),
    (
        "incident.contacts_none",
        "報告経路の役割を持つ人がまだいません。",
        "Nobody holds a role of the reporting chain yet.",
    ),
    ("incident.detected", "検知日時", "Detected"),
    (
        "incident.detected_at",
        "気づいた日時",
        "When it was noticed",
    ),
    (
        "incident.detected_help",
        "報告より前に気づいていた場合に記入してください。外部への報告期限はこの時から数えます。",
        "Give it if you noticed before this report: the deadlines of the external notifications count from it.",
    ),
    ("incident.due", "期限", "Due"),
    ("incident.lessons", "教訓", "Lessons learned"),
    (
        "incident.lessons_after_closing",
        "教訓は終結後に記録します。",
        "Lessons are recorded after the incident is closed.",
    ),
    (
        "incident.lessons_none",
        "教訓はまだ記録されていません。",
        "No lessons recorded yet.",
    ),
    ("incident.no", "なし", "No"),
    (
        "incident.none",
        "インシデントはありません。",
        "No incidents.",
    ),
    ("incident.notification", "報告先", "Notification"),
    (
        "incident.notification_overdue",
        "通知期限超過",
        "Notification overdue",
    ),
    (
        "incident.notifications",
        "外部への報告",
        "External notifications",
    ),
    (
        "incident.notifications_none",
        "報告が必要な外部機関はありません(重大度・分類・個人情報の有無による)。",
        "No external notification applies (it depends on the severity, category and personal data).",
    ),
    ("incident.notified", "報告日時", "Notified"),
    ("incident.occurred_at", "発生日時", "When it happened"),
    ("incident.one", "インシデント", "Incident"),
    ("incident.owner", "担当者", "Owner"),
    ("incident.people", "本人の数", "Number of people"),
    (
        "incident.personal_data",
        "個人情報の漏えい等",
        "Personal data involved",
    ),
    (
        "incident.raised_from",
        "インシデント候補 #{n} から開かれました",
        "Raised from incident candidate #{n}",
    ),
    (
        "incident.report",
        "インシデントを報告する",
        "Report an incident",
    ),
    (
        "incident.report_help",
        "気づいたことを、わかる範囲で速やかに報告してください。報告はCSIRTと所属課室の情報セキュリティ管理者に届きます。",
        "Report what you noticed, as far as you know, straight away. The report reaches the CSIRT and your unit's manager.",
    ),
    ("incident.reporter", "報告者", "Reported by"),
    ("incident.severity", "重大度", "Severity"),
    ("incident.step", "段階", "Step"),
    ("incident.step.closed", "終結", "Closed"),
    ("incident.step.contained", "封じ込め", "Contained"),
    ("incident.step.detected", "検知", "Detected"),
    ("incident.step.eradicated", "根絶", "Eradicated"),
    ("incident.step.note", "記録", "Note"),
    ("incident.step.notified", "外部へ報告", "Notified"),
    ("incident.step.recovered", "復旧", "Recovered"),
    ("incident.step.reported", "報告", "Reported"),
    ("incident.task", "タスク", "Task"),
    ("incident.task_done", "完了", "Done"),
    ("incident.task_due", "期限", "Due"),
    ("incident.task_mark_done", "完了にする", "Mark done"),
    ("incident.task_overdue", "期限切れ", "Overdue"),
    ("incident.task_owner", "担当者", "Owner"),
    ("incident.tasks", "対応タスク", "Tasks"),
    (
        "incident.tasks_none",
        "対応タスクはありません。",
        "No tasks.",
    ),
    ("incident.timeline", "経過", "Timeline"),
    ("incident.title", "インシデント", "Incidents"),
    ("incident.triage", "トリアージ", "Triage"),
    (
        "incident.unauthorised_purpose",
        "不正の目的が疑われる",
        "Unauthorised purpose suspected",
    ),
    ("incident.untriaged", "未判定", "Not triaged"),
    ("incident.what", "何が起きたか", "What happened"),
    ("incident.yes", "あり", "Yes"),
    (
        "inspection.by_chapter",
        "章ごとの進捗",
        "Progress by chapter",
    ),
    ("inspection.by_unit", "課室ごとの進捗", "Progress by unit"),
    ("inspection.catalogue", "対策項目集", "Catalogue"),
    ("inspection.chapter", "章", "Chapter"),
    (
        "inspection.create",
        "自己点検を始める",
        "Start a self-inspection",
    ),
    (
        "inspection.dashboard",
        "自己点検の進捗",
        "Self-inspection progress",
    ),
    ("inspection.due_on", "回答期限", "Due date"),
    ("inspection.last_year", "前年度の回答", "Last year's answer"),
    ("inspection.name", "名称", "Name"),
    (
        "inspection.none",
        "自己点検はまだありません。",
        "No self-inspections yet.",
    ),
    ("inspection.open", "開始する", "Start"),
    ("inspection.overdue", "期限超過", "Overdue"),
    ("inspection.progress", "回答状況", "Answered"),
    (
        "inspection.sign_off",
        "結果を承認する",
        "Sign the result off",
    ),
    (
        "inspection.sign_off_help",
        "すべての項目への回答を確認のうえ承認してください。「未実施」「一部実施」の項目は指摘事項になります。",
        "Sign off once every item has its answer. Items answered \"not implemented\" or \"partly\" become findings.",
    ),
    ("inspection.signed", "承認", "Signed off"),
    ("inspection.this_year", "今年度の回答", "This year's answer"),
    ("inspection.title", "自己点検", "Self-inspections"),
    ("inspection.total", "合計", "Total"),
    (
        "inspection.unit",
        "課室の自己点検",
        "A unit's self-inspection",
    ),
    ("inspection.units", "対象課室", "Units covered"),
    (
        "inspection.units_help",
        "選ばなければすべての課室が対象になります。各課室の項目は、その課室が持つ情報資産に適用される対策項目です。",
        "None ticked covers every unit. Each unit's items are the measures that apply to the information assets it holds.",
    ),
    ("inspection.year", "年度", "Year"),
    ("kind.document", "システム関連文書", "System document"),
    ("kind.equipment", "設備・機器", "Equipment"),
    ("kind.information", "情報", "Information"),
    ("kind.media", "電磁的記録媒体", "Storage media"),
    ("kind.network", "ネットワーク", "Network"),
    ("kind.system", "情報システム", "Information system"),
    ("lifecycle.disposed", "廃棄済み", "Disposed"),
    ("lifecycle.in_use", "運用中", "In use"),
    ("lifecycle.planned", "導入予定", "Planned"),
    ("lifecycle.retired", "運用終了", "Retired"),
    (
        "login.directory_no_role",
        "ディレクトリ上の所属グループにmamoriの役割が割り当てられていないため、ログインできません。管理者に連絡してください。",
        "Your groups in the directory give you no role in mamori, so you cannot log in. Contact your administrator.",
    ),
    (
        "login.directory_unavailable",
        "ディレクトリサーバーから応答がないため、ログインできません。しばらくしてから再度お試しいただくか、管理者に連絡してください。",
        "The directory server did not answer, so you cannot log in now. Try again later or contact your administrator.",
    ),
    (
        "login.failed",
        "ユーザー名またはパスワードが正しくありません。",
        "The username or password is incorrect.",
    ),
    (
        "login.recovery_hint",
        "認証アプリを使えない場合は、リカバリーコードを入力できます。",
        "If you cannot use your authenticator app, enter a recovery code.",
    ),
    (
        "login.throttled",
        "ログインの試行が多すぎます。しばらく待ってから再度お試しください。",
        "Too many login attempts. Please wait and try again.",
    ),
    ("login.title", "ログイン", "Log in"),
    (
        "login.totp_failed",
        "確認コードが正しくありません。",
        "The verification code is incorrect.",
    ),
    (
        "login.totp_title",
        "二要素認証",
        "Two-factor authentication",
    ),
    ("monitor.acknowledge", "対応を開始する", "Acknowledge"),
    ("monitor.acknowledged", "対応開始", "Acknowledged"),
    ("monitor.alert", "アラート", "Alert"),
    ("monitor.alerts", "アラート一覧", "Alerts"),
    ("monitor.asset", "資産", "Asset"),
    (
        "monitor.candidate",
        "インシデント候補",
        "Incident candidate",
    ),
    (
        "monitor.candidate_rules_help",
        "選んだ種類の新しいアラートは、監視がそのままインシデント候補にします（1回の書込みにつき20件まで）。ほかのアラートはCSIRTがアラートの画面から候補にできます。",
        "New alerts of the chosen kinds become incident candidates on their own (at most 20 per write). The CSIRT can raise any other alert from its page.",
    ),
    ("monitor.close", "完了にする", "Close"),
    ("monitor.closed", "完了", "Closed"),
    ("monitor.count", "件数", "Count"),
    ("monitor.detail", "内容", "Detail"),
    ("monitor.dst", "宛先", "Destination"),
    ("monitor.evidence", "ログの抜粋", "Evidence"),
    ("monitor.first_seen", "初回", "First seen"),
    ("monitor.flows", "フロー数", "Flows"),
    ("monitor.forbidden", "うち不許可", "Forbidden"),
    ("monitor.incoming", "この領域への通信", "To this segment"),
    ("monitor.internet", "インターネット", "Internet"),
    ("monitor.key", "識別子", "Key"),
    ("monitor.last_seen", "最終", "Last seen"),
    (
        "monitor.no_flows",
        "この期間の通信は記録されていません。",
        "No flows were recorded in this period.",
    ),
    ("monitor.no_segment", "（領域外）", "(no segment)"),
    (
        "monitor.none",
        "該当するアラートはありません。",
        "No alerts match.",
    ),
    (
        "monitor.outgoing",
        "この領域からの通信",
        "From this segment",
    ),
    ("monitor.per_rule", "規則ごとの件数", "By rule"),
    ("monitor.port", "ポート", "Port"),
    ("monitor.proto", "プロトコル", "Protocol"),
    (
        "monitor.raise",
        "インシデント候補にする",
        "Raise as incident candidate",
    ),
    (
        "monitor.raise_help",
        "CSIRTがインシデントとして扱うかを判断できるよう、このアラートをインシデント候補に加えます。",
        "Adds this alert to the incident candidates, for the CSIRT to decide whether it is an incident.",
    ),
    ("monitor.rule.cleartext", "平文通信", "Cleartext protocol"),
    (
        "monitor.rule.crossing",
        "許可されていない領域間通信",
        "Crossing not allowed",
    ),
    (
        "monitor.rule.dns",
        "指定外のDNSサーバへの問合せ",
        "Query to an unsanctioned DNS server",
    ),
    ("monitor.rule.ids", "IDSの検知", "IDS alert"),
    ("monitor.rule.scan", "走査", "Scan"),
    (
        "monitor.rule.unregistered",
        "未登録機器",
        "Unregistered device",
    ),
    ("monitor.segment", "領域", "Segment"),
    (
        "monitor.segment_view",
        "領域ごとの通信",
        "Traffic by segment",
    ),
    ("monitor.segments", "領域", "Segments"),
    ("monitor.settings", "監視の設定", "Monitor settings"),
    (
        "monitor.settings_help",
        "指定DNSサーバと内部アドレスの範囲は1行に1つ書きます。",
        "Write one resolver or range per line.",
    ),
    ("monitor.src", "送信元", "Source"),
    ("monitor.state", "状態", "State"),
    ("monitor.state.acknowledged", "対応中", "Acknowledged"),
    ("monitor.state.closed", "完了", "Closed"),
    ("monitor.state.open", "未対応", "Open"),
    ("monitor.title", "不正通信の監視", "Network monitor"),
    ("monitor.total", "該当 {n} 件", "{n} matching"),
    (
        "monitor.waiting",
        "未対応の監視アラート",
        "Open monitor alerts",
    ),
    ("nav.account", "アカウント", "Account"),
    ("nav.accounts", "アカウント管理", "Accounts"),
    ("nav.assets", "情報資産", "Assets"),
    ("nav.audit", "監査証跡", "Audit trail"),
    ("nav.audits", "監査", "Audits"),
    ("nav.cloud", "外部サービス", "Cloud services"),
    ("nav.contractors", "委託事業者", "Contractors"),
    ("nav.contracts", "委託契約", "Contracts"),
    ("nav.controls", "対策項目", "Measures"),
    ("nav.designated", "指定管理者", "Designated managers"),
    ("nav.exceptions", "例外措置", "Exceptions"),
    ("nav.findings", "指摘事項", "Findings"),
    ("nav.home", "ホーム", "Home"),
    ("nav.incidents", "インシデント", "Incidents"),
    ("nav.inspections", "自己点検", "Self-inspections"),
    ("nav.monitor", "不正通信の監視", "Network monitor"),
    ("nav.organisations", "組織", "Organisation"),
    ("nav.people", "職員", "People"),
    ("nav.policy", "ポリシー", "Policy"),
    ("nav.quarantine", "隔離メール", "Quarantine"),
    ("nav.reviews", "見直し", "Reviews"),
    ("nav.risks", "リスク", "Risks"),
    ("nav.social", "SNSアカウント", "Social media"),
    ("nav.training", "研修", "Training"),
    ("notice.attempts", "試行回数", "Attempts"),
    ("notice.digest", "毎日のまとめメール", "Daily digest"),
    (
        "notice.digest.intro",
        "対応を待っている事項が {count} 件あります。",
        "{count} items are waiting for you.",
    ),
    (
        "notice.digest.settings",
        "毎日のまとめメールは {url} で止められます（インシデントの連絡は止められません）。",
        "You can stop the daily digest at {url} (incident mail cannot be stopped).",
    ),
    (
        "notice.digest.subject",
        "【mamori】{day} のお知らせ ({count} 件)",
        "[mamori] Notices for {day} ({count})",
    ),
    (
        "notice.digest_help",
        "インシデントの連絡はこの設定にかかわらず、すぐにメールで届きます。",
        "Incident mail comes at once whatever this setting says.",
    ),
    (
        "notice.digest_on",
        "対応を待っている事項を毎日1通のメールで受け取る",
        "Receive what waits for me in one mail a day",
    ),
    (
        "notice.kind.action_overdue",
        "是正処置が期限を過ぎています: {title}",
        "A corrective action is overdue: {title}",
    ),
    (
        "notice.kind.exception_expired",
        "例外措置の期限が過ぎています: {title}",
        "An exception has passed its end date: {title}",
    ),
    (
        "notice.kind.exception_requested",
        "例外措置の申請が判断を待っています: {title}",
        "An exception request awaits a decision: {title}",
    ),
    (
        "notice.kind.incident_reported",
        "インシデントが報告されました: {title}",
        "An incident was reported: {title}",
    ),
    (
        "notice.kind.incident_task_overdue",
        "インシデントの対応タスクが期限を過ぎています: {title}",
        "An incident task is overdue: {title}",
    ),
    (
        "notice.kind.notification_overdue",
        "外部への報告が期限を過ぎています: {title}",
        "External notifications are overdue: {title}",
    ),
    (
        "notice.kind.training_due",
        "研修の受講期限が近づいています（または過ぎています）: {title}",
        "Training is due soon or overdue: {title}",
    ),
    (
        "notice.kind.version_in_review",
        "承認を待っている版があります: {title}",
        "A version awaits approval: {title}",
    ),
    ("notice.last_error", "最後のエラー", "Last error"),
    ("notice.mail.failed", "送信失敗", "Failed"),
    (
        "notice.mail.footer",
        "このメールは mamori が自動で送信しています。返信されても届きません。",
        "This mail was sent automatically by mamori; replies are not read.",
    ),
    ("notice.mail.greeting", "{name} 様", "Dear {name},"),
    ("notice.mail.queued", "送信待ち", "Queued"),
    ("notice.mail.sent", "送信済み", "Sent"),
    ("notice.mail.subject", "【mamori】{text}", "[mamori] {text}"),
    ("notice.none", "お知らせはありません。", "No notices."),
    ("notice.outbox", "送信キュー", "Outbox"),
    ("notice.outbox.failed", "送信失敗", "Failed"),
    ("notice.outbox.queued", "送信待ち", "Queued"),
    ("notice.outbox.retrying", "再送中", "Retrying"),
    ("notice.outbox.sent", "送信済み", "Sent"),
    ("notice.recipient", "宛先", "Recipient"),
    ("notice.state", "状態", "State"),
    ("notice.state.mailed", "メール送信済み", "Mailed"),
    (
        "notice.state.no_address",
        "画面のみ（メールアドレスなし）",
        "On this page only (no mail address)",
    ),
    (
        "notice.state.opted_out",
        "画面のみ（まとめメール停止中）",
        "On this page only (digest off)",
    ),
    ("notice.state.pending", "送信待ち", "Waiting"),
    ("notice.subject", "件名", "Subject"),
    ("notice.title", "お知らせ", "Notices"),
    ("notice.what", "内容", "What"),
    ("notice.when", "日時", "When"),
    ("org.create", "機関を追加", "Add organisation"),
    ("org.title", "組織体制", "Organisation"),
    ("org.units", "部局・課室", "Units"),
    (
        "password.directory",
        "このアカウントのパスワードはディレクトリ（Active Directory 等）で管理されています。パスワードの変更はディレクトリで行ってください。",
        "This account's password is kept in the directory (such as Active Directory); change it there.",
    ),
    (
        "password.must_change",
        "このパスワードは他の人にも知られている可能性があります（初期パスワードなど）。続ける前に新しいパスワードを設定してください。",
        "Others may know this password (it was printed or generated): set a new one before you go on.",
    ),
    ("password.title", "パスワードの変更", "Change password"),
    ("people.create", "職員を追加", "Add person"),
    (
        "people.none",
        "該当する職員はいません。",
        "No people match.",
    ),
    (
        "people.search",
        "氏名・職名で検索",
        "Search by name or title",
    ),
    ("people.title", "職員", "People"),
    ("person.roles", "役割", "Roles"),
    ("person.title", "職員情報", "Person"),
    ("policy.acknowledge", "確認しました", "I have read it"),
    (
        "policy.acknowledge_hint",
        "この版を読み、遵守することを確認してください（基本方針 5）。",
        "Confirm that you have read this version and will follow it (basic policy §5).",
    ),
    ("policy.acknowledged_at", "確認済み：", "Confirmed:"),
    ("policy.acknowledgements", "遵守確認の状況", "Confirmations"),
    ("policy.approve", "承認する", "Approve"),
    ("policy.approver", "承認者", "Approver"),
    ("policy.clauses", "節 / 条項", "Sections / clauses"),
    ("policy.confirmed", "確認済み", "Confirmed"),
    ("policy.diff", "新旧対照", "Comparison"),
    ("policy.diff.added", "追加", "Added"),
    ("policy.diff.changed", "変更", "Changed"),
    ("policy.diff.removed", "削除", "Removed"),
    (
        "policy.diff_none",
        "相違はありません。",
        "The versions do not differ.",
    ),
    (
        "policy.diff_previous",
        "前の版との新旧対照",
        "Compare with the previous version",
    ),
    ("policy.document", "ポリシー文書", "Policy document"),
    ("policy.document_title", "題名", "Title"),
    ("policy.edit", "下書きを編集", "Edit the draft"),
    ("policy.editor", "最終編集者", "Last edited by"),
    ("policy.effective_from", "施行日", "Effective from"),
    (
        "policy.error.control_character",
        "制御文字（NUL など）が含まれています。",
        "The text contains a control character (such as NUL).",
    ),
    (
        "policy.error.empty",
        "本文がありません。",
        "The text is empty.",
    ),
    (
        "policy.error.encoding",
        "文字コードを読み取れません（UTF-8 またはシフトJISで保存してください）。",
        "The text is neither UTF-8 nor Shift_JIS.",
    ),
    (
        "policy.error.line_too_long",
        "行が長すぎます。",
        "The line is too long.",
    ),
    (
        "policy.error.no_section",
        "番号の付いた節（「1 目的」「第1条」など）が見つかりません。",
        "No numbered section (such as 「1 目的」 or 「第1条」) was found.",
    ),
    (
        "policy.error.too_large",
        "本文が大きすぎます。",
        "The text is too large.",
    ),
    (
        "policy.error.too_many_lines",
        "行数が多すぎます。",
        "The text has too many lines.",
    ),
    ("policy.import", "本文の取込み", "Import a text"),
    ("policy.import_button", "取り込む", "Import"),
    (
        "policy.import_hint",
        "例規形式の本文（UTF-8 またはシフトJIS）をファイルで選ぶか、貼り付けてください。同じ機関・区分・題名の文書があれば、その新しい下書きになります。",
        "Choose a file with the text in 例規 form (UTF-8 or Shift_JIS), or paste it. If the organisation has a document of the same tier and title, the text becomes its new draft.",
    ),
    ("policy.in_force", "施行中の版", "In force"),
    ("policy.latest", "最新の版", "Latest version"),
    ("policy.no_unit", "所属なし", "No unit"),
    (
        "policy.none",
        "読める文書はありません。",
        "There is no document you may read.",
    ),
    (
        "policy.none_published",
        "公表されている基本方針はありません。",
        "No basic policy is published.",
    ),
    ("policy.not_confirmed", "未確認の職員", "Not yet confirmed"),
    (
        "policy.operator",
        "管理者（コマンドライン）",
        "Operator (command line)",
    ),
    ("policy.people", "対象者", "People"),
    ("policy.print", "印刷", "Print"),
    (
        "policy.public",
        "情報セキュリティ基本方針（公表）",
        "Information security basic policy (published)",
    ),
    (
        "policy.public_hint",
        "施行中の基本方針です。対策基準と実施手順は公表していません。",
        "The basic policy in force. The standards and procedures are not published.",
    ),
    ("policy.return", "差し戻す", "Return to draft"),
    ("policy.state", "状態", "State"),
    (
        "policy.state.approved",
        "承認済み（施行待ち）",
        "Approved (awaiting its date)",
    ),
    ("policy.state.draft", "下書き", "Draft"),
    ("policy.state.effective", "施行中", "In force"),
    ("policy.state.in_review", "審査中", "In review"),
    ("policy.state.superseded", "改定済み", "Superseded"),
    ("policy.submit", "審査に回す", "Submit for review"),
    ("policy.supplementary", "附則", "Supplementary provisions"),
    (
        "policy.tier.basic",
        "情報セキュリティ基本方針",
        "Basic policy",
    ),
    (
        "policy.tier.procedure",
        "情報セキュリティ実施手順",
        "Procedures",
    ),
    (
        "policy.tier.standard",
        "情報セキュリティ対策基準",
        "Standards",
    ),
    (
        "policy.title",
        "情報セキュリティポリシー",
        "Security policy",
    ),
    ("policy.updated", "更新日時", "Updated"),
    ("policy.version", "版", "Version"),
    ("policy.version_no", "第{n}版", "version {n}"),
    ("quarantine.address", "宛先アドレス", "Address"),
    (
        "quarantine.ambiguities",
        "構造上の問題",
        "Structural problems",
    ),
    ("quarantine.approve", "承認", "Approve"),
    ("quarantine.approver", "承認者", "Approver"),
    ("quarantine.declared", "申告された形式", "Declared type"),
    ("quarantine.delivery", "配送", "Delivery"),
    ("quarantine.detected", "検出された形式", "Detected type"),
    ("quarantine.direction", "方向", "Direction"),
    (
        "quarantine.direction.inbound",
        "受信 (インターネット → LGWAN)",
        "Inbound (Internet → LGWAN)",
    ),
    (
        "quarantine.direction.outbound",
        "送信 (LGWAN → インターネット)",
        "Outbound (LGWAN → Internet)",
    ),
    (
        "quarantine.empty",
        "隔離されたメールはありません。",
        "No quarantined mail.",
    ),
    ("quarantine.error", "エラー", "Error"),
    ("quarantine.expires", "保存期限", "Kept until"),
    ("quarantine.file_name", "ファイル名", "File name"),
    ("quarantine.from", "差出人", "From"),
    ("quarantine.hold_reason", "保留の理由", "Held because"),
    ("quarantine.id", "隔離ID", "Quarantine id"),
    (
        "quarantine.intro",
        "無害化ゲートウェイが原本を保管しているメールです。原本が必要な場合は、理由を添えて提供を申請してください。情報セキュリティ管理者が承認すると、原本があなたに届きます。",
        "Mail whose original the sanitizing gateway keeps. If you need an original, request it with a reason; once your information security manager approves, it is delivered to you.",
    ),
    ("quarantine.item", "隔離されたメール", "Quarantined message"),
    ("quarantine.my_requests", "自分の申請", "My requests"),
    ("quarantine.next_page", "次のページ", "Next page"),
    (
        "quarantine.no_email",
        "あなたの職員情報にメールアドレスが登録されていないため、宛先のメールを表示できません。",
        "Your person record has no e-mail address, so mail addressed to you cannot be shown.",
    ),
    (
        "quarantine.no_parts",
        "削除された部分はありません。",
        "No part was removed.",
    ),
    (
        "quarantine.no_requests",
        "申請はありません。",
        "No requests.",
    ),
    ("quarantine.note", "承認者のコメント", "Approver's note"),
    ("quarantine.part", "部分", "Part"),
    ("quarantine.pending", "承認待ち", "Waiting for a decision"),
    ("quarantine.reason", "申請理由", "Reason"),
    (
        "quarantine.reason.alternative",
        "表示されない代替部分",
        "Alternative part not shown",
    ),
    (
        "quarantine.reason.ambiguous-structure",
        "構造が曖昧なため削除",
        "Ambiguous structure",
    ),
    ("quarantine.reason.attachment", "添付ファイル", "Attachment"),
    (
        "quarantine.reason.encrypted-archive",
        "パスワード付きアーカイブ",
        "Password-protected archive",
    ),
    (
        "quarantine.reason.executable",
        "実行可能ファイル",
        "Executable",
    ),
    (
        "quarantine.reason.inline-image",
        "埋め込み画像",
        "Inline image",
    ),
    (
        "quarantine.reason.not-disarmable",
        "無害化できないファイル",
        "Cannot be disarmed",
    ),
    (
        "quarantine.reason.tnef",
        "TNEF (winmail.dat)",
        "TNEF (winmail.dat)",
    ),
    (
        "quarantine.reason.unrenderable",
        "テキスト化できない部分",
        "Cannot be rendered as text",
    ),
    ("quarantine.reason_removed", "削除理由", "Why removed"),
    ("quarantine.reasons", "理由", "Reasons"),
    ("quarantine.received", "受信日時", "Received"),
    ("quarantine.recent", "処理済みの申請", "Decided requests"),
    ("quarantine.recipients", "宛先", "Recipients"),
    ("quarantine.reject", "却下", "Reject"),
    ("quarantine.release_state", "原本提供", "Release"),
    ("quarantine.releases", "原本提供の承認", "Release approvals"),
    (
        "quarantine.releases_intro",
        "原本の提供申請です。申請者本人は承認できません。承認すると、原本は無害化されずに申請者へ配送されます。",
        "Requests for originals. Nobody approves their own request. An approved original is delivered to the requester without being sanitized again.",
    ),
    (
        "quarantine.removed",
        "無害化レポート: 削除した部分",
        "Sanitize report: removed parts",
    ),
    (
        "quarantine.request",
        "原本の提供を申請",
        "Request the original",
    ),
    (
        "quarantine.request_to",
        "承認されると原本が次のアドレスに届きます:",
        "Once approved, the original is delivered to:",
    ),
    ("quarantine.requested", "申請日時", "Requested"),
    ("quarantine.requester", "申請者", "Requester"),
    ("quarantine.requests", "原本の提供申請", "Release requests"),
    ("quarantine.size", "サイズ (バイト)", "Size (bytes)"),
    ("quarantine.state", "状態", "State"),
    (
        "quarantine.state.approved",
        "承認済み (配送待ち)",
        "Approved (awaiting delivery)",
    ),
    ("quarantine.state.delivered", "配送済み", "Delivered"),
    ("quarantine.state.failed", "配送失敗", "Delivery failed"),
    ("quarantine.state.rejected", "却下", "Rejected"),
    ("quarantine.state.requested", "申請中", "Requested"),
    ("quarantine.subject", "件名", "Subject"),
    ("quarantine.title", "隔離メール", "Quarantined mail"),
    ("quarantine.verdict", "判定", "Verdict"),
    ("quarantine.verdict.held", "送信保留", "Held (outbound)"),
    (
        "quarantine.verdict.quarantined",
        "全体を隔離",
        "Quarantined whole",
    ),
    ("quarantine.verdict.sanitized", "無害化済み", "Sanitized"),
    (
        "refusal.control",
        "{field}に使用できない文字（制御文字・不可視文字）が含まれています。",
        "{field} contains control or invisible characters.",
    ),
    (
        "refusal.invalid",
        "{field}の形式が正しくありません。",
        "{field} is not in a valid format.",
    ),
    (
        "refusal.not_allowed",
        "{field}の値は使用できません。",
        "{field} cannot be used.",
    ),
    (
        "refusal.required",
        "{field}を入力してください。",
        "{field} is required.",
    ),
    (
        "refusal.too_long",
        "{field}は{max}文字以内で入力してください。",
        "{field} must be at most {max} characters.",
    ),
    (
        "refusal.too_short",
        "{field}は{min}文字以上で入力してください。",
        "{field} must be at least {min} characters.",
    ),
    (
        "refusal.unknown",
        "{field}の値が選択肢にありません。",
        "{field} is not one of the allowed values.",
    ),
    (
        "requirement.audit_rights",
        "監査・検査の権利",
        "Right to audit and inspect",
    ),
    ("requirement.confidentiality", "秘密保持", "Confidentiality"),
    (
        "requirement.incident_reporting",
        "事故時の報告",
        "Reporting of incidents",
    ),
    (
        "requirement.personnel",
        "従事者の管理",
        "Management of the people doing the work",
    ),
    (
        "requirement.purpose_limitation",
        "目的外利用の禁止",
        "No use beyond the agreed purpose",
    ),
    (
        "requirement.return_disposal",
        "情報の返却・廃棄",
        "Return and disposal of information",
    ),
    (
        "requirement.security_reporting",
        "安全管理措置の報告",
        "Reporting on security measures",
    ),
    (
        "requirement.subcontracting",
        "再委託の制限（事前の書面承諾）",
        "No subcontracting without written consent",
    ),
    (
        "requirement.training",
        "従事者への教育の実施",
        "Training of the people doing the work",
    ),
    (
        "requirement.work_location",
        "作業場所・持出しの制限",
        "Work location and taking-out restricted",
    ),
    (
        "review.cite_incidents",
        "終結したインシデントを取り上げる",
        "Cite closed incidents",
    ),
    ("review.create", "見直しを記録する", "Record a review"),
    ("review.decisions", "決定事項", "Decisions"),
    (
        "review.environment",
        "環境の変化",
        "Changes in the environment",
    ),
    ("review.held_on", "実施日", "Held on"),
    (
        "review.incidents",
        "取り上げたインシデント",
        "Incidents cited",
    ),
    ("review.input.audit", "監査", "Audit"),
    ("review.input.incident", "インシデント", "Incident"),
    ("review.input.inspection", "自己点検", "Self-inspection"),
    ("review.input.risk", "リスク", "Risk"),
    ("review.inputs", "検討した事項", "Inputs"),
    (
        "review.led_to",
        "この版の元になった見直し",
        "Reviews that led to this version",
    ),
    (
        "review.link_version",
        "改定した版を結び付ける",
        "Link a policy version it led to",
    ),
    ("review.name", "件名", "Title"),
    (
        "review.none",
        "見直しの記録はまだありません。",
        "No reviews yet.",
    ),
    ("review.one", "見直し", "Review"),
    ("review.policy", "ポリシー", "Policy"),
    ("review.title", "見直し", "Reviews"),
    ("review.version", "版", "Version"),
    ("review.versions", "改定した版", "Versions it led to"),
    ("risk.accept", "受容を決定する", "Accept the risk"),
    (
        "risk.accept_help",
        "現在の評価のまま受容します。しきい値（{level}）を超えるリスクの受容は最高情報セキュリティ責任者（CISO）が決定し、リスク所有者は受容できません。",
        "Accepts the risk as it is rated now. Above the threshold ({level}) acceptance is the CISO's decision, never the owner's.",
    ),
    (
        "risk.accept_threshold",
        "このレベルを超えるリスクの受容はCISOが判断する",
        "Accepting a risk above this level is the CISO's decision",
    ),
    ("risk.accepted_by", "受容の決定", "Accepted by"),
    ("risk.all", "すべて", "All"),
    (
        "risk.assets_help",
        "情報資産のID（カンマ区切り）",
        "Asset IDs, separated by commas",
    ),
    ("risk.colours", "レベルの色", "Colours of the levels"),
    ("risk.create", "リスクを登録", "Record a risk"),
    ("risk.edit", "リスクの更新", "Edit the risk"),
    ("risk.heatmap", "ヒートマップ", "Heat map"),
    ("risk.impact", "影響度", "Impact"),
    ("risk.inherent", "固有リスク", "Inherent risk"),
    ("risk.level", "リスクレベル", "Level"),
    ("risk.level.critical", "極めて高い", "Critical"),
    ("risk.level.high", "高", "High"),
    ("risk.level.low", "低", "Low"),
    ("risk.level.medium", "中", "Medium"),
    ("risk.likelihood", "発生可能性", "Likelihood"),
    ("risk.matrix", "リスクマトリクス", "Risk matrix"),
    (
        "risk.matrix_help",
        "発生可能性と影響度の組合せごとのリスクレベルです。段階の数はAPIで変更できます。変更すると、すべてのリスクのレベルが再計算されます。",
        "The level of each combination of likelihood and impact. The number of steps is changed through the API. A change levels every risk again.",
    ),
    (
        "risk.measures_help",
        "対策項目のURNまたはコード（一行に一つ）",
        "Measure URNs or codes, one a line",
    ),
    ("risk.name", "リスク名", "Risk"),
    (
        "risk.none",
        "該当するリスクはありません。",
        "No risks match.",
    ),
    ("risk.one", "リスク", "Risk"),
    ("risk.overdue", "見直し期限切れ", "Review overdue"),
    ("risk.overdue_only", "見直し期限切れのみ", "Overdue only"),
    ("risk.owner", "リスク所有者", "Owner"),
    ("risk.residual", "残留リスク", "Residual risk"),
    (
        "risk.residual_help",
        "対策後の評価（未評価なら空欄）",
        "After the measures (blank while not rated)",
    ),
    ("risk.review_on", "見直し期日", "Review date"),
    (
        "risk.threats_help",
        "脅威のコード（カンマ区切り）",
        "Threat codes, separated by commas",
    ),
    ("risk.title", "リスク台帳", "Risk register"),
    ("risk.treatment", "対応方針", "Treatment"),
    ("risk.treatment.accept", "受容", "Accept"),
    ("risk.treatment.avoid", "回避", "Avoid"),
    ("risk.treatment.reduce", "低減", "Reduce"),
    ("risk.treatment.transfer", "移転", "Transfer"),
    (
        "risk.treatment_help",
        "受容は「受容を決定する」で行います。内容を更新すると受容は取り消され、改めて決定が必要です。",
        "Acceptance is decided with \"Accept the risk\". Editing a risk withdraws its acceptance, to be decided again.",
    ),
    ("risk.unit", "課室", "Unit"),
    ("role.auditor", "監査人", "Auditor"),
    (
        "role.ciso",
        "最高情報セキュリティ責任者（CISO）",
        "Chief information security officer (CISO)",
    ),
    ("role.contractor", "委託事業者", "Contractor"),
    ("role.csirt", "CSIRT", "CSIRT"),
    ("role.none", "役割はありません。", "No roles."),
    (
        "role.security_director",
        "統括情報セキュリティ責任者",
        "Information security director",
    ),
    (
        "role.security_manager",
        "情報セキュリティ管理者",
        "Information security manager",
    ),
    (
        "role.security_officer",
        "情報セキュリティ責任者",
        "Information security officer",
    ),
    ("role.staff", "職員", "Staff"),
    (
        "role.system_administrator",
        "情報システム管理者",
        "Information system administrator",
    ),
    ("rules.any_segment", "制限なし", "Any"),
    ("rules.dimension", "観点", "Dimension"),
    ("rules.disposal", "廃棄方法", "Disposal"),
    ("rules.encrypt_at_rest", "保存時の暗号化", "Encrypt at rest"),
    (
        "rules.encrypt_in_transit",
        "送信時の暗号化",
        "Encrypt in transit",
    ),
    (
        "rules.existence_visible",
        "存在を他課にも示す",
        "Others may know it exists",
    ),
    ("rules.level", "段階", "Level"),
    ("rules.restricted", "閲覧制限", "Restricted"),
    ("rules.segments", "配置できるセグメント", "Allowed segments"),
    ("rules.storage", "保管場所", "Storage"),
    ("rules.take_out", "庁外持ち出し", "Taking out"),
    ("rules.take_out_allowed", "可", "Allowed"),
    (
        "rules.take_out_approval",
        "許可を得た場合のみ",
        "With approval only",
    ),
    ("rules.take_out_forbidden", "禁止", "Forbidden"),
    ("scope.global", "全体", "Whole organisation"),
    ("scope.organisation", "機関", "Organisation"),
    ("scope.system", "情報システム", "Information system"),
    ("scope.unit", "課室", "Unit"),
    ("segments.create", "セグメントを追加", "Add segment"),
    (
        "segments.title",
        "ネットワークセグメント",
        "Network segments",
    ),
    ("sessions.current", "この端末", "This device"),
    (
        "sessions.title",
        "ログイン中のセッション",
        "Active sessions",
    ),
    (
        "sheet.cell.control",
        "「{header}」に使えない文字（制御文字など）が含まれています。",
        "“{header}” contains characters that are not allowed (control characters).",
    ),
    (
        "sheet.cell.date",
        "「{header}」は日付（例: 2026-11-25、令和8年11月25日）で入力してください:「{value}」",
        "“{header}” must be a date such as 2026-11-25: “{value}”",
    ),
    (
        "sheet.cell.disposal_required",
        "状態が廃棄済みのときは「{header}」が必要です。",
        "“{header}” is required when the status is disposed.",
    ),
    (
        "sheet.cell.id_repeated",
        "管理番号「{value}」は {first} 行目と重複しています。",
        "The ID “{value}” is also used in row {first}.",
    ),
    (
        "sheet.cell.id_taken",
        "管理番号「{value}」は既に登録されています。",
        "The ID “{value}” is already registered.",
    ),
    (
        "sheet.cell.invalid",
        "「{header}」の形式が正しくありません:「{value}」",
        "“{header}” is not in a valid format: “{value}”",
    ),
    (
        "sheet.cell.not_allowed",
        "「{header}」の値「{value}」は許可されていません。",
        "“{value}” is not allowed for “{header}”.",
    ),
    (
        "sheet.cell.person_unknown",
        "管理者「{value}」は登録されていません。",
        "The person “{value}” is not registered.",
    ),
    (
        "sheet.cell.required",
        "「{header}」は必須です。",
        "“{header}” is required.",
    ),
    (
        "sheet.cell.segment_unknown",
        "セグメント「{value}」は登録されていません。",
        "The segment “{value}” is not registered.",
    ),
    (
        "sheet.cell.too_long",
        "「{header}」は {max} 文字以内にしてください。",
        "“{header}” must be at most {max} characters.",
    ),
    (
        "sheet.cell.too_short",
        "「{header}」は {min} 文字以上にしてください。",
        "“{header}” must be at least {min} characters.",
    ),
    (
        "sheet.cell.unit_unknown",
        "所有課室「{value}」は登録されていません。",
        "The unit “{value}” is not registered.",
    ),
    (
        "sheet.cell.unknown",
        "「{header}」の値「{value}」は使えません。",
        "“{value}” is not a known value for “{header}”.",
    ),
    (
        "sheet.cell.unmapped",
        "見出しのない列にデータがあります。",
        "There is data in a column without a header.",
    ),
    (
        "sheet.column.missing",
        "必須の列「{header}」がありません。",
        "The required column “{header}” is missing.",
    ),
    (
        "sheet.column.repeated",
        "見出し「{header}」が重複しています。",
        "The column “{header}” appears more than once.",
    ),
    (
        "sheet.column.unknown",
        "見出し「{value}」は不明な列です。",
        "Unknown column header “{value}”.",
    ),
    (
        "sheet.file.cell_too_large",
        "{row} 行目 {column} 列のセルが上限（{max} 文字）を超えています。",
        "The cell in row {row}, column {column} holds more than {max} characters.",
    ),
    (
        "sheet.file.empty",
        "ファイルが空です。",
        "The file is empty.",
    ),
    (
        "sheet.file.encoding",
        "文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。",
        "The text encoding is not recognised (save the file as UTF-8 or Shift_JIS).",
    ),
    (
        "sheet.file.legacy_excel",
        "古い形式（.xls）または暗号化された Excel ファイルは読み込めません。.xlsx 形式で保存し直してください。",
        "Old-format (.xls) or encrypted Excel files cannot be read; save the file as .xlsx.",
    ),
    (
        "sheet.file.malformed",
        "ファイルが壊れているため読み込めません。",
        "The file is damaged and cannot be read.",
    ),
    (
        "sheet.file.no_worksheet",
        "ワークシートがありません。",
        "The workbook has no worksheet.",
    ),
    (
        "sheet.file.not_spreadsheet",
        "表計算ファイル（.xlsx または CSV）ではありません。",
        "The file is not a spreadsheet (.xlsx or CSV).",
    ),
    (
        "sheet.file.too_large",
        "ファイルの内容が大きすぎます。",
        "The content of the file is too large.",
    ),
    (
        "sheet.file.too_many_columns",
        "列数が上限（{max} 列）を超えています。",
        "The file has more than {max} columns.",
    ),
    (
        "sheet.file.too_many_rows",
        "行数が上限（{max} 行）を超えています。",
        "The file has more than {max} rows.",
    ),
    (
        "sheet.file.unrepresentable",
        "{row} 行目 {column} 列の文字「{character}」は Shift_JIS で表せません。UTF-8 で出力してください。",
        "The character “{character}” in row {row}, column {column} cannot be written in Shift_JIS; export as UTF-8 instead.",
    ),
    (
        "sheet.file.write",
        "ファイルを作成できませんでした。",
        "The file could not be created.",
    ),
    (
        "sheet.more_problems",
        "ほかに {count} 件の誤りがあります（最初の {shown} 件のみ表示）。",
        "{count} more problems (only the first {shown} are listed).",
    ),
    (
        "sheet.no_data_rows",
        "データの行がありません。",
        "The sheet has no data rows.",
    ),
    ("social.due", "次回点検期限", "Next review due"),
    ("social.edit", "SNSアカウントを編集", "Edit the account"),
    (
        "social.flag.no_owner",
        "責任者不在",
        "No responsible person",
    ),
    (
        "social.flag.no_two_factor",
        "二要素認証なし",
        "No two-factor authentication",
    ),
    (
        "social.flag.review_overdue",
        "点検期限超過",
        "Review overdue",
    ),
    (
        "social.help",
        "組織が運用するソーシャルメディアのアカウントと、その責任者、発信してよい内容、二要素認証、点検の記録です。責任者不在・二要素認証なし・点検期限超過のアカウントには警告が出ます。",
        "The organisation's social-media accounts with their responsible person, what may be published, two-factor authentication and reviews. An account without a responsible person in post, without two-factor authentication or overdue for review is flagged.",
    ),
    ("social.last_review", "前回の点検", "Last review"),
    (
        "social.none",
        "登録されたSNSアカウントはありません。",
        "No social-media accounts are registered.",
    ),
    ("social.one", "SNSアカウント", "Social-media account"),
    ("social.record_review", "点検を記録", "Record a review"),
    (
        "social.register",
        "SNSアカウントを登録",
        "Register an account",
    ),
    ("social.reviews", "点検の記録", "Reviews"),
    (
        "social.reviews_none",
        "点検の記録はありません。",
        "No reviews recorded.",
    ),
    (
        "social.rules_help",
        "発信してよい内容、承認の手順、なりすまし・炎上時の対応など。",
        "What may be published, who approves it, what to do about impersonation or a backlash.",
    ),
    ("social.title", "SNSアカウント", "Social-media accounts"),
    (
        "social.two_factor",
        "二要素認証",
        "Two-factor authentication",
    ),
    ("sort.class", "分類（高い順）", "Class (highest first)"),
    ("sort.kind", "種別", "Kind"),
    ("sort.name", "名称", "Name"),
    (
        "sort.updated",
        "更新日時（新しい順）",
        "Updated (newest first)",
    ),
    (
        "summary.by_confidentiality",
        "機密性別",
        "By confidentiality",
    ),
    ("summary.by_segment", "セグメント別", "By segment"),
    ("summary.by_unit", "所管課室別", "By owner unit"),
    ("summary.flagged", "要確認", "Flagged"),
    ("summary.none", "（未設定）", "(none)"),
    ("summary.title", "情報資産の集計", "Register summary"),
    ("summary.total", "登録件数", "Assets registered"),
    ("threat.category", "分類", "Category"),
    (
        "threat.category.accidental",
        "非意図的要因（規定違反・不備・誤り・故障）",
        "Unintentional (breaches, defects, mistakes, failures)",
    ),
    ("threat.category.disaster", "災害", "Disaster"),
    (
        "threat.category.infrastructure",
        "インフラの障害",
        "Infrastructure outage",
    ),
    (
        "threat.category.intentional",
        "意図的要因（サイバー攻撃・侵入・内部不正）",
        "Intentional (cyber attack, intrusion, insiders)",
    ),
    (
        "threat.category.pandemic",
        "疾病による要員不足",
        "Staff shortage through illness",
    ),
    ("threat.code", "コード", "Code"),
    ("threat.create", "脅威を追加", "Add a threat"),
    ("threat.name_en", "名称（英語）", "Name (English)"),
    ("threat.name_ja", "名称（日本語）", "Name (Japanese)"),
    ("threat.title", "脅威", "Threats"),
    ("tokens.created", "発行日時", "Created"),
    ("tokens.expired", "期限切れ", "expired"),
    ("tokens.expires", "有効期限", "Expires"),
    (
        "tokens.help",
        "APIトークンは /api/v1 でのみ使えます。発行はコマンドライン（mamori token create）で行います。パスワードを変更すると、すべて取り消されます。",
        "API tokens open /api/v1 only. They are issued on the command line (mamori token create). Changing your password revokes them all.",
    ),
    ("tokens.last_used", "最終利用", "Last used"),
    (
        "tokens.manage",
        "APIトークンの確認と取消",
        "See and revoke your API tokens",
    ),
    ("tokens.never_used", "未使用", "never"),
    (
        "tokens.none",
        "有効なAPIトークンはありません。",
        "You have no API tokens.",
    ),
    ("tokens.read_only", "読み取り専用", "Read-only"),
    ("tokens.read_write", "読み書き", "Read and write"),
    ("tokens.scope", "権限", "Scope"),
    ("tokens.title", "APIトークン", "API tokens"),
    (
        "totp.current_code",
        "現在の確認コードまたはリカバリーコード",
        "Current verification code or a recovery code",
    ),
    (
        "totp.disable",
        "二要素認証を解除",
        "Turn off two-factor authentication",
    ),
    (
        "totp.enabled",
        "二要素認証は有効です。",
        "Two-factor authentication is on.",
    ),
    (
        "totp.enrol",
        "二要素認証を設定",
        "Set up two-factor authentication",
    ),
    (
        "totp.enrol_help",
        "認証アプリでQRコードを読み取り、表示された6桁のコードを入力してください。",
        "Scan the QR code with your authenticator app and enter the 6-digit code it shows.",
    ),
    (
        "totp.off",
        "二要素認証は設定されていません。",
        "Two-factor authentication is off.",
    ),
    (
        "totp.recovery_codes",
        "リカバリーコード（一度だけ表示されます。安全な場所に保管してください）",
        "Recovery codes (shown once; keep them somewhere safe)",
    ),
    (
        "totp.replace",
        "認証アプリを変更する",
        "Replace the authenticator app",
    ),
    ("totp.secret", "手入力用のキー", "Key for manual entry"),
    ("training.assign", "対象者に再割当て", "Assign again"),
    (
        "training.assign_help",
        "開設後に対象となった職員に割り当てます。毎年度実施の研修は、新しい年度に入っていれば、その年度の期限で全員に割り当て直します。",
        "Assigns the course to those who joined its audience since it opened. A yearly course, once a new year has begun, is assigned to everyone again with that year's due date.",
    ),
    ("training.assigned", "対象者数", "Assigned"),
    (
        "training.assigned_n",
        "{n}人に新しく割り当てました。",
        "Assigned to {n} more people.",
    ),
    ("training.audience", "対象者", "Audience"),
    ("training.audience_all", "全職員", "All staff"),
    ("training.audience_roles", "対象の役割", "Roles"),
    ("training.audience_units", "対象の課室", "Units"),
    ("training.code", "コード", "Code"),
    ("training.complete", "完了", "Done"),
    ("training.complete_for", "完了を記録", "Record as done"),
    ("training.completed", "完了", "Completed"),
    ("training.completed_on", "完了日", "Completed on"),
    ("training.course", "研修コース", "Course"),
    ("training.courses", "研修コース", "Courses"),
    (
        "training.courses_none",
        "研修コースはまだありません。",
        "No courses yet.",
    ),
    ("training.create", "研修コースを開設", "Open a course"),
    (
        "training.create_help",
        "開設すると対象者全員に割り当てます。対象を選ばなければ全職員（委託事業者を除く）が対象です。役割と課室の両方を選ぶと、その課室でその役割を持つ人が対象です。",
        "Opening a course assigns it to everyone in its audience. Without an audience it is everyone on the staff (contractors excepted); with both roles and units, those of the units who hold one of the roles.",
    ),
    ("training.due_on", "期限", "Due"),
    ("training.import", "受講記録の取込み", "Import completions"),
    (
        "training.import.bad_date",
        "「{value}」は日付として読めません（例：2026-11-20）。",
        "“{value}” is not a date (e.g. 2026-11-20).",
    ),
    (
        "training.import.duplicate",
        "{first}行目と同じ職員と研修コースです。",
        "The same person and course as row {first}.",
    ),
    (
        "training.import.duplicate_column",
        "「{column}」の列が2つあります。",
        "The “{column}” column appears twice.",
    ),
    (
        "training.import.future_date",
        "完了日「{value}」が今日より後です。",
        "The completion date “{value}” is after today.",
    ),
    (
        "training.import.missing_column",
        "見出しに「{column}」の列がありません。",
        "The header has no “{column}” column.",
    ),
    (
        "training.import.missing_value",
        "「{column}」が空欄です。",
        "“{column}” is empty.",
    ),
    (
        "training.import.no_rows",
        "取り込む行がありません。",
        "There are no rows to import.",
    ),
    (
        "training.import.not_assigned",
        "この職員にはこの研修コースが割り当てられていません。",
        "This person is not assigned this course.",
    ),
    (
        "training.import.unknown_course",
        "コード「{value}」の研修コースがありません。",
        "No course has the code “{value}”.",
    ),
    (
        "training.import.unknown_person",
        "「{value}」に当たる職員がいません。",
        "No person has “{value}”.",
    ),
    (
        "training.import_help",
        "学習管理システムから書き出したCSV（UTF-8、BOM付き、Shift_JIS）を取り込みます。列は見出しで判断します：email または login、course（コースコード）、completed_on（完了日）。1行でも誤りがあれば何も取り込みません。",
        "A CSV exported from a learning-management system (UTF-8 with or without BOM, or Shift_JIS). Columns are found by their header: email or login, course (the course code), completed_on. Nothing is imported when any row is wrong.",
    ),
    (
        "training.imported",
        "{completed}件の完了を取り込みました（記録済み{unchanged}件）。",
        "Imported {completed} completions ({unchanged} already recorded).",
    ),
    ("training.members", "受講状況", "Who has done it"),
    ("training.mine", "あなたの研修", "Your training"),
    (
        "training.mine_none",
        "割り当てられた研修はありません。",
        "No training is assigned to you.",
    ),
    ("training.once", "1回限り", "Once"),
    ("training.overdue", "期限超過", "Overdue"),
    ("training.pending", "未完了の職員", "Not yet completed"),
    (
        "training.pending_none",
        "全員が完了しています。",
        "Everyone has completed it.",
    ),
    ("training.person", "氏名", "Name"),
    (
        "training.progress",
        "課室ごとの受講状況",
        "Progress by unit",
    ),
    ("training.rate", "完了率", "Completed"),
    ("training.source", "記録", "Recorded by"),
    ("training.source.admin", "管理者", "An administrator"),
    ("training.source.import", "取込み", "Import"),
    ("training.source.self", "本人", "The person"),
    ("training.standing", "状況", "Status"),
    ("training.standing.completed", "完了", "Completed"),
    ("training.standing.due_soon", "期限間近", "Due soon"),
    ("training.standing.open", "未完了", "Not yet done"),
    ("training.standing.overdue", "期限超過", "Overdue"),
    ("training.title", "研修・教育", "Training"),
    ("training.total", "合計", "Total"),
    ("training.unit", "課室", "Unit"),
    ("training.year", "年度", "Year"),
    ("training.yearly", "毎年度実施", "Every year"),
    ("unit.create", "部局・課室を追加", "Add unit"),
    ("unit.people", "所属職員", "Members"),
    ("unit.title", "部局・課室", "Unit"),
    ("verification.outcome.met", "適合", "Met"),
    ("verification.outcome.not_met", "不適合", "Not met"),
    ("verification.outcome.partly", "一部不適合", "Partly met"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sorted_and_unique() {
        for pair in MESSAGES.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{} must sort before {}",
                pair[0].0,
                pair[1].0
            );
        }
    }

    #[test]
    fn every_value_named_by_a_domain_type_has_its_text_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let mut texts: Vec<&str> = Vec::new();
            texts.extend(Role::ALL.iter().map(|r| lang.role(*r)));
            texts.extend(AssetKind::ALL.iter().map(|k| lang.kind(*k)));
            texts.extend(
                [
                    Lifecycle::Planned,
                    Lifecycle::InUse,
                    Lifecycle::Retired,
                    Lifecycle::Disposed,
                ]
                .into_iter()
                .map(|l| lang.lifecycle(l)),
            );
            texts.extend(Dimension::ALL.iter().map(|d| lang.dimension(*d)));
            texts.extend(
                [TakeOut::Forbidden, TakeOut::WithApproval, TakeOut::Allowed]
                    .into_iter()
                    .map(|t| lang.take_out(t)),
            );
            assert!(texts.iter().all(|t| !t.is_empty()), "{lang:?}: {texts:?}");
        }
    }

    #[test]
    fn every_flag_has_its_explanation() {
        use crate::asset::Flag;
        let flags = [
            Flag::UnknownLevel {
                dimension: Dimension::Confidentiality,
                code: "9".into(),
            },
            Flag::SegmentForbidden {
                segment: "INET".into(),
                level: "3".into(),
            },
            Flag::UnknownSegment {
                segment: "X".into(),
            },
            Flag::AddressOutsideSegment {
                address: "10.0.0.1".parse().unwrap(),
                segment: "LGWAN".into(),
            },
            Flag::DisposalUnrecorded,
            Flag::SplitReview {
                from: "3".into(),
                to: "3A".into(),
            },
        ];
        for flag in &flags {
            // A new variant must be added above: this match has no wildcard.
            match flag {
                Flag::UnknownLevel { .. }
                | Flag::SegmentForbidden { .. }
                | Flag::UnknownSegment { .. }
                | Flag::AddressOutsideSegment { .. }
                | Flag::DisposalUnrecorded
                | Flag::SplitReview { .. } => {}
            }
            assert!(Lang::has(flag.key()), "{flag:?}");
        }
    }

    #[test]
    fn both_languages_of_a_row_name_the_same_placeholders() {
        fn placeholders(text: &str) -> Vec<&str> {
            let mut out: Vec<&str> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
                .collect();
            out.sort_unstable();
            out
        }
        for (key, ja, en) in MESSAGES {
            assert_eq!(placeholders(ja), placeholders(en), "{key}");
        }
        assert_eq!(
            Lang::Ja.fill(
                "sheet.cell.id_repeated",
                &[("value", "A-1".into()), ("first", "3".into())]
            ),
            "管理番号「A-1」は 3 行目と重複しています。"
        );
    }

    #[test]
    fn every_row_has_both_languages() {
        for (key, ja, en) in MESSAGES {
            assert!(!ja.trim().is_empty() && !en.trim().is_empty(), "{key}");
        }
    }

    #[test]
    fn an_unknown_key_shows_as_itself() {
        assert_eq!(Lang::Ja.t("no-such-key"), "no-such-key");
        assert_eq!(Lang::En.lookup("no-such-key"), None);
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,ja;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("ja,en-US;q=0.9"), Some(Lang::Ja));
        assert_eq!(
            Lang::from_accept_language("fr-FR, en;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(Lang::from_accept_language(";;;,q=abc"), None);
    }
}
