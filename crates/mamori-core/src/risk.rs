//! リスク (seed §3, §8): the threats the basic policy names, the matrix that turns a likelihood and
//! an impact into a level, and the rules of a risk — its levels before and after its measures,
//! its treatment, its review date, and who may accept it.
//!
//! The threats and the matrix are data: mamori starts with the threats of seed §3 and a 5 × 5
//! matrix, and both may be edited. Whoever may accept a risk is decided in `authz.rs`
//! (`AcceptRisk`): above the matrix's threshold only the CISO, never the risk's owner.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::text::{FieldError, FieldErrorKind, Name, parse_note};

/// A level of risk, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Low, Level::Medium, Level::High, Level::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Level::ALL.into_iter().find(|l| l.as_str() == raw.trim())
    }

    /// Its message key (`risk.level.high`).
    pub fn key(self) -> &'static str {
        match self {
            Level::Low => "risk.level.low",
            Level::Medium => "risk.level.medium",
            Level::High => "risk.level.high",
            Level::Critical => "risk.level.critical",
        }
    }
}

/// 対応方針: how a risk is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// 低減: measures bring it down.
    Reduce,
    /// 受容: it is borne as it is — a decision (see `authz::AcceptRisk`), never a field typed in.
    Accept,
    /// 回避: the activity that causes it stops.
    Avoid,
    /// 移転: insurance or a contract carries it.
    Transfer,
}

impl Treatment {
    pub const ALL: [Treatment; 4] = [
        Treatment::Reduce,
        Treatment::Accept,
        Treatment::Avoid,
        Treatment::Transfer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Treatment::Reduce => "reduce",
            Treatment::Accept => "accept",
            Treatment::Avoid => "avoid",
            Treatment::Transfer => "transfer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Treatment::ALL
            .into_iter()
            .find(|t| t.as_str() == raw.trim())
    }

    pub fn key(self) -> &'static str {
        match self {
            Treatment::Reduce => "risk.treatment.reduce",
            Treatment::Accept => "risk.treatment.accept",
            Treatment::Avoid => "risk.treatment.avoid",
            Treatment::Transfer => "risk.treatment.transfer",
        }
    }
}

/// The kinds of threat seed §3 lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreatCategory {
    /// §3(1): cyber attacks, intrusion, insiders.
    Intentional,
    /// §3(2): breaches of the rules, defects, mistakes, failures.
    Accidental,
    /// §3(3): earthquake, lightning, fire.
    Disaster,
    /// §3(4): a widespread illness leaving too few staff.
    Pandemic,
    /// §3(5): power, communications, water.
    Infrastructure,
}

impl ThreatCategory {
    pub const ALL: [ThreatCategory; 5] = [
        ThreatCategory::Intentional,
        ThreatCategory::Accidental,
        ThreatCategory::Disaster,
        ThreatCategory::Pandemic,
        ThreatCategory::Infrastructure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ThreatCategory::Intentional => "intentional",
            ThreatCategory::Accidental => "accidental",
            ThreatCategory::Disaster => "disaster",
            ThreatCategory::Pandemic => "pandemic",
            ThreatCategory::Infrastructure => "infrastructure",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        ThreatCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == raw.trim())
    }

    pub fn key(self) -> &'static str {
        match self {
            ThreatCategory::Intentional => "threat.category.intentional",
            ThreatCategory::Accidental => "threat.category.accidental",
            ThreatCategory::Disaster => "threat.category.disaster",
            ThreatCategory::Pandemic => "threat.category.pandemic",
            ThreatCategory::Infrastructure => "threat.category.infrastructure",
        }
    }
}

/// 脅威: a code (`T-ACCESS`), its name in both languages (stored text, edited by administrators)
/// and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threat {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub category: ThreatCategory,
}

impl Threat {
    /// The name in a language.
    pub fn name(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Ja => &self.name_ja,
            crate::i18n::Lang::En => &self.name_en,
        }
    }
}

/// The most characters of a threat's code.
pub const MAX_CODE_CHARS: usize = 32;

