//! 外部サービス (seed §6(8)): the cloud services the organisation uses, the 機密性 levels of
//! information each may hold, its ISMAP registration, the rules for its use and the unit
//! responsible for it. An asset placed in a service that does not take its class is flagged by
//! the rule segments use ([`forbidding_levels`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::asset::{Placement, forbidding_levels};
use crate::classification::{Classification, Scale, Scales};
use crate::inspection::parse_date;
use crate::text::{FieldError, FieldErrorKind, Name, parse_note};

/// How many days before its expiry an ISMAP registration is flagged as expiring.
pub const ISMAP_WARNING_DAYS: i64 = 90;

/// ISMAP (政府情報システムのためのセキュリティ評価制度) registration of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ismap {
    /// 登録番号, e.g. `C21-0001-1`.
    pub number: String,
    /// 有効期限.
    pub expires_on: NaiveDate,
}

/// Where a service's ISMAP registration stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsmapStatus {
    /// 未登録.
    Unregistered,
    /// 登録済み, more than [`ISMAP_WARNING_DAYS`] to run.
    Registered,
    /// 期限間近: expires within [`ISMAP_WARNING_DAYS`] (flagged).
    Expiring,
    /// 期限切れ (flagged).
    Expired,
}

impl IsmapStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IsmapStatus::Unregistered => "unregistered",
            IsmapStatus::Registered => "registered",
            IsmapStatus::Expiring => "expiring",
            IsmapStatus::Expired => "expired",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            IsmapStatus::Unregistered => "cloud.ismap.unregistered",
            IsmapStatus::Registered => "cloud.ismap.registered",
            IsmapStatus::Expiring => "cloud.ismap.expiring",
            IsmapStatus::Expired => "cloud.ismap.expired",
        }
    }

    /// Expired or expiring: shown as a flag.
    pub fn flagged(self) -> bool {
        matches!(self, IsmapStatus::Expiring | IsmapStatus::Expired)
    }
}

/// The status of a registration on `today`: expired the day after its expiry date, expiring
/// from [`ISMAP_WARNING_DAYS`] before it.
pub fn ismap_status(ismap: Option<&Ismap>, today: NaiveDate) -> IsmapStatus {
    match ismap {
        None => IsmapStatus::Unregistered,
        Some(i) if i.expires_on < today => IsmapStatus::Expired,
        Some(i) if (i.expires_on - today).num_days() <= ISMAP_WARNING_DAYS => IsmapStatus::Expiring,
        Some(_) => IsmapStatus::Registered,
    }
}

/// An ISMAP registration number: 1–40 ASCII letters, digits and `-`, kept in upper case.
pub fn parse_ismap_number(raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new("ismap_number", FieldErrorKind::Required));
    }
    if raw.len() > 40 || !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(FieldError::new(
            "ismap_number",
            FieldErrorKind::InvalidFormat,
        ));
    }
    Ok(raw.to_ascii_uppercase())
}

/// A service as typed, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceDraft {
    pub provider: String,
    pub name: String,
    pub rules: String,
    /// 機密性 levels as typed (`2`, `機密性2`, `3A`).
    pub classes: Vec<String>,
    pub ismap: bool,
    pub ismap_number: String,
    pub ismap_expires_on: String,
}

/// A service's own facts, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceText {
    pub provider: Name,
    pub name: Name,
    pub rules: String,
    /// Codes of the 機密性 levels it takes, in the scale's order, each once.
    pub classes: Vec<String>,
    pub ismap: Option<Ismap>,
}

/// Checks a service against the 機密性 scale: a provider and a name, at least one level the
/// scale has, and — registered with ISMAP — its number and expiry date (which may have passed:
/// the list flags it); without ISMAP, neither.
pub fn parse_service(
    draft: &ServiceDraft,
    confidentiality: &Scale,
) -> Result<ServiceText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let provider = Name::parse("provider", &draft.provider)
        .map_err(|e| errors.push(e))
        .ok();
    let name = Name::parse("name", &draft.name)
        .map_err(|e| errors.push(e))
        .ok();
    let rules = parse_note("rules", &draft.rules)
        .map_err(|e| errors.push(e))
        .ok();
    let mut classes: Vec<String> = Vec::new();
    for raw in &draft.classes {
        match confidentiality.parse_level("classes", raw) {
            Ok(level) => {
                if !classes.contains(&level.code) {
                    classes.push(level.code.clone());
                }
            }
            Err(e) => {
                errors.push(e);
                break;
            }
        }
    }
    if draft.classes.is_empty() {
        errors.push(FieldError::new("classes", FieldErrorKind::Required));
    }
    classes.sort_by_key(|code| {
        confidentiality
            .levels
            .iter()
            .position(|l| &l.code == code)
            .unwrap_or(usize::MAX)
    });
    let ismap = if draft.ismap {
        let number = parse_ismap_number(&draft.ismap_number)
            .map_err(|e| errors.push(e))
            .ok();
        let expires_on = parse_date("ismap_expires_on", &draft.ismap_expires_on)
            .map_err(|e| errors.push(e))
            .ok();
        number
            .zip(expires_on)
            .map(|(number, expires_on)| Ismap { number, expires_on })
    } else {
        for (field, raw) in [
            ("ismap_number", &draft.ismap_number),
            ("ismap_expires_on", &draft.ismap_expires_on),
        ] {
            if !raw.trim().is_empty() {
                errors.push(FieldError::new(field, FieldErrorKind::NotAllowed));
            }
        }
        None
    };
    match (provider, name, rules) {
        (Some(provider), Some(name), Some(rules)) if errors.is_empty() => Ok(ServiceText {
            provider,
            name,
            rules,
            classes,
            ismap,
        }),
        _ => Err(errors),
    }
}

