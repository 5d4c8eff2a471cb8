//! 通信経路の分離 (seed §6(3)): which traffic may cross from one segment to another, as data.
//!
//! The policy promises that the LGWAN-connected segment and the Internet-connected segment have
//! separate paths and that only 無害化 communication crosses. The crossing matrix says so for
//! each ordered pair of zones (a segment, or the Internet: every address in no segment): never,
//! only to named services (protocol, port, and optionally the addresses of the server), or
//! freely. Traffic inside one zone is not a crossing. A pair the matrix does not name is never
//! allowed: the matrix fails closed.
//!
//! A new site starts from one of the models of the 総務省 guidelines (MIC β by default; α, β′
//! and α′ are presets) and edits it on the segments page.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::classification::segment_codes;
use crate::segment::{parse_range, parse_segment_code};
use crate::text::{FieldError, FieldErrorKind};

/// The code the matrix uses for "every address in no segment".
pub const INTERNET_ZONE: &str = "*INTERNET";

/// Where an address lies: in a segment (by its code) or outside every segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Zone {
    Segment(String),
    /// インターネット: an address in no segment.
    Internet,
}

impl Zone {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw == INTERNET_ZONE {
            Ok(Zone::Internet)
        } else {
            parse_segment_code(raw)
                .map(Zone::Segment)
                .map_err(|e| FieldError::new(field, e.kind))
        }
    }

    /// The segment code, or [`INTERNET_ZONE`].
    pub fn code(&self) -> &str {
        match self {
            Zone::Segment(code) => code,
            Zone::Internet => INTERNET_ZONE,
        }
    }

    pub fn segment(&self) -> Option<&str> {
        match self {
            Zone::Segment(code) => Some(code),
            Zone::Internet => None,
        }
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Zone {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Zone::parse("zone", &raw)
    }
}

impl From<Zone> for String {
    fn from(zone: Zone) -> Self {
        zone.code().to_owned()
    }
}

/// The transport of a flow, as the sensors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    /// Any other IP protocol (e.g. `sctp`, `gre`, `ipv6-icmp` counted as icmp).
    Other,
}

impl Proto {
    /// Reads the protocol names and numbers of the logs mamori reads (`TCP`, `tcp`, `6`, …).
    pub fn from_log(raw: &str) -> Proto {
        match raw.trim() {
            "6" => Proto::Tcp,
            "17" => Proto::Udp,
            "1" | "58" => Proto::Icmp,
            name if name.eq_ignore_ascii_case("tcp") => Proto::Tcp,
            name if name.eq_ignore_ascii_case("udp") => Proto::Udp,
            name if name.eq_ignore_ascii_case("icmp")
                || name.eq_ignore_ascii_case("ipv6-icmp")
                || name.eq_ignore_ascii_case("icmpv6") =>
            {
                Proto::Icmp
            }
            _ => Proto::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Other => "other",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A service traffic may cross to: `tcp/25@10.20.0.25`, `tcp/443`, `udp/53@10.20.0.0/24`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Service {
    pub proto: Proto,
    /// `None`: any port (written `tcp/*`).
    pub port: Option<u16>,
    /// The servers' addresses; empty: any address of the destination zone.
    pub to: Vec<IpNet>,
}

impl Service {
    /// Reads `proto/port[@address[,address…]]`; `port` may be `*`. Address lists are written
    /// with `,` because a service list is itself separated by spaces or new lines.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, FieldErrorKind::InvalidFormat);
        let raw = raw.trim();
        let (service, to) = match raw.split_once('@') {
            Some((service, to)) => (service, Some(to)),
            None => (raw, None),
        };
        let (proto, port) = service.split_once('/').ok_or_else(bad)?;
        let proto = [Proto::Tcp, Proto::Udp, Proto::Icmp]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(proto.trim()))
            .ok_or_else(bad)?;
        let port = match port.trim() {
            "*" => None,
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Some(digits.parse::<u16>().map_err(|_| bad())?)
            }
            _ => return Err(bad()),
        };
        if proto == Proto::Icmp && port.is_some() {
            return Err(bad());
        }
        let mut nets = Vec::new();
        if let Some(to) = to {
            for token in to.split(',') {
                if nets.len() >= 64 {
                    return Err(FieldError::new(field, FieldErrorKind::TooLong { max: 64 }));
                }
                let net = parse_range(token.trim()).ok_or_else(bad)?;
                if !nets.contains(&net) {
                    nets.push(net);
                }
            }
        }
        Ok(Service {
            proto,
            port,
            to: nets,
        })
    }