/// A threat as typed: the code of ASCII capitals, digits and `-`, both names, a known kind.
pub fn parse_threat(
    code: &str,
    name_ja: &str,
    name_en: &str,
    category: &str,
) -> Result<Threat, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty() {
        errors.push(FieldError::new("code", FieldErrorKind::Required));
    } else if code.chars().count() > MAX_CODE_CHARS {
        errors.push(FieldError::new(
            "code",
            FieldErrorKind::TooLong {
                max: MAX_CODE_CHARS,
            },
        ));
    } else if !code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push(FieldError::new("code", FieldErrorKind::InvalidFormat));
    }
    let mut name = |field: &'static str, raw: &str| match Name::parse(field, raw) {
        Ok(n) => String::from(n),
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let name_ja = name("name_ja", name_ja);
    let name_en = name("name_en", name_en);
    let category = ThreatCategory::parse(category);
    if category.is_none() {
        errors.push(FieldError::new("category", FieldErrorKind::UnknownValue));
    }
    match category {
        Some(category) if errors.is_empty() => Ok(Threat {
            code,
            name_ja,
            name_en,
            category,
        }),
        _ => Err(errors),
    }
}

/// The threats of seed §3, in our own words: what mamori starts with.
pub fn builtin_threats() -> Vec<Threat> {
    use ThreatCategory::*;
    [
        (
            "T-ACCESS",
            "不正アクセス",
            "Unauthorised access",
            Intentional,
        ),
        (
            "T-MALWARE",
            "ウイルス等の不正プログラムによる攻撃",
            "Malware attack",
            Intentional,
        ),
        (
            "T-DOS",
            "サービス不能攻撃",
            "Denial-of-service attack",
            Intentional,
        ),
        (
            "T-INTRUSION",
            "部外者の侵入",
            "Intrusion by outsiders",
            Intentional,
        ),
        (
            "T-FRAUD",
            "重要情報の詐取",
            "Fraudulent obtaining of important information",
            Intentional,
        ),
        ("T-INSIDER", "内部不正", "Insider wrongdoing", Intentional),
        (
            "T-TAKEOUT",
            "情報資産の無断持ち出し",
            "Taking assets out without permission",
            Accidental,
        ),
        (
            "T-SOFTWARE",
            "許可のないソフトウェアの使用",
            "Use of unapproved software",
            Accidental,
        ),
        (
            "T-DEFECT",
            "設計・開発の不備やプログラムの欠陥",
            "Design, development or program defects",
            Accidental,
        ),
        (
            "T-ERROR",
            "操作・設定の誤り",
            "Operating or configuration mistakes",
            Accidental,
        ),
        (
            "T-MAINTENANCE",
            "保守の不備",
            "Poor maintenance",
            Accidental,
        ),
        (
            "T-OVERSIGHT",
            "監査機能・委託管理・マネジメントの不備",
            "Weak audit, contractor oversight or management",
            Accidental,
        ),
        ("T-FAILURE", "機器の故障", "Equipment failure", Accidental),
        ("T-EARTHQUAKE", "地震", "Earthquake", Disaster),
        ("T-LIGHTNING", "落雷", "Lightning", Disaster),
        ("T-FIRE", "火災", "Fire", Disaster),
        (
            "T-PANDEMIC",
            "大規模な疾病による要員不足",
            "Too few staff through widespread illness",
            Pandemic,
        ),
        ("T-POWER", "電力供給の途絶", "Loss of power", Infrastructure),
        (
            "T-NETWORK",
            "通信の途絶",
            "Loss of communications",
            Infrastructure,
        ),
        (
            "T-WATER",
            "水道供給の途絶",
            "Loss of water supply",
            Infrastructure,
        ),
    ]
    .into_iter()
    .map(|(code, ja, en, category)| Threat {
        code: code.into(),
        name_ja: ja.into(),
        name_en: en.into(),
        category,
    })
    .collect()
}

/// A step of a matrix axis: its names in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub ja: String,
    pub en: String,
}

/// The colour a level is drawn in (`#rrggbb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelColour {
    pub level: Level,
    pub colour: String,
}

/// The risk matrix: likelihood (発生可能性) and impact (影響度) steps, 1 to n each, the level of
/// each cell, the colours of the levels, and the level above which accepting a risk is the
/// CISO's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskMatrix {
    pub likelihood: Vec<Step>,
    pub impact: Vec<Step>,
    /// Row by likelihood (1 first), column by impact (1 first).
    pub cells: Vec<Vec<Level>>,
    pub colours: Vec<LevelColour>,
    pub accept_threshold: Level,
}

