//! 情報資産の分類 (seed §6(2)): three independent scales — 機密性, 完全性, 可用性 — whose levels,
//! names, definitions and handling rules are data. [`Scales::mic_default`] gives the levels of
//! the MIC guideline; a site edits them or switches on the 3A/3B/3C split of 機密性3.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::text::{FieldError, FieldErrorKind};

/// One of the three properties that 情報セキュリティ maintains (seed §2(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// 機密性.
    Confidentiality,
    /// 完全性.
    Integrity,
    /// 可用性.
    Availability,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [
        Dimension::Confidentiality,
        Dimension::Integrity,
        Dimension::Availability,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Confidentiality => "confidentiality",
            Dimension::Integrity => "integrity",
            Dimension::Availability => "availability",
        }
    }

    /// The Japanese name used in labels such as 機密性3.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Confidentiality => "機密性",
            Dimension::Integrity => "完全性",
            Dimension::Availability => "可用性",
        }
    }
}

/// Whether an asset of a level may be taken out of the building (庁外持ち出し).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeOut {
    Forbidden,
    /// 情報セキュリティ管理者の許可を得た場合に限る.
    WithApproval,
    Allowed,
}

/// How assets of a level must be handled (取扱制限).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingRules {
    /// Shown in detail only to the owner unit and security roles; others see at most that such
    /// an asset exists. Reads are written to the audit trail.
    pub restricted: bool,
    /// Whether others may see that the asset exists at all (by name, in lists).
    pub existence_visible: bool,
    pub encrypt_at_rest: bool,
    pub encrypt_in_transit: bool,
    /// Where it may be stored, as the policy words it (e.g. 庁内サーバ, 施錠できる書庫).
    pub storage: String,
    /// Codes of the segments it may live in; empty means any segment.
    pub allowed_segments: Vec<String>,
    pub take_out: TakeOut,
    /// How it must be disposed of (e.g. 物理的破壊又は専用ソフトによる完全消去).
    pub disposal: String,
}

impl HandlingRules {
    fn open() -> Self {
        Self {
            restricted: false,
            existence_visible: true,
            encrypt_at_rest: false,
            encrypt_in_transit: false,
            storage: String::new(),
            allowed_segments: Vec::new(),
            take_out: TakeOut::Allowed,
            disposal: String::new(),
        }
    }

    /// Whether an asset of this level may live in the segment with this code.
    pub fn allows_segment(&self, segment: &str) -> bool {
        self.allowed_segments.is_empty() || self.allowed_segments.iter().any(|s| s == segment)
    }
}

/// One level of a scale, e.g. 機密性3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Short code stored with assets and used in imports: `3`, `3A`, `2`, `1`.
    pub code: String,
    /// Display name, e.g. `機密性3`.
    pub name: String,
    /// The definition from the policy (分類基準).
    pub definition: String,
    /// Higher is more sensitive; levels of one scale have distinct ranks.
    pub rank: u8,
    pub rules: HandlingRules,
}

/// The levels of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scale {
    pub dimension: Dimension,
    pub levels: Vec<Level>,
}

impl Scale {
    pub fn level(&self, code: &str) -> Option<&Level> {
        let code = code.trim();
        self.levels
            .iter()
            .find(|l| l.code.eq_ignore_ascii_case(code))
    }

    /// Reads a level as people write it in a register: `3`, `3A`, `機密性3`, `機密性３Ａ`
    /// (full-width, folded by NFKC as the sheet import reads every cell).
    pub fn parse_level(&self, field: &'static str, raw: &str) -> Result<&Level, FieldError> {
        let normalised: String = raw.trim().nfkc().collect();
        let code = normalised
            .strip_prefix(self.dimension.label())
            .unwrap_or(&normalised);
        if code.is_empty() {
            return Err(FieldError::new(field, FieldErrorKind::Required));
        }
        self.level(code)
            .ok_or_else(|| FieldError::new(field, FieldErrorKind::UnknownValue))
    }

