//! To whom a measure applies: every unit, the units holding assets of a class, the units with
//! assets in a kind of segment, or the organisations that chose a network model.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::classification::{Classification, Dimension, Scale, Scales, segment_codes};

/// The three segments of 三層の対策, each known by the segment code mamori's defaults give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// インターネット接続系.
    Internet,
    /// LGWAN接続系.
    Lgwan,
    /// マイナンバー利用事務系.
    MyNumber,
}

impl SegmentKind {
    pub const ALL: [SegmentKind; 3] = [
        SegmentKind::Internet,
        SegmentKind::Lgwan,
        SegmentKind::MyNumber,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SegmentKind::Internet => "internet",
            SegmentKind::Lgwan => "lgwan",
            SegmentKind::MyNumber => "mynumber",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The code of the segment of this kind in the register (`classification::segment_codes`).
    pub fn segment_code(self) -> &'static str {
        match self {
            SegmentKind::Internet => segment_codes::INTERNET,
            SegmentKind::Lgwan => segment_codes::LGWAN,
            SegmentKind::MyNumber => segment_codes::MYNUMBER,
        }
    }
}

/// The network model (三層の対策のモデル) an organisation runs: where staff terminals sit and how
/// the Internet is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkModel {
    /// αモデル: terminals in the LGWAN接続系, the Internet reached through isolation.
    Alpha,
    /// βモデル: terminals and most business systems in the インターネット接続系.
    Beta,
    /// β′モデル: terminals in the インターネット接続系, important systems kept in LGWAN接続系.
    BetaPrime,
    /// α′モデル: terminals in the LGWAN接続系, some cloud services reached directly.
    AlphaPrime,
}

impl NetworkModel {
    pub const ALL: [NetworkModel; 4] = [
        NetworkModel::Alpha,
        NetworkModel::Beta,
        NetworkModel::BetaPrime,
        NetworkModel::AlphaPrime,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NetworkModel::Alpha => "alpha",
            NetworkModel::Beta => "beta",
            NetworkModel::BetaPrime => "beta_prime",
            NetworkModel::AlphaPrime => "alpha_prime",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The model as written in Japanese: `α`, `β`, `β′`, `α′`.
    pub fn symbol(self) -> &'static str {
        match self {
            NetworkModel::Alpha => "α",
            NetworkModel::Beta => "β",
            NetworkModel::BetaPrime => "β′",
            NetworkModel::AlphaPrime => "α′",
        }
    }
}

/// To whom a measure applies. Written in catalogues and stored as its code:
/// `all`, `class:confidentiality:3`, `segment:internet`, `model:beta,beta_prime`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum AppliesTo {
    /// Every unit.
    #[default]
    All,
    /// Units owning an asset whose level on `dimension` ranks at or above `level` (a level code:
    /// `3` also covers 3A/3B/3C when 機密性3 is split).
    AssetClass { dimension: Dimension, level: String },
    /// Units owning an asset in a segment of this kind.
    Segment(SegmentKind),
    /// Every unit of an organisation that runs one of these models (sorted, at least one).
    NetworkModel(Vec<NetworkModel>),
}

/// What is known of a unit when deciding whether a measure concerns it.
#[derive(Debug, Clone, Copy)]
pub struct UnitFacts<'a> {
    /// The classes of the assets the unit owns.
    pub classes: &'a [Classification],
    /// The codes of the segments its assets are in.
    pub segments: &'a [&'a str],
    /// The network model of its organisation, when one was chosen (none: every model's measures
    /// concern the unit).
    pub model: Option<NetworkModel>,
}

impl AppliesTo {
    pub fn code(&self) -> String {
        match self {
            AppliesTo::All => "all".to_owned(),
            AppliesTo::AssetClass { dimension, level } => {
                format!("class:{}:{level}", dimension.as_str())
            }
            AppliesTo::Segment(kind) => format!("segment:{}", kind.code()),
            AppliesTo::NetworkModel(models) => {
                let codes: Vec<&str> = models.iter().map(|m| m.code()).collect();
                format!("model:{}", codes.join(","))
            }
        }
    }

    /// Reads a code as [`AppliesTo::code`] writes it; a level code is 1–8 ASCII letters or
    /// digits, kept upper-case; models are sorted and each named once.
    pub fn parse(code: &str) -> Option<Self> {
        if code == "all" {
            return Some(AppliesTo::All);
        }
        let (kind, rest) = code.split_once(':')?;
        match kind {
            "class" => {
                let (dimension, level) = rest.split_once(':')?;
                let dimension = Dimension::ALL
                    .into_iter()
                    .find(|d| d.as_str() == dimension)?;
                let valid = !level.is_empty()
                    && level.len() <= 8
                    && level.chars().all(|c| c.is_ascii_alphanumeric());
                valid.then(|| AppliesTo::AssetClass {
                    dimension,
                    level: level.to_ascii_uppercase(),
                })
            }
            "segment" => SegmentKind::parse(rest).map(AppliesTo::Segment),
            "model" => {
                let mut models = rest
                    .split(',')
                    .map(NetworkModel::parse)
                    .collect::<Option<Vec<_>>>()?;
                let named = models.len();
                models.sort();
                models.dedup();
                (models.len() == named).then_some(AppliesTo::NetworkModel(models))
            }
            _ => None,
        }
    }

    /// Whether a measure with this scope concerns a unit.
    pub fn concerns(&self, scales: &Scales, unit: &UnitFacts<'_>) -> bool {
        match self {
            AppliesTo::All => true,
            AppliesTo::AssetClass { dimension, level } => {
                let scale = scales.get(*dimension);
                let Some(threshold) = threshold(scale, level) else {
                    return false;
                };
                unit.classes.iter().any(|class| {
                    scale
                        .level(class.code(*dimension))
                        .is_some_and(|held| held.rank >= threshold)
                })
            }
            AppliesTo::Segment(kind) => unit
                .segments
                .iter()
                .any(|s| s.eq_ignore_ascii_case(kind.segment_code())),
            // While the organisation's model is not recorded, a measure of a model concerns
            // every unit: better asked than skipped.
            AppliesTo::NetworkModel(models) => unit.model.is_none_or(|m| models.contains(&m)),
        }
    }
}

/// The rank a level code names in a scale: its own, or, for a level the scale splits (`3` beside
/// 3A/3B/3C), the lowest of its parts.
fn threshold(scale: &Scale, code: &str) -> Option<u8> {
    if let Some(level) = scale.level(code) {
        return Some(level.rank);
    }
    scale
        .levels
        .iter()
        .filter(|l| {
            l.code.len() > code.len()
                && l.code
                    .get(..code.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(code))
                && l.code
                    .get(code.len()..)
                    .is_some_and(|tail| tail.chars().all(|c| c.is_ascii_alphabetic()))
        })
        .map(|l| l.rank)
        .min()
}

impl fmt::Display for AppliesTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl From<AppliesTo> for String {
    fn from(value: AppliesTo) -> Self {
        value.code()
    }
}

impl TryFrom<String> for AppliesTo {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        AppliesTo::parse(&value).ok_or_else(|| format!("unknown scope `{value}`"))
    }
}