/// Why a matrix was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    #[error("an axis needs 2 to 9 steps")]
    Size,
    #[error("every step needs both names")]
    StepName,
    #[error("the cells do not fill the matrix")]
    Cells,
    #[error("every level needs one colour #rrggbb")]
    Colour,
}

/// The most steps of an axis.
pub const MAX_STEPS: usize = 9;

fn steps(names: [(&str, &str); 5]) -> Vec<Step> {
    names
        .into_iter()
        .map(|(ja, en)| Step {
            ja: ja.into(),
            en: en.into(),
        })
        .collect()
}

impl Default for RiskMatrix {
    /// 5 × 5, the level by likelihood × impact: up to 4 low, to 9 medium, to 16 high, above
    /// critical; accepting a risk above high is the CISO's.
    fn default() -> Self {
        let cells = (1..=5u32)
            .map(|l| {
                (1..=5u32)
                    .map(|i| match l * i {
                        0..=4 => Level::Low,
                        5..=9 => Level::Medium,
                        10..=16 => Level::High,
                        _ => Level::Critical,
                    })
                    .collect()
            })
            .collect();
        Self {
            likelihood: steps([
                ("ほとんどない", "Rare"),
                ("起こりにくい", "Unlikely"),
                ("起こりうる", "Possible"),
                ("起こりやすい", "Likely"),
                ("ほぼ確実", "Almost certain"),
            ]),
            impact: steps([
                ("軽微", "Negligible"),
                ("小", "Minor"),
                ("中", "Moderate"),
                ("大", "Major"),
                ("甚大", "Severe"),
            ]),
            cells,
            colours: [
                (Level::Low, "#4caf50"),
                (Level::Medium, "#ffc107"),
                (Level::High, "#ff7043"),
                (Level::Critical, "#c62828"),
            ]
            .into_iter()
            .map(|(level, colour)| LevelColour {
                level,
                colour: colour.into(),
            })
            .collect(),
            accept_threshold: Level::High,
        }
    }
}

fn is_colour(raw: &str) -> bool {
    raw.len() == 7 && raw.starts_with('#') && raw[1..].chars().all(|c| c.is_ascii_hexdigit())
}

impl RiskMatrix {
    /// Checks the matrix as a whole: sizes, names, every cell, one colour per level.
    pub fn validate(&self) -> Result<(), MatrixError> {
        let sized = |n: usize| (2..=MAX_STEPS).contains(&n);
        if !sized(self.likelihood.len()) || !sized(self.impact.len()) {
            return Err(MatrixError::Size);
        }
        for step in self.likelihood.iter().chain(&self.impact) {
            if Name::parse("name", &step.ja).is_err() || Name::parse("name", &step.en).is_err() {
                return Err(MatrixError::StepName);
            }
        }
        if self.cells.len() != self.likelihood.len()
            || self.cells.iter().any(|row| row.len() != self.impact.len())
        {
            return Err(MatrixError::Cells);
        }
        for level in Level::ALL {
            let found: Vec<&LevelColour> =
                self.colours.iter().filter(|c| c.level == level).collect();
            if found.len() != 1 || !is_colour(&found[0].colour) {
                return Err(MatrixError::Colour);
            }
        }
        if self.colours.len() != Level::ALL.len() {
            return Err(MatrixError::Colour);
        }
        Ok(())
    }

    /// The level of a rating on this matrix; `None` for a step the matrix does not have.
    pub fn level(&self, rating: Rating) -> Option<Level> {
        self.cells
            .get(usize::from(rating.likelihood).checked_sub(1)?)?
            .get(usize::from(rating.impact).checked_sub(1)?)
            .copied()
    }

    pub fn colour(&self, level: Level) -> &str {
        self.colours
            .iter()
            .find(|c| c.level == level)
            .map_or("#9e9e9e", |c| c.colour.as_str())
    }

    /// Whether accepting a risk of this level is reserved to the CISO.
    pub fn reserved(&self, level: Level) -> bool {
        level > self.accept_threshold
    }