    /// Checks that the scale can be used: at least one level, unique codes and ranks, and codes
    /// that are short and printable.
    pub fn validate(&self) -> Result<(), FieldError> {
        let field = "levels";
        if self.levels.is_empty() {
            return Err(FieldError::new(field, FieldErrorKind::Required));
        }
        for (i, level) in self.levels.iter().enumerate() {
            if level.code.is_empty()
                || level.code.len() > 8
                || !level.code.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(FieldError::new(field, FieldErrorKind::InvalidFormat));
            }
            if self.levels[..i].iter().any(|other| {
                other.code.eq_ignore_ascii_case(&level.code) || other.rank == level.rank
            }) {
                return Err(FieldError::new(field, FieldErrorKind::NotAllowed));
            }
        }
        Ok(())
    }
}

/// What an editor may change of one level: everything but its code and rank, which assets and
/// the register's order depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelEdit {
    pub name: String,
    pub definition: String,
    pub rules: HandlingRules,
}

impl LevelEdit {
    /// Longest definition (分類基準) a level may carry.
    pub const MAX_DEFINITION: usize = 2000;
    /// Longest storage or disposal rule.
    pub const MAX_RULE: usize = 500;

    /// Checks every field and gives back every refusal at once, with the segment codes trimmed,
    /// upper-cased and without repeats. `known_segments` are the codes a level may name.
    pub fn validate(mut self, known_segments: &[&str]) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut text = |field: &'static str, value: &str, max: usize, required: bool| -> String {
            match crate::text::parse_note(field, value) {
                Err(e) => {
                    errors.push(e);
                    String::new()
                }
                Ok(v) if required && v.is_empty() => {
                    errors.push(FieldError::new(field, FieldErrorKind::Required));
                    v
                }
                Ok(v) if v.chars().count() > max => {
                    errors.push(FieldError::new(field, FieldErrorKind::TooLong { max }));
                    v
                }
                Ok(v) if field == "level_name" && v.contains(['\n', '\r', '\t']) => {
                    errors.push(FieldError::new(field, FieldErrorKind::ControlCharacter));
                    v
                }
                Ok(v) => v,
            }
        };
        self.name = text("level_name", &self.name, 50, true);
        self.definition = text("definition", &self.definition, Self::MAX_DEFINITION, false);
        self.rules.storage = text("storage", &self.rules.storage, Self::MAX_RULE, false);
        self.rules.disposal = text("disposal", &self.rules.disposal, Self::MAX_RULE, false);
        let mut segments: Vec<String> = Vec::new();
        for raw in &self.rules.allowed_segments {
            let code = raw.trim().to_ascii_uppercase();
            if code.is_empty() || segments.contains(&code) {
                continue;
            }
            if !known_segments.iter().any(|k| k.eq_ignore_ascii_case(&code)) {
                errors.push(FieldError::new(
                    "allowed_segments",
                    FieldErrorKind::UnknownValue,
                ));
                break;
            }
            segments.push(code);
        }
        self.rules.allowed_segments = segments;
        // A level hidden from others must be restricted too: existence is all that is hidden.
        if !self.rules.existence_visible && !self.rules.restricted {
            errors.push(FieldError::new(
                "existence_visible",
                FieldErrorKind::NotAllowed,
            ));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

impl Scale {
    /// The scale with the level of `code` changed as `edit` says (its code and rank kept).
    pub fn with_level(&self, code: &str, edit: LevelEdit) -> Option<Scale> {
        let mut scale = self.clone();
        let level = scale
            .levels
            .iter_mut()
            .find(|l| l.code.eq_ignore_ascii_case(code.trim()))?;
        level.name = edit.name;
        level.definition = edit.definition;
        level.rules = edit.rules;
        Some(scale)
    }

    /// The scale with segment code `old` replaced by `new` in every level's allowed segments
    /// (no repeats left), for when a segment's code is changed. `None` when no level names `old`.
    pub fn with_segment_renamed(&self, old: &str, new: &str) -> Option<Scale> {
        let mut scale = self.clone();
        let mut changed = false;
        for level in &mut scale.levels {
            let segments = &mut level.rules.allowed_segments;
            if !segments.iter().any(|s| s.eq_ignore_ascii_case(old)) {
                continue;
            }
            changed = true;
            let mut renamed: Vec<String> = Vec::with_capacity(segments.len());
            for code in segments.drain(..) {
                let code = if code.eq_ignore_ascii_case(old) {
                    new.to_owned()
                } else {
                    code
                };
                if !renamed.iter().any(|c| c.eq_ignore_ascii_case(&code)) {
                    renamed.push(code);
                }
            }
            *segments = renamed;
        }
        changed.then_some(scale)
    }

    /// Whether any level of the scale names segment `code` among its allowed segments.
    pub fn names_segment(&self, code: &str) -> bool {
        self.levels.iter().any(|l| {
            l.rules
                .allowed_segments
                .iter()
                .any(|s| s.eq_ignore_ascii_case(code))
        })
    }

    /// Whether this 機密性 scale has 3A/3B/3C in place of 3.
    pub fn is_split_3(&self) -> bool {
        self.level("3").is_none() && self.level("3A").is_some()
    }

    /// The 機密性 scale with 3 replaced by the MIC default's 3A/3B/3C (or back, with `split`
    /// false), the other levels kept as the site has them. `None` when it already is so.
    pub fn with_split_3(&self, split: bool) -> Option<Scale> {
        if self.dimension != Dimension::Confidentiality || self.is_split_3() == split {
            return None;
        }
        let (old, new): (&[&str], _) = if split {
            (&["3"], Scales::mic_default(true).confidentiality)
        } else {
            (
                &["3A", "3B", "3C"],
                Scales::mic_default(false).confidentiality,
            )
        };
        let mut levels: Vec<Level> = new
            .levels
            .into_iter()
            .filter(|l| l.code.starts_with('3'))
            .collect();
        levels.extend(
            self.levels
                .iter()
                .filter(|l| !old.iter().any(|o| l.code.eq_ignore_ascii_case(o)))
                .cloned(),
        );
        levels.sort_by_key(|l| std::cmp::Reverse(l.rank));
        Some(Scale {
            dimension: self.dimension,
            levels,
        })
    }
}

/// The three scales in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scales {
    pub confidentiality: Scale,
    pub integrity: Scale,
    pub availability: Scale,
}