    pub fn admits(&self, dst: IpAddr, proto: Proto, port: Option<u16>) -> bool {
        self.proto == proto
            && (self.port.is_none() || self.port == port)
            && (self.to.is_empty() || self.to.iter().any(|net| net.contains(&dst)))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}/{port}", self.proto)?,
            None => write!(f, "{}/*", self.proto)?,
        }
        for (i, net) in self.to.iter().enumerate() {
            let sep = if i == 0 { '@' } else { ',' };
            if net.prefix_len() == net.max_prefix_len() {
                write!(f, "{sep}{}", net.addr())?;
            } else {
                write!(f, "{sep}{net}")?;
            }
        }
        Ok(())
    }
}

impl TryFrom<String> for Service {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Service::parse("services", &raw)
    }
}

impl From<Service> for String {
    fn from(service: Service) -> Self {
        service.to_string()
    }
}

/// Whether traffic may cross from one zone to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "allow", content = "services", rename_all = "snake_case")]
pub enum Crossing {
    /// 不可.
    Never,
    /// 指定した通信のみ (e.g. only tcp/25 to the 無害化 gateway).
    Only(Vec<Service>),
    /// 可.
    Any,
}

impl Crossing {
    pub fn key(&self) -> &'static str {
        match self {
            Crossing::Never => "crossing.never",
            Crossing::Only(_) => "crossing.only",
            Crossing::Any => "crossing.any",
        }
    }

    /// Reads a form's choice (`never`, `only`, `any`) and, for `only`, its services, one per
    /// line or separated by spaces. `only` with no service is refused: it would mean never.
    pub fn parse(allow: &str, services: &str) -> Result<Self, FieldError> {
        match allow.trim() {
            "never" => Ok(Crossing::Never),
            "any" => Ok(Crossing::Any),
            "only" => {
                let mut list = Vec::new();
                for token in services.split_whitespace() {
                    if list.len() >= 100 {
                        return Err(FieldError::new(
                            "services",
                            FieldErrorKind::TooLong { max: 100 },
                        ));
                    }
                    let service = Service::parse("services", token)?;
                    if !list.contains(&service) {
                        list.push(service);
                    }
                }
                if list.is_empty() {
                    return Err(FieldError::new("services", FieldErrorKind::Required));
                }
                Ok(Crossing::Only(list))
            }
            _ => Err(FieldError::new("allow", FieldErrorKind::UnknownValue)),
        }
    }
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossingRule {
    pub from: Zone,
    pub to: Zone,
    #[serde(flatten)]
    pub crossing: Crossing,
    /// Why (shown beside the cell), e.g. 「無害化ゲートウェイ経由のメールのみ」.
    #[serde(default)]
    pub note: String,
}

/// The verdict on one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Inside one zone: not a crossing.
    Inside,
    Allowed,
    /// The pair is `never`, or `only` and no service admits the flow, or not in the matrix.
    Forbidden,
}

/// The models of the 総務省 guidelines a site starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// αモデル: staff terminals in the LGWAN-connected segment; the Internet reached by screen
    /// transfer from the Internet-connected segment.
    Alpha,
    /// α′モデル: α, and LGWAN-connected terminals may reach named cloud services directly.
    AlphaPrime,
    /// βモデル: staff terminals in the Internet-connected segment; only 無害化 mail and screen
    /// transfer reach the LGWAN-connected segment.
    Beta,
    /// β′モデル: β with business systems moved to the Internet-connected segment too.
    BetaPrime,
}

impl Model {
    pub const ALL: [Model; 4] = [
        Model::Beta,
        Model::BetaPrime,
        Model::Alpha,
        Model::AlphaPrime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Model::Alpha => "alpha",
            Model::AlphaPrime => "alpha_prime",
            Model::Beta => "beta",
            Model::BetaPrime => "beta_prime",
        }
    }

    pub fn parse(raw: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.as_str() == raw.trim())
    }

    pub fn key(self) -> &'static str {
        match self {
            Model::Alpha => "crossing.model.alpha",
            Model::AlphaPrime => "crossing.model.alpha_prime",
            Model::Beta => "crossing.model.beta",
            Model::BetaPrime => "crossing.model.beta_prime",
        }
    }
}

/// The servers a preset names: the 無害化 gateway's receiving side in the LGWAN-connected segment
/// (the only mail that crosses into it) and
/// the screen-transfer server (画面転送). Without an address the service admits any address of
/// the destination zone; the page says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresetServers {
    pub gateway: Vec<IpNet>,
    pub screen_transfer: Vec<IpNet>,
}

/// The crossing matrix of a site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossingMatrix {
    pub rules: Vec<CrossingRule>,
}