/// The names of the levels of an asset's class that a service taking `classes` does not allow
/// (empty: the placement is allowed). The rule of segments, applied to the service.
pub fn placement_forbidden(
    class: &Classification,
    scales: &Scales,
    classes: &[String],
) -> Vec<String> {
    forbidding_levels(class, scales, &Placement::Service(classes))
        .into_iter()
        .map(|level| level.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classification::Dimension;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn draft() -> ServiceDraft {
        ServiceDraft {
            provider: "さくらクラウド株式会社".into(),
            name: "ファイル共有サービス".into(),
            rules: "機密性2以下のみ。".into(),
            classes: vec!["機密性2".into(), "1".into(), "２".into()],
            ismap: true,
            ismap_number: "c21-0001-1".into(),
            ismap_expires_on: "2027-03-31".into(),
        }
    }

    #[test]
    fn a_service_names_its_levels_once_in_the_scales_order_and_its_ismap_registration() {
        let scales = Scales::mic_default(false);
        let text = parse_service(&draft(), scales.get(Dimension::Confidentiality)).unwrap();
        assert_eq!(text.classes, ["2", "1"]);
        assert_eq!(
            text.ismap,
            Some(Ismap {
                number: "C21-0001-1".into(),
                expires_on: day(2027, 3, 31)
            })
        );
    }

    #[test]
    fn a_service_without_levels_or_with_half_an_ismap_registration_is_refused() {
        let scales = Scales::mic_default(false);
        let scale = scales.get(Dimension::Confidentiality);
        let bad = ServiceDraft {
            provider: " ".into(),
            name: "x\u{202e}".into(),
            classes: Vec::new(),
            ismap_number: "C21 0001".into(),
            ismap_expires_on: "明日".into(),
            ..draft()
        };
        let fields: Vec<_> = parse_service(&bad, scale)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "provider",
                "name",
                "classes",
                "ismap_number",
                "ismap_expires_on"
            ]
        );
        let unknown = ServiceDraft {
            classes: vec!["4".into()],
            ..draft()
        };
        assert_eq!(
            parse_service(&unknown, scale).unwrap_err()[0].field,
            "classes"
        );
        let not_registered = ServiceDraft {
            ismap: false,
            ..draft()
        };
        let errors = parse_service(&not_registered, scale).unwrap_err();
        assert!(errors.iter().all(|e| e.kind == FieldErrorKind::NotAllowed));
        assert_eq!(errors.len(), 2);
        let plain = ServiceDraft {
            ismap: false,
            ismap_number: String::new(),
            ismap_expires_on: " ".into(),
            ..draft()
        };
        assert_eq!(parse_service(&plain, scale).unwrap().ismap, None);
        for number in ["", "C21/0001", &"9".repeat(41), "ＣＩ２"] {
            assert!(parse_ismap_number(number).is_err(), "{number:?}");
        }
    }

    #[test]
    fn a_registration_expires_after_its_day_and_is_flagged_from_ninety_days_before() {
        let ismap = |expires_on| Ismap {
            number: "C21-0001-1".into(),
            expires_on,
        };
        let today = day(2026, 12, 5);
        assert_eq!(ismap_status(None, today), IsmapStatus::Unregistered);
        assert_eq!(
            ismap_status(Some(&ismap(day(2026, 12, 4))), today),
            IsmapStatus::Expired
        );
        assert_eq!(
            ismap_status(Some(&ismap(today)), today),
            IsmapStatus::Expiring
        );
        assert_eq!(
            ismap_status(Some(&ismap(day(2027, 3, 5))), today),
            IsmapStatus::Expiring
        );
        assert_eq!(
            ismap_status(Some(&ismap(day(2027, 3, 6))), today),
            IsmapStatus::Registered
        );
        assert!(IsmapStatus::Expired.flagged() && !IsmapStatus::Registered.flagged());
        for status in [
            IsmapStatus::Unregistered,
            IsmapStatus::Registered,
            IsmapStatus::Expiring,
            IsmapStatus::Expired,
        ] {
            for lang in [crate::i18n::Lang::Ja, crate::i18n::Lang::En] {
                assert!(lang.lookup(status.key()).is_some(), "{}", status.key());
            }
        }
    }

    #[test]
    fn an_asset_is_flagged_in_a_service_that_does_not_take_its_confidentiality() {
        let scales = Scales::mic_default(true);
        let class = |c: &str| Classification {
            confidentiality: c.into(),
            integrity: "2".into(),
            availability: "2".into(),
        };
        let taken = vec!["2".to_owned(), "1".to_owned()];
        assert!(placement_forbidden(&class("2"), &scales, &taken).is_empty());
        assert_eq!(
            placement_forbidden(&class("3A"), &scales, &taken),
            [scales.confidentiality.level("3A").unwrap().name.clone()]
        );
        // Codes compare as the scale's do, without case.
        assert!(placement_forbidden(&class("3a"), &scales, &["3A".to_owned()]).is_empty());
        // A class the scales do not know is flagged as such, not here.
        assert!(placement_forbidden(&class("9"), &scales, &taken).is_empty());
    }
}