/// Codes of the segments named by the MIC three-tier model, used by the default rules.
pub mod segment_codes {
    /// マイナンバー利用事務系.
    pub const MYNUMBER: &str = "MYNUMBER";
    /// LGWAN接続系.
    pub const LGWAN: &str = "LGWAN";
    /// インターネット接続系.
    pub const INTERNET: &str = "INTERNET";
}

impl Scales {
    pub fn get(&self, dimension: Dimension) -> &Scale {
        match dimension {
            Dimension::Confidentiality => &self.confidentiality,
            Dimension::Integrity => &self.integrity,
            Dimension::Availability => &self.availability,
        }
    }

    /// The levels of the MIC guideline (機密性 3/2/1, 完全性 2/1, 可用性 2/1), with handling rules a
    /// site starts from. With `split_confidentiality_3`, 機密性3 is divided into 3A/3B/3C.
    pub fn mic_default(split_confidentiality_3: bool) -> Self {
        use segment_codes::*;
        let secret_rules = |segments: &[&str]| HandlingRules {
            restricted: true,
            existence_visible: false,
            encrypt_at_rest: true,
            encrypt_in_transit: true,
            storage: "庁内の管理区域内のサーバ又は施錠できる保管庫".into(),
            allowed_segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            take_out: TakeOut::Forbidden,
            disposal: "物理的破壊又は復元できない方法による消去、記録を残す".into(),
        };
        let level =
            |code: &str, name: &str, definition: &str, rank: u8, rules: HandlingRules| Level {
                code: code.into(),
                name: name.into(),
                definition: definition.into(),
                rank,
                rules,
            };
        let mut confidentiality = Vec::new();
        if split_confidentiality_3 {
            confidentiality.push(level(
                "3A",
                "機密性3A",
                "機密性3の情報資産のうち、漏えいにより住民の生命・財産・プライバシー等へ重大な影響を及ぼす情報資産（特定個人情報等）",
                5,
                secret_rules(&[MYNUMBER]),
            ));
            confidentiality.push(level(
                "3B",
                "機密性3B",
                "機密性3の情報資産のうち、漏えいにより行政事務の遂行に重大な影響を及ぼす情報資産",
                4,
                secret_rules(&[MYNUMBER, LGWAN]),
            ));
            confidentiality.push(level(
                "3C",
                "機密性3C",
                "機密性3の情報資産のうち、3A及び3B以外のもの",
                3,
                HandlingRules {
                    existence_visible: true,
                    take_out: TakeOut::WithApproval,
                    ..secret_rules(&[MYNUMBER, LGWAN])
                },
            ));
        } else {
            confidentiality.push(level(
                "3",
                "機密性3",
                "行政事務で取り扱う情報資産のうち、秘密文書に相当する機密性を要する情報資産",
                3,
                secret_rules(&[MYNUMBER, LGWAN]),
            ));
        }
        confidentiality.push(level(
            "2",
            "機密性2",
            "行政事務で取り扱う情報資産のうち、秘密文書に相当する機密性は要しないが、直ちに一般に公表することを前提としていない情報資産",
            2,
            HandlingRules {
                encrypt_in_transit: true,
                storage: "庁内のサーバ又は保管庫".into(),
                take_out: TakeOut::WithApproval,
                disposal: "復元できない方法による消去又は裁断".into(),
                ..HandlingRules::open()
            },
        ));
        confidentiality.push(level(
            "1",
            "機密性1",
            "機密性2又は機密性3の情報資産以外の情報資産",
            1,
            HandlingRules::open(),
        ));
        let two_level = |dimension: Dimension, high: &str, low: &str| Scale {
            dimension,
            levels: vec![
                level(
                    "2",
                    &format!("{}2", dimension.label()),
                    high,
                    2,
                    HandlingRules {
                        storage: "バックアップを取得し、別の場所に保管する".into(),
                        ..HandlingRules::open()
                    },
                ),
                level(
                    "1",
                    &format!("{}1", dimension.label()),
                    low,
                    1,
                    HandlingRules::open(),
                ),
            ],
        };
        Self {
            confidentiality: Scale {
                dimension: Dimension::Confidentiality,
                levels: confidentiality,
            },
            integrity: two_level(
                Dimension::Integrity,
                "行政事務で取り扱う情報資産のうち、改ざん、誤びゅう又は破損により、住民の権利が侵害される又は行政事務の適確な遂行に支障（軽微なものを除く。）を及ぼすおそれがある情報資産",
                "完全性2の情報資産以外の情報資産",
            ),
            availability: two_level(
                Dimension::Availability,
                "行政事務で取り扱う情報資産のうち、滅失、紛失又は当該情報資産が利用不可能であることにより、住民の権利が侵害される又は行政事務の安定的な遂行に支障（軽微なものを除く。）を及ぼすおそれがある情報資産",
                "可用性2の情報資産以外の情報資産",
            ),
        }
    }
}