impl CrossingMatrix {
    /// The rule for an ordered pair, if the matrix names it.
    pub fn rule(&self, from: &Zone, to: &Zone) -> Option<&CrossingRule> {
        self.rules.iter().find(|r| &r.from == from && &r.to == to)
    }

    /// Sets one cell, replacing what was there.
    pub fn set(&mut self, rule: CrossingRule) {
        match self
            .rules
            .iter_mut()
            .find(|r| r.from == rule.from && r.to == rule.to)
        {
            Some(existing) => *existing = rule,
            None => self.rules.push(rule),
        }
    }

    /// Checks a flow from `from` to `to` (its destination address, protocol and port).
    pub fn check(
        &self,
        from: &Zone,
        to: &Zone,
        dst: IpAddr,
        proto: Proto,
        port: Option<u16>,
    ) -> Verdict {
        if from == to {
            return Verdict::Inside;
        }
        match self.rule(from, to).map(|r| &r.crossing) {
            Some(Crossing::Any) => Verdict::Allowed,
            Some(Crossing::Only(services))
                if services.iter().any(|s| s.admits(dst, proto, port)) =>
            {
                Verdict::Allowed
            }
            _ => Verdict::Forbidden,
        }
    }

    /// Checks that every zone the rules name is the Internet or one of `segments`, and that no
    /// pair is named twice.
    pub fn validate(&self, segments: &[&str]) -> Result<(), FieldError> {
        let known = |zone: &Zone| match zone {
            Zone::Internet => true,
            Zone::Segment(code) => segments.contains(&code.as_str()),
        };
        for (i, rule) in self.rules.iter().enumerate() {
            if !known(&rule.from) || !known(&rule.to) {
                return Err(FieldError::new("zone", FieldErrorKind::UnknownValue));
            }
            if rule.from == rule.to {
                return Err(FieldError::new("zone", FieldErrorKind::NotAllowed));
            }
            if self.rules[..i]
                .iter()
                .any(|r| r.from == rule.from && r.to == rule.to)
            {
                return Err(FieldError::new("zone", FieldErrorKind::NotAllowed));
            }
            if rule.note.chars().count() > 500 {
                return Err(FieldError::new(
                    "note",
                    FieldErrorKind::TooLong { max: 500 },
                ));
            }
        }
        Ok(())
    }