    /// A rating typed as two numbers, each a step of this matrix.
    pub fn rating(
        &self,
        likelihood: (&'static str, &str),
        impact: (&'static str, &str),
    ) -> Result<Rating, Vec<FieldError>> {
        let step = |(field, raw): (&'static str, &str), max: usize| {
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(FieldError::new(field, FieldErrorKind::Required));
            }
            raw.parse::<u8>()
                .ok()
                .filter(|n| *n >= 1 && usize::from(*n) <= max)
                .ok_or(FieldError::new(field, FieldErrorKind::InvalidFormat))
        };
        match (
            step(likelihood, self.likelihood.len()),
            step(impact, self.impact.len()),
        ) {
            (Ok(likelihood), Ok(impact)) => Ok(Rating { likelihood, impact }),
            (l, i) => Err(l.err().into_iter().chain(i.err()).collect()),
        }
    }
}

/// A likelihood and an impact, each a step of the matrix (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rating {
    pub likelihood: u8,
    pub impact: u8,
}

/// The level a risk is judged by: the residual one when it is rated, else the inherent one.
pub fn decisive(inherent: Level, residual: Option<Level>) -> Level {
    residual.unwrap_or(inherent)
}

/// A risk past its review date (要見直し): the day has gone by in Japan.
pub fn review_overdue(review_on: NaiveDate, today: NaiveDate) -> bool {
    review_on < today
}

/// The most assets, threats or measures one risk names.
pub const MAX_LINKS: usize = 200;

/// A risk's own text and treatment, checked; its links (assets, threats, measures, owner) are
/// checked by the store against what exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskText {
    pub title: Name,
    pub description: String,
    pub treatment: Treatment,
    pub review_on: NaiveDate,
}