/// An asset's class on the three scales, as level codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub confidentiality: String,
    pub integrity: String,
    pub availability: String,
}

impl Classification {
    pub fn code(&self, dimension: Dimension) -> &str {
        match dimension {
            Dimension::Confidentiality => &self.confidentiality,
            Dimension::Integrity => &self.integrity,
            Dimension::Availability => &self.availability,
        }
    }

    /// The levels of this class on the scales, or the first dimension whose code is unknown.
    pub fn levels<'s>(&self, scales: &'s Scales) -> Result<[&'s Level; 3], Dimension> {
        let get = |d: Dimension| scales.get(d).level(self.code(d)).ok_or(d);
        Ok([
            get(Dimension::Confidentiality)?,
            get(Dimension::Integrity)?,
            get(Dimension::Availability)?,
        ])
    }

    /// Whether the asset is 機密性3 or one of its split levels (restricted handling applies).
    pub fn is_restricted(&self, scales: &Scales) -> bool {
        scales
            .confidentiality
            .level(&self.confidentiality)
            .is_none_or(|l| l.rules.restricted)
    }

    /// The segments allowed by every level of the class: empty means any.
    pub fn allows_segment(&self, scales: &Scales, segment: &str) -> bool {
        match self.levels(scales) {
            Ok(levels) => levels.iter().all(|l| l.rules.allows_segment(segment)),
            // An unknown level is treated as the strictest: nowhere is allowed.
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn class(c: &str, i: &str, a: &str) -> Classification {
        Classification {
            confidentiality: c.into(),
            integrity: i.into(),
            availability: a.into(),
        }
    }

    #[test]
    fn default_scales_are_valid() {
        for split in [false, true] {
            let scales = Scales::mic_default(split);
            for d in Dimension::ALL {
                scales.get(d).validate().unwrap();
            }
        }
    }

    #[rstest]
    #[case("3", Some("3"))]
    #[case("機密性3", Some("3"))]
    #[case("機密性３", Some("3"))]
    #[case(" 2 ", Some("2"))]
    #[case("\u{3000}機密性２\u{3000}", Some("2"))]
    #[case("4", None)]
    #[case("極秘", None)]
    #[case("", None)]
    fn parse_confidentiality(#[case] raw: &str, #[case] expected: Option<&str>) {
        let scales = Scales::mic_default(false);
        let got = scales
            .confidentiality
            .parse_level("confidentiality", raw)
            .ok()
            .map(|l| l.code.as_str());
        assert_eq!(got, expected);
    }

    #[test]
    fn split_levels_parse_case_insensitively() {
        let scales = Scales::mic_default(true);
        assert_eq!(
            scales.confidentiality.parse_level("c", "3a").unwrap().code,
            "3A"
        );
        assert_eq!(
            scales
                .confidentiality
                .parse_level("c", "機密性３Ｂ")
                .unwrap()
                .code,
            "3B"
        );
        assert_eq!(
            scales
                .confidentiality
                .parse_level("c", "機密性３ｃ")
                .unwrap()
                .code,
            "3C"
        );
        assert!(
            scales.confidentiality.parse_level("c", "3").is_err(),
            "plain 3 is gone once split"
        );
    }

    #[test]
    fn confidentiality_3_is_restricted_and_kept_off_the_internet_segment() {
        let scales = Scales::mic_default(false);
        let secret = class("3", "2", "2");
        assert!(secret.is_restricted(&scales));
        assert!(secret.allows_segment(&scales, segment_codes::LGWAN));
        assert!(!secret.allows_segment(&scales, segment_codes::INTERNET));
        let public = class("1", "1", "1");
        assert!(!public.is_restricted(&scales));
        assert!(public.allows_segment(&scales, segment_codes::INTERNET));
    }

    #[test]
    fn split_3a_lives_only_in_the_mynumber_segment() {
        let scales = Scales::mic_default(true);
        let a = class("3A", "2", "2");
        assert!(a.allows_segment(&scales, segment_codes::MYNUMBER));
        assert!(!a.allows_segment(&scales, segment_codes::LGWAN));
        let c = class("3C", "1", "1");
        assert!(c.is_restricted(&scales));
        assert!(c.allows_segment(&scales, segment_codes::LGWAN));
    }

    #[test]
    fn unknown_levels_are_treated_as_strictest() {
        let scales = Scales::mic_default(false);
        let broken = class("9", "1", "1");
        assert!(broken.is_restricted(&scales));
        assert!(!broken.allows_segment(&scales, segment_codes::LGWAN));
        assert_eq!(
            broken.levels(&scales).unwrap_err(),
            Dimension::Confidentiality
        );
    }

    #[test]
    fn renaming_a_segment_renames_it_in_every_level_without_repeats() {
        let scale = Scales::mic_default(false).confidentiality;
        assert!(scale.names_segment("lgwan"));
        let renamed = scale
            .with_segment_renamed(segment_codes::LGWAN, "LGWAN2")
            .unwrap();
        assert!(!renamed.names_segment(segment_codes::LGWAN));
        assert!(renamed.names_segment("LGWAN2"));
        let three = renamed.level("3").unwrap();
        assert!(three.rules.allows_segment("LGWAN2"));
        assert!(!three.rules.allows_segment(segment_codes::LGWAN));
        // Renaming onto a code the level already names leaves it once.
        let merged = scale
            .with_segment_renamed(segment_codes::LGWAN, segment_codes::MYNUMBER)
            .unwrap();
        let codes = &merged.level("3").unwrap().rules.allowed_segments;
        assert_eq!(
            codes
                .iter()
                .filter(|c| *c == segment_codes::MYNUMBER)
                .count(),
            1
        );
        assert!(scale.with_segment_renamed("DMZ", "DMZ2").is_none());
    }

    #[test]
    fn scales_with_duplicate_codes_or_ranks_are_refused() {
        let mut scale = Scales::mic_default(false).integrity;
        scale.levels[1].code = "2".into();
        assert!(scale.validate().is_err());
        let mut scale = Scales::mic_default(false).integrity;
        scale.levels[1].rank = 2;
        assert!(scale.validate().is_err());
        let mut scale = Scales::mic_default(false).integrity;
        scale.levels[0].code = "<b>".into();
        assert!(scale.validate().is_err());
        scale.levels.clear();
        assert!(scale.validate().is_err());
    }

    fn edit_of(level: &Level) -> LevelEdit {
        LevelEdit {
            name: level.name.clone(),
            definition: level.definition.clone(),
            rules: level.rules.clone(),
        }
    }

    const KNOWN: &[&str] = &[
        segment_codes::LGWAN,
        segment_codes::INTERNET,
        segment_codes::MYNUMBER,
    ];

    #[test]
    fn a_level_edit_keeps_code_and_rank_and_changes_the_rest() {
        let scale = Scales::mic_default(false).confidentiality;
        let mut edit = edit_of(scale.level("2").unwrap());
        edit.name = " 機密性2（庁内限り） ".into();
        edit.rules.allowed_segments = vec!["lgwan".into(), " LGWAN".into(), "MYNUMBER".into()];
        edit.rules.take_out = TakeOut::Forbidden;
        let edit = edit.validate(KNOWN).unwrap();
        assert_eq!(edit.name, "機密性2（庁内限り）");
        assert_eq!(edit.rules.allowed_segments, vec!["LGWAN", "MYNUMBER"]);
        let changed = scale.with_level("2", edit).unwrap();
        let level = changed.level("2").unwrap();
        assert_eq!((level.code.as_str(), level.rank), ("2", 2));
        assert_eq!(level.rules.take_out, TakeOut::Forbidden);
        assert!(!class("2", "1", "1").allows_segment(
            &Scales {
                confidentiality: changed.clone(),
                ..Scales::mic_default(false)
            },
            segment_codes::INTERNET
        ));
        changed.validate().unwrap();
        assert!(
            scale
                .with_level("9", edit_of(scale.level("1").unwrap()))
                .is_none()
        );
    }

    #[test]
    fn a_level_edit_refuses_every_bad_field_at_once() {
        let scale = Scales::mic_default(false).confidentiality;
        let mut edit = edit_of(scale.level("3").unwrap());
        edit.name = "  ".into();
        edit.definition = "x".repeat(LevelEdit::MAX_DEFINITION + 1);
        edit.rules.storage = "金庫\u{202e}".into();
        edit.rules.disposal = "y".repeat(LevelEdit::MAX_RULE + 1);
        edit.rules.allowed_segments = vec!["DMZ".into()];
        edit.rules.restricted = false;
        edit.rules.existence_visible = false;
        let errors = edit.validate(KNOWN).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.kind)).collect();
        assert_eq!(
            fields,
            vec![
                ("level_name", FieldErrorKind::Required),
                (
                    "definition",
                    FieldErrorKind::TooLong {
                        max: LevelEdit::MAX_DEFINITION
                    }
                ),
                ("storage", FieldErrorKind::ControlCharacter),
                (
                    "disposal",
                    FieldErrorKind::TooLong {
                        max: LevelEdit::MAX_RULE
                    }
                ),
                ("allowed_segments", FieldErrorKind::UnknownValue),
                ("existence_visible", FieldErrorKind::NotAllowed),
            ]
        );
        let mut multi_line = edit_of(scale.level("3").unwrap());
        multi_line.name = "機密性\n3".into();
        assert_eq!(
            multi_line.validate(KNOWN).unwrap_err()[0].kind,
            FieldErrorKind::ControlCharacter
        );
    }

    #[test]
    fn splitting_replaces_3_and_keeps_the_sites_other_levels() {
        let mut plain = Scales::mic_default(false).confidentiality;
        plain.levels[1].rules.storage = "庁内サーバのみ".into();
        assert!(!plain.is_split_3());
        assert!(plain.with_split_3(false).is_none(), "already unsplit");
        let split = plain.with_split_3(true).unwrap();
        split.validate().unwrap();
        assert!(split.is_split_3());
        let codes: Vec<_> = split.levels.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes, vec!["3A", "3B", "3C", "2", "1"]);
        assert_eq!(split.level("2").unwrap().rules.storage, "庁内サーバのみ");
        assert!(split.with_split_3(true).is_none(), "already split");
        let back = split.with_split_3(false).unwrap();
        back.validate().unwrap();
        let codes: Vec<_> = back.levels.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes, vec!["3", "2", "1"]);
        assert_eq!(back.level("2").unwrap().rules.storage, "庁内サーバのみ");
        assert!(
            Scales::mic_default(false)
                .integrity
                .with_split_3(true)
                .is_none(),
            "only 機密性 splits"
        );
    }
}