    /// The matrix of a model over the site's segments. The three segments of the model are found
    /// by their standard codes ([`segment_codes`]); every other segment, and every pair the model
    /// does not open, is written as `never` so that the matrix shows a decision for each pair.
    pub fn preset(model: Model, segments: &[&str], servers: &PresetServers) -> CrossingMatrix {
        use segment_codes::{INTERNET, LGWAN, MYNUMBER};
        let mut zones: Vec<Zone> = segments
            .iter()
            .map(|s| Zone::Segment((*s).into()))
            .collect();
        zones.push(Zone::Internet);
        let seg = |code: &str| Zone::Segment(code.into());
        let service = |proto, port, to: &[IpNet]| Service {
            proto,
            port: Some(port),
            to: to.to_vec(),
        };
        let mail = service(Proto::Tcp, 25, &servers.gateway);
        let screen = [
            service(Proto::Tcp, 443, &servers.screen_transfer),
            service(Proto::Tcp, 3389, &servers.screen_transfer),
        ];
        let mut matrix = CrossingMatrix::default();
        for from in &zones {
            for to in &zones {
                if from == to {
                    continue;
                }
                let (crossing, note) = if from == &seg(INTERNET) && to == &Zone::Internet {
                    (
                        Crossing::Any,
                        "インターネット接続系からインターネットへの通信",
                    )
                } else if from == &Zone::Internet && to == &seg(INTERNET) {
                    (
                        Crossing::Only(vec![service(Proto::Tcp, 25, &[])]),
                        "外部からの着信はメールのみ（公開サーバがあれば追記する）",
                    )
                } else if from == &seg(INTERNET) && to == &seg(LGWAN) {
                    match model {
                        Model::Beta | Model::BetaPrime => {
                            let mut services = vec![mail.clone()];
                            services.extend(screen.iter().cloned());
                            (Crossing::Only(services), "無害化したメールと画面転送のみ")
                        }
                        Model::Alpha | Model::AlphaPrime => {
                            (Crossing::Only(vec![mail.clone()]), "無害化したメールのみ")
                        }
                    }
                } else if from == &seg(LGWAN) && to == &seg(INTERNET) {
                    match model {
                        Model::Alpha | Model::AlphaPrime => (
                            Crossing::Only(screen.to_vec()),
                            "インターネット閲覧は画面転送のみ",
                        ),
                        Model::Beta | Model::BetaPrime => {
                            (Crossing::Never, "LGWAN接続系からは通信しない")
                        }
                    }
                } else if from == &seg(LGWAN) && to == &Zone::Internet {
                    match model {
                        Model::AlphaPrime => (
                            Crossing::Only(vec![service(Proto::Tcp, 443, &[])]),
                            "認められたクラウドサービスのみ。宛先を限定すること",
                        ),
                        _ => (
                            Crossing::Never,
                            "LGWAN接続系からインターネットへは通信しない",
                        ),
                    }
                } else if from == &seg(MYNUMBER) || to == &seg(MYNUMBER) {
                    (
                        Crossing::Never,
                        "マイナンバー利用事務系は他の領域と通信しない",
                    )
                } else {
                    (Crossing::Never, "")
                };
                matrix.rules.push(CrossingRule {
                    from: from.clone(),
                    to: to.clone(),
                    crossing,
                    note: note.into(),
                });
            }
        }
        matrix
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segment_codes::{INTERNET, LGWAN, MYNUMBER};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn seg(code: &str) -> Zone {
        Zone::Segment(code.into())
    }

    fn beta() -> CrossingMatrix {
        CrossingMatrix::preset(
            Model::Beta,
            &[MYNUMBER, LGWAN, INTERNET],
            &PresetServers {
                gateway: vec!["10.20.0.25/32".parse().unwrap()],
                screen_transfer: vec![],
            },
        )
    }

    #[test]
    fn beta_lets_only_mail_to_the_gateway_into_lgwan() {
        let m = beta();
        let (inet, lgwan) = (seg(INTERNET), seg(LGWAN));
        let gw = ip("10.20.0.25");
        assert_eq!(
            m.check(&inet, &lgwan, gw, Proto::Tcp, Some(25)),
            Verdict::Allowed
        );
        assert_eq!(
            m.check(&inet, &lgwan, ip("10.20.0.26"), Proto::Tcp, Some(25)),
            Verdict::Forbidden
        );
        assert_eq!(
            m.check(&inet, &lgwan, gw, Proto::Tcp, Some(445)),
            Verdict::Forbidden
        );
        assert_eq!(
            m.check(&inet, &lgwan, gw, Proto::Udp, Some(25)),
            Verdict::Forbidden
        );
        assert_eq!(
            m.check(&lgwan, &Zone::Internet, ip("8.8.8.8"), Proto::Udp, Some(53)),
            Verdict::Forbidden
        );
        assert_eq!(
            m.check(&lgwan, &inet, ip("172.16.0.1"), Proto::Tcp, Some(443)),
            Verdict::Forbidden
        );
        assert_eq!(
            m.check(&inet, &Zone::Internet, ip("8.8.8.8"), Proto::Tcp, Some(443)),
            Verdict::Allowed
        );
        assert_eq!(
            m.check(&lgwan, &lgwan, ip("10.20.1.1"), Proto::Tcp, Some(445)),
            Verdict::Inside
        );
    }

    #[test]
    fn mynumber_crosses_to_nothing_in_any_model() {
        for model in Model::ALL {
            let m =
                CrossingMatrix::preset(model, &[MYNUMBER, LGWAN, INTERNET], &Default::default());
            for to in [seg(LGWAN), seg(INTERNET), Zone::Internet] {
                assert_eq!(
                    m.check(&seg(MYNUMBER), &to, ip("10.20.0.1"), Proto::Tcp, Some(25)),
                    Verdict::Forbidden,
                    "{model:?} → {to}"
                );
                assert_eq!(
                    m.check(&to, &seg(MYNUMBER), ip("10.10.0.1"), Proto::Tcp, Some(25)),
                    Verdict::Forbidden,
                    "{to} → {model:?}"
                );
            }
            // Every ordered pair of distinct zones has a decision.
            assert_eq!(m.rules.len(), 4 * 3);
            m.validate(&[MYNUMBER, LGWAN, INTERNET]).unwrap();
        }
    }

    #[test]
    fn alpha_prime_opens_https_from_lgwan_and_alpha_does_not() {
        let servers = PresetServers::default();
        let segs = [LGWAN, INTERNET];
        let alpha = CrossingMatrix::preset(Model::Alpha, &segs, &servers);
        let prime = CrossingMatrix::preset(Model::AlphaPrime, &segs, &servers);
        let cloud = ip("52.0.0.1");
        assert_eq!(
            alpha.check(&seg(LGWAN), &Zone::Internet, cloud, Proto::Tcp, Some(443)),
            Verdict::Forbidden
        );
        assert_eq!(
            prime.check(&seg(LGWAN), &Zone::Internet, cloud, Proto::Tcp, Some(443)),
            Verdict::Allowed
        );
        // α reaches the Internet by screen transfer; β never leaves LGWAN.
        assert_eq!(
            alpha.check(
                &seg(LGWAN),
                &seg(INTERNET),
                ip("172.16.0.9"),
                Proto::Tcp,
                Some(3389)
            ),
            Verdict::Allowed
        );
        let beta = CrossingMatrix::preset(Model::BetaPrime, &segs, &servers);
        assert_eq!(
            beta.check(
                &seg(LGWAN),
                &seg(INTERNET),
                ip("172.16.0.9"),
                Proto::Tcp,
                Some(3389)
            ),
            Verdict::Forbidden
        );
    }

    #[test]
    fn a_pair_the_matrix_does_not_name_is_forbidden() {
        let m = CrossingMatrix::default();
        assert_eq!(
            m.check(&seg("A"), &seg("B"), ip("10.0.0.1"), Proto::Tcp, Some(80)),
            Verdict::Forbidden
        );
    }

    #[test]
    fn services_round_trip_and_hostile_ones_are_refused() {
        for raw in [
            "tcp/25@10.20.0.25",
            "udp/53",
            "tcp/*",
            "tcp/443@10.0.0.0/8,192.168.1.1",
        ] {
            let s = Service::parse("services", raw).unwrap();
            assert_eq!(s.to_string(), raw);
            assert_eq!(Service::parse("services", &s.to_string()).unwrap(), s);
        }
        for raw in [
            "",
            "tcp",
            "tcp/",
            "tcp/65536",
            "tcp/-1",
            "tcp/25@",
            "tcp/25@x",
            "icmp/8",
            "gre/1",
            "tcp/2 5",
            "tcp/25@10.0.0.1,,",
            "tcp/0x19",
            "tcp/２５",
        ] {
            assert!(Service::parse("services", raw).is_err(), "{raw:?}");
        }
        assert!(Service::parse("services", "icmp/*").is_ok());
    }

    #[test]
    fn forms_are_read_strictly() {
        assert_eq!(Crossing::parse("never", "tcp/25").unwrap(), Crossing::Never);
        assert!(Crossing::parse("only", "  ").is_err());
        assert!(Crossing::parse("sometimes", "").is_err());
        let only = Crossing::parse("only", "tcp/25@10.0.0.1\ntcp/25@10.0.0.1 udp/53").unwrap();
        assert_eq!(
            only,
            Crossing::Only(vec![
                Service::parse("s", "tcp/25@10.0.0.1").unwrap(),
                Service::parse("s", "udp/53").unwrap(),
            ])
        );
        assert!(Zone::parse("zone", "*INTERNET").is_ok());
        assert!(Zone::parse("zone", "LGWAN\n").is_ok());
        assert!(Zone::parse("zone", "<script>").is_err());
    }

    #[test]
    fn validate_refuses_unknown_zones_and_twins() {
        let mut m = beta();
        assert!(
            m.validate(&[LGWAN, INTERNET]).is_err(),
            "MYNUMBER is not a segment"
        );
        let mut twin = m.rules[0].clone();
        twin.note = "again".into();
        m.rules.push(twin);
        assert!(m.validate(&[MYNUMBER, LGWAN, INTERNET]).is_err());
        let mut m = beta();
        m.set(CrossingRule {
            from: seg(LGWAN),
            to: Zone::Internet,
            crossing: Crossing::Any,
            note: String::new(),
        });
        assert_eq!(m.rules.len(), 12);
        assert_eq!(
            m.check(
                &seg(LGWAN),
                &Zone::Internet,
                ip("1.1.1.1"),
                Proto::Udp,
                Some(53)
            ),
            Verdict::Allowed
        );
    }

    #[test]
    fn the_matrix_round_trips_through_json() {
        let m = beta();
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(r#""allow":"only""#), "{json}");
        assert!(json.contains("tcp/25@10.20.0.25"), "{json}");
        let back: CrossingMatrix = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert!(serde_json::from_str::<CrossingMatrix>(
            r#"{"rules":[{"from":"LGWAN","to":"*INTERNET","allow":"only","services":["tcp/99999"]}]}"#
        )
        .is_err());
    }

    #[test]
    fn protocols_are_read_as_logs_write_them() {
        assert_eq!(Proto::from_log("TCP"), Proto::Tcp);
        assert_eq!(Proto::from_log("17"), Proto::Udp);
        assert_eq!(Proto::from_log("ipv6-icmp"), Proto::Icmp);
        assert_eq!(Proto::from_log("sctp"), Proto::Other);
    }
}