/// The text fields of a risk as typed. `accept` is not a treatment one types: it is decided
/// through `AcceptRisk`, so that the decision is always of the risk as it stands.
pub fn parse_risk_text(
    title: &str,
    description: &str,
    treatment: &str,
    review_on: &str,
) -> Result<RiskText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = Name::parse("title", title).map_err(|e| errors.push(e)).ok();
    let description = parse_note("description", description)
        .map_err(|e| errors.push(e))
        .ok();
    let treatment = match Treatment::parse(treatment) {
        Some(Treatment::Accept) => {
            errors.push(FieldError::new("treatment", FieldErrorKind::NotAllowed));
            None
        }
        Some(t) => Some(t),
        None => {
            errors.push(FieldError::new("treatment", FieldErrorKind::UnknownValue));
            None
        }
    };
    let review_on = if review_on.trim().is_empty() {
        errors.push(FieldError::new("review_on", FieldErrorKind::Required));
        None
    } else {
        NaiveDate::parse_from_str(review_on.trim(), "%Y-%m-%d")
            .map_err(|_| errors.push(FieldError::new("review_on", FieldErrorKind::InvalidFormat)))
            .ok()
    };
    match (title, description, treatment, review_on) {
        (Some(title), Some(description), Some(treatment), Some(review_on)) if errors.is_empty() => {
            Ok(RiskText {
                title,
                description,
                treatment,
                review_on,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(1, 1, Level::Low)]
    #[case(2, 2, Level::Low)]
    #[case(1, 5, Level::Medium)]
    #[case(3, 3, Level::Medium)]
    #[case(2, 5, Level::High)]
    #[case(4, 4, Level::High)]
    #[case(4, 5, Level::Critical)]
    #[case(5, 5, Level::Critical)]
    fn the_default_matrix_levels_likelihood_times_impact(
        #[case] likelihood: u8,
        #[case] impact: u8,
        #[case] level: Level,
    ) {
        let matrix = RiskMatrix::default();
        assert_eq!(matrix.validate(), Ok(()));
        assert_eq!(matrix.level(Rating { likelihood, impact }), Some(level));
    }

    #[test]
    fn a_rating_outside_the_matrix_has_no_level_and_is_refused_when_typed() {
        let matrix = RiskMatrix::default();
        for (likelihood, impact) in [(0, 1), (1, 0), (6, 1), (1, 6)] {
            assert_eq!(matrix.level(Rating { likelihood, impact }), None);
        }
        for raw in ["0", "6", "-1", "abc", "1.5", "99999999999999999999", " "] {
            assert!(
                matrix.rating(("likelihood", raw), ("impact", "3")).is_err(),
                "{raw:?}"
            );
        }
        let both = matrix
            .rating(("likelihood", "x"), ("impact", ""))
            .unwrap_err();
        assert_eq!(both.len(), 2);
        assert_eq!(
            matrix.rating(("likelihood", " 5 "), ("impact", "1")),
            Ok(Rating {
                likelihood: 5,
                impact: 1
            })
        );
    }

    #[test]
    fn a_matrix_is_checked_as_a_whole() {
        let good = RiskMatrix::default();
        let mut small = good.clone();
        small.likelihood.truncate(1);
        assert_eq!(small.validate(), Err(MatrixError::Size));
        let mut ragged = good.clone();
        ragged.cells[2].pop();
        assert_eq!(ragged.validate(), Err(MatrixError::Cells));
        let mut unnamed = good.clone();
        unnamed.impact[0].en = " ".into();
        assert_eq!(unnamed.validate(), Err(MatrixError::StepName));
        let mut colourless = good.clone();
        colourless.colours[0].colour = "red".into();
        assert_eq!(colourless.validate(), Err(MatrixError::Colour));
        let mut twice = good.clone();
        twice.colours[1].level = Level::Low;
        assert_eq!(twice.validate(), Err(MatrixError::Colour));
        // A 3 × 4 matrix is as good as the default.
        let mut three = good;
        three.likelihood.truncate(3);
        three.impact.truncate(4);
        three.cells = vec![vec![Level::Low; 4]; 3];
        assert_eq!(three.validate(), Ok(()));
        assert_eq!(
            three.level(Rating {
                likelihood: 3,
                impact: 4
            }),
            Some(Level::Low)
        );
        assert!(three.rating(("likelihood", "4"), ("impact", "4")).is_err());
    }

    #[test]
    fn accepting_above_the_threshold_is_reserved() {
        let mut matrix = RiskMatrix::default();
        assert!(!matrix.reserved(Level::High));
        assert!(matrix.reserved(Level::Critical));
        matrix.accept_threshold = Level::Medium;
        assert!(matrix.reserved(Level::High));
        assert!(!matrix.reserved(Level::Low));
    }

    #[test]
    fn the_residual_level_decides_when_there_is_one() {
        assert_eq!(decisive(Level::Critical, Some(Level::Low)), Level::Low);
        assert_eq!(decisive(Level::High, None), Level::High);
    }

    #[test]
    fn a_risk_past_its_review_date_is_overdue() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        assert!(review_overdue(day(1), day(2)));
        assert!(!review_overdue(day(2), day(2)));
        assert!(!review_overdue(day(3), day(2)));
    }

    #[test]
    fn accept_is_not_a_treatment_one_types() {
        let refused = parse_risk_text("情報漏えい", "", "accept", "2026-04-01").unwrap_err();
        assert_eq!(
            refused,
            vec![FieldError::new("treatment", FieldErrorKind::NotAllowed)]
        );
        let text =
            parse_risk_text(" 情報漏えい ", "説明\r\n二行目", "reduce", "2026-04-01").unwrap();
        assert_eq!(text.title.as_str(), "情報漏えい");
        assert_eq!(text.description, "説明\n二行目");
        let errors = parse_risk_text("", &"長".repeat(20_000), "maybe", "2026-13-01").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "description", "treatment", "review_on"]);
    }

    #[test]
    fn threats_are_checked_and_seeded_from_the_policy() {
        let builtin = builtin_threats();
        assert!(builtin.len() >= 20);
        let mut codes: Vec<&str> = builtin.iter().map(|t| t.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), builtin.len(), "a code twice");
        for threat in &builtin {
            assert_eq!(
                parse_threat(
                    &threat.code,
                    &threat.name_ja,
                    &threat.name_en,
                    threat.category.as_str()
                )
                .as_ref(),
                Ok(threat)
            );
        }
        for category in ThreatCategory::ALL {
            assert!(
                builtin.iter().any(|t| t.category == category),
                "{category:?}"
            );
        }
        assert!(builtin.iter().any(|t| t.name_ja == "落雷"));
        let errors = parse_threat("t x", "", "Fire\u{7}", "weather").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["code", "name_ja", "name_en", "category"]);
        assert_eq!(
            parse_threat("t-fire2", "火", "Fire", "disaster")
                .unwrap()
                .code,
            "T-FIRE2"
        );
    }
    #[test]
    fn every_level_treatment_and_category_has_its_words() {
        let keys = Level::ALL
            .map(Level::key)
            .into_iter()
            .chain(Treatment::ALL.map(Treatment::key))
            .chain(ThreatCategory::ALL.map(ThreatCategory::key));
        for key in keys {
            assert!(crate::i18n::Lang::has(key), "{key}");
        }
    }
}
