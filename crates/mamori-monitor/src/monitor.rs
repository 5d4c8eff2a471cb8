//! The monitor: every event placed against the site and checked by the rules; alerts and
//! tallies aggregated until [`Monitor::take`]. Pure: no IO, no clock after construction.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use mamori_core::classification::segment_codes;
use mamori_core::crossing::{Crossing, Proto, Service, Verdict, Zone};
use mamori_core::monitor::{Alert, AlertRule, AssetRef, MonitorSettings, Site, Tally};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use serde::Serialize;

use crate::bounded::Bounded;
use crate::event::{Ctx, Event, Kind, Parsed};
use crate::place::{Place, Placer, canonical};
use crate::read::{Format, StreamState, read_line};

/// Lines kept as samples of what did not parse.
const UNPARSEABLE_SAMPLES: usize = 10;
const SAMPLE_CHARS: usize = 500;
/// Segments beyond this many are not read (the matrix is compiled for every pair; real sites
/// have a handful).
const MAX_SEGMENTS: usize = 512;
/// More than the alerts (or tally rows) one event can add.
const TAKE_HEADROOM: usize = 8;
/// An evidence line is cut at this many characters.
pub const EVIDENCE_CHARS: usize = 2000;

/// What was read, for the summary a scan prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub lines: u64,
    pub events: u64,
    /// Well-formed lines without an event mamori reads (other EVE types, header lines, blanks).
    pub skipped: u64,
    pub unparseable: u64,
    /// The first few lines that did not parse, each cut at 500 characters, with the reason.
    pub unparseable_samples: Vec<String>,
    /// Alerts handed out by [`Monitor::take`] (after aggregation).
    pub alerts: u64,
}

/// The caps on the monitor's memory. Past a cap the oldest entries are evicted and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Distinct alerts waiting for the next `take`; past it new ones are dropped and counted.
    pub pending_alerts: usize,
    /// Sources whose scan window is tracked.
    pub scan_sources: usize,
    /// (source, destination) pairs whose ports are tracked.
    pub scan_pairs: usize,
    /// Destinations and ports held in all scan windows together.
    pub scan_elements: usize,
    /// Unregistered addresses remembered (to report each once per window).
    pub unregistered: usize,
    /// Tally rows waiting for the next `take`.
    pub tallies: usize,
    /// Distinct ports kept apart per day and pair of zones; past it they are folded together.
    pub ports_per_pair: usize,
    /// Readers' states of streams (files, connections) other than the first.
    pub streams: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            pending_alerts: 50_000,
            scan_sources: 50_000,
            scan_pairs: 100_000,
            scan_elements: 2_000_000,
            unregistered: 100_000,
            tallies: 100_000,
            ports_per_pair: 64,
            streams: 4096,
        }
    }
}

/// The monitor's counters, for Prometheus.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub lines: u64,
    pub events: u64,
    pub skipped: u64,
    pub unparseable: u64,
    /// Alerts handed out, per rule.
    pub alerts: Vec<(AlertRule, u64)>,
    /// Entries held now, per map.
    pub tracked: Vec<(&'static str, u64)>,
    /// Entries evicted from a full map.
    pub evicted: u64,
    /// Alerts dropped because the pending ones reached their cap.
    pub alerts_dropped: u64,
    /// Syslog datagrams dropped because the monitor was behind (set by `run`).
    pub syslog_dropped: u64,
}

impl Counters {
    /// The Prometheus text exposition of these counters.
    pub fn prometheus(&self) -> String {
        use mamori_core::exposition::{NO_LABELS, counter, gauge};
        let mut out = String::new();
        for (name, help, value) in [
            ("mamori_monitor_lines_total", "Log lines read.", self.lines),
            (
                "mamori_monitor_events_total",
                "Events read from the lines.",
                self.events,
            ),
            (
                "mamori_monitor_skipped_total",
                "Lines without an event the monitor reads.",
                self.skipped,
            ),
            (
                "mamori_monitor_unparseable_total",
                "Lines no reader could read.",
                self.unparseable,
            ),
            (
                "mamori_monitor_evicted_total",
                "Entries evicted from a full map.",
                self.evicted,
            ),
            (
                "mamori_monitor_alerts_dropped_total",
                "Alerts dropped: too many waiting.",
                self.alerts_dropped,
            ),
            (
                "mamori_monitor_syslog_dropped_total",
                "Syslog datagrams dropped: the monitor was behind.",
                self.syslog_dropped,
            ),
        ] {
            counter(&mut out, name, help, [(NO_LABELS, value)]);
        }
        counter(
            &mut out,
            "mamori_monitor_alerts_total",
            "Alerts raised (aggregated), by rule.",
            self.alerts
                .iter()
                .map(|(rule, n)| ([("rule", rule.as_str())], *n)),
        );
        gauge(
            &mut out,
            "mamori_monitor_tracked_keys",
            "Entries held, by map.",
            self.tracked.iter().map(|(map, n)| ([("map", *map)], *n)),
        );
        out
    }
}

/// One cell of the matrix, compiled for a pair of zone indexes.
#[derive(Debug, Clone)]
enum Cell {
    Allowed,
    Forbidden,
    Only(Vec<Service>),
}

/// The port of a destination seen without one (ICMP).
const NO_PORT: u32 = u32::MAX;

#[derive(Debug, Default)]
struct SrcWindow {
    start: i64,
    /// Destination (hashed) → the first port it was reached on.
    dsts: FxHashMap<u32, u32>,
    alerted: bool,
}

#[derive(Debug, Default)]
struct PairWindow {
    start: i64,
    ports: FxHashSet<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TallyKey {
    day: i32,
    from: u16,
    to: u16,
    proto: Proto,
    port: Option<u16>,
}

/// What an alert is about.
struct Subject {
    src: IpAddr,
    src_place: Place,
    dst: Option<(IpAddr, Place)>,
    dst_port: Option<u16>,
    proto: Option<Proto>,
}

/// Reads log lines against a site and raises alerts.
#[derive(Debug)]
pub struct Monitor {
    limits: Limits,
    local_offset: i32,
    /// Near the logs' time: the latest event's, or the clock at construction. The year of a
    /// syslog time without one is chosen near it.
    reference: i64,
    /// The latest event time seen: windows that ended before it expire.
    latest: Option<i64>,
    settings: MonitorSettings,
    /// Segment codes and names, in the site's order; zone index `segments.len()` is the Internet.
    segments: Vec<(String, String)>,
    cells: Vec<Cell>,
    internet_segment: Option<u16>,
    placer: Placer,
    assets: Vec<AssetRef>,
    resolvers: FxHashSet<IpAddr>,
    stream0: StreamState,
    streams: FxHashMap<u64, StreamState>,
    pending: [FxHashMap<String, Alert>; 6],
    pending_len: usize,
    key: String,
    scan_src: Bounded<IpAddr, SrcWindow>,
    scan_pair: Bounded<(IpAddr, IpAddr), PairWindow>,
    scan_elements: usize,
    unregistered: Bounded<IpAddr, i64>,
    tallies: FxHashMap<TallyKey, (u64, u64)>,
    pair_ports: FxHashMap<(i32, u16, u16, Proto), u32>,
    ready_tallies: Vec<Tally>,
    summary: Summary,
    alerts_by_rule: [u64; 6],
    evicted_other: u64,
    alerts_dropped: u64,
}

fn rule_index(rule: AlertRule) -> usize {
    AlertRule::ALL.iter().position(|r| *r == rule).unwrap_or(0)
}

fn ip_hash(addr: IpAddr) -> u32 {
    match addr {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(a) => {
            let mut h = FxHasher::default();
            a.hash(&mut h);
            h.finish() as u32
        }
    }
}

fn cut(line: &[u8], chars: usize) -> String {
    let text = String::from_utf8_lossy(line);
    match text.char_indices().nth(chars) {
        Some((at, _)) => text[..at].to_owned(),
        None => text.into_owned(),
    }
}

fn time(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

impl Monitor {
    /// A monitor for `site` with the default limits; local times in logs are JST (UTC+9).
    pub fn new(site: &Site) -> Monitor {
        Monitor::with_limits(site, Limits::default())
    }

    pub fn with_limits(site: &Site, limits: Limits) -> Monitor {
        let mut m = Monitor {
            limits,
            local_offset: 9 * 3600,
            reference: Utc::now().timestamp(),
            latest: None,
            settings: MonitorSettings::default(),
            segments: Vec::new(),
            cells: Vec::new(),
            internet_segment: None,
            placer: Placer::default(),
            assets: Vec::new(),
            resolvers: FxHashSet::default(),
            stream0: StreamState::default(),
            streams: FxHashMap::default(),
            pending: Default::default(),
            pending_len: 0,
            key: String::new(),
            scan_src: Bounded::new(limits.scan_sources),
            scan_pair: Bounded::new(limits.scan_pairs),
            scan_elements: 0,
            unregistered: Bounded::new(limits.unregistered),
            tallies: FxHashMap::default(),
            pair_ports: FxHashMap::default(),
            ready_tallies: Vec::new(),
            summary: Summary::default(),
            alerts_by_rule: [0; 6],
            evicted_other: 0,
            alerts_dropped: 0,
        };
        m.set_site(site);
        m
    }

    /// The offset from UTC of the local time that logs without a zone write, and of the days
    /// tallies are counted by (default: JST, +9 hours).
    pub fn set_local_offset(&mut self, seconds: i32) {
        self.local_offset = seconds.clamp(-86_399, 86_399);
    }

    /// The time a syslog header without a year is placed near until an event gives one.
    pub fn set_reference_time(&mut self, t: DateTime<Utc>) {
        self.reference = t.timestamp();
    }

    /// The site changed (segments, assets, matrix or settings). Windows, pending alerts and
    /// tallies survive; tallies are kept under the zones they were counted in.
    pub fn set_site(&mut self, site: &Site) {
        self.flush_tallies();
        self.settings = site.settings.clone();
        let segments = &site.segments[..site.segments.len().min(MAX_SEGMENTS)];
        self.segments = segments
            .iter()
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect();
        self.internet_segment = self
            .segments
            .iter()
            .position(|(code, _)| code == segment_codes::INTERNET)
            .and_then(|i| u16::try_from(i).ok());
        self.placer = Placer::new(
            segments.iter().map(|s| s.ranges.as_slice()),
            &site.settings.internal,
            site.assets.iter().map(|a| a.addresses.as_slice()),
        );
        self.assets = site
            .assets
            .iter()
            .map(|a| AssetRef {
                id: a.id,
                name: a.name.clone(),
            })
            .collect();
        self.resolvers = site
            .settings
            .resolvers
            .iter()
            .map(|a| canonical(*a))
            .collect();
        let zones = self.zone_count();
        self.cells = Vec::with_capacity(zones * zones);
        for from in 0..zones {
            for to in 0..zones {
                let cell = match site
                    .matrix
                    .rule(&self.zone(from as u16), &self.zone(to as u16))
                {
                    Some(rule) => match &rule.crossing {
                        Crossing::Any => Cell::Allowed,
                        Crossing::Never => Cell::Forbidden,
                        Crossing::Only(services) => Cell::Only(services.clone()),
                    },
                    None => Cell::Forbidden,
                };
                self.cells.push(cell);
            }
        }
    }

    fn zone_count(&self) -> usize {
        self.segments.len() + 1
    }

    fn internet(&self) -> u16 {
        self.segments.len() as u16
    }

    fn zone(&self, index: u16) -> Zone {
        match self.segments.get(usize::from(index)) {
            Some((code, _)) => Zone::Segment(code.clone()),
            None => Zone::Internet,
        }
    }

    fn zone_of(&self, place: Place) -> u16 {
        place.segment.unwrap_or_else(|| self.internet())
    }

    /// [`CrossingMatrix::check`](mamori_core::crossing::CrossingMatrix::check) on the compiled
    /// matrix.
    fn check(&self, from: u16, to: u16, dst: IpAddr, proto: Proto, port: Option<u16>) -> Verdict {
        if from == to {
            return Verdict::Inside;
        }
        let cell = &self.cells[usize::from(from) * self.zone_count() + usize::from(to)];
        match cell {
            Cell::Allowed => Verdict::Allowed,
            Cell::Forbidden => Verdict::Forbidden,
            Cell::Only(services) if services.iter().any(|s| s.admits(dst, proto, port)) => {
                Verdict::Allowed
            }
            Cell::Only(_) => Verdict::Forbidden,
        }
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// True when the pending alerts or tallies are near their cap (one more line could reach
    /// it): take them now, and nothing is dropped.
    pub fn wants_take(&self) -> bool {
        self.pending_len + TAKE_HEADROOM >= self.limits.pending_alerts
            || self.tallies.len() + self.pair_ports.len() + TAKE_HEADROOM >= self.limits.tallies
    }

    pub fn counters(&self) -> Counters {
        let s = &self.summary;
        Counters {
            lines: s.lines,
            events: s.events,
            skipped: s.skipped,
            unparseable: s.unparseable,
            alerts: AlertRule::ALL
                .into_iter()
                .zip(self.alerts_by_rule)
                .collect(),
            tracked: vec![
                ("scan_sources", self.scan_src.len() as u64),
                ("scan_pairs", self.scan_pair.len() as u64),
                ("scan_elements", self.scan_elements as u64),
                ("unregistered", self.unregistered.len() as u64),
                ("pending_alerts", self.pending_len as u64),
                (
                    "tallies",
                    (self.tallies.len() + self.ready_tallies.len()) as u64,
                ),
                ("streams", self.streams.len() as u64 + 1),
            ],
            evicted: self.scan_src.evicted
                + self.scan_pair.evicted
                + self.unregistered.evicted
                + self.evicted_other,
            alerts_dropped: self.alerts_dropped,
            syslog_dropped: 0,
        }
    }

    /// Reads one log line (its line end may be left on). Never panics; every line is counted.
    pub fn feed(&mut self, format: Format, line: &[u8]) {
        self.feed_stream(0, format, line);
    }

    /// [`feed`](Self::feed) for one of several streams (files, connections), each with its own
    /// reader state (a Zeek header). Stream 0 is the one `feed` uses.
    pub fn feed_stream(&mut self, stream: u64, format: Format, line: &[u8]) {
        self.summary.lines += 1;
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            self.summary.skipped += 1;
            return;
        }
        let ctx = Ctx {
            local_offset: self.local_offset,
            reference: self.reference,
        };
        let state = if stream == 0 {
            &mut self.stream0
        } else {
            if !self.streams.contains_key(&stream) && self.streams.len() >= self.limits.streams {
                self.streams.clear();
                self.evicted_other += 1;
            }
            self.streams.entry(stream).or_default()
        };
        match read_line(format, line, state, ctx).1 {
            Parsed::Event(event) => {
                self.summary.events += 1;
                self.apply(&event, line);
            }
            Parsed::Skipped => self.summary.skipped += 1,
            Parsed::Bad(why) => {
                self.summary.unparseable += 1;
                if self.summary.unparseable_samples.len() < UNPARSEABLE_SAMPLES {
                    let sample = cut(
                        format!("{why}: {}", cut(line, SAMPLE_CHARS)).as_bytes(),
                        SAMPLE_CHARS,
                    );
                    self.summary.unparseable_samples.push(sample);
                }
            }
        }
    }

    /// Counts a line that was longer than the readers' limit (only its head was kept).
    pub fn feed_too_long(&mut self, head: &[u8]) {
        self.summary.lines += 1;
        self.summary.unparseable += 1;
        if self.summary.unparseable_samples.len() < UNPARSEABLE_SAMPLES {
            let sample = cut(
                format!("line longer than the limit: {}", cut(head, SAMPLE_CHARS)).as_bytes(),
                SAMPLE_CHARS,
            );
            self.summary.unparseable_samples.push(sample);
        }
    }

    /// Forgets a stream's reader state (a connection closed, a file rotated).
    pub fn end_stream(&mut self, stream: u64) {
        if stream == 0 {
            self.stream0 = StreamState::default();
        } else {
            self.streams.remove(&stream);
        }
    }

    fn apply(&mut self, e: &Event<'_>, line: &[u8]) {
        if self.latest.is_none_or(|l| e.time > l) {
            self.latest = Some(e.time);
            self.reference = e.time;
        }
        let (src, dst) = (canonical(e.src), canonical(e.dst));
        let sp = self.placer.place(src);
        let dp = self.placer.place(dst);
        for (addr, place) in [(src, sp), (dst, dp)] {
            if place.internal && place.asset.is_none() {
                self.unregistered(addr, place, e.time, line);
            }
        }
        let subject = || Subject {
            src,
            src_place: sp,
            dst: Some((dst, dp)),
            dst_port: e.dst_port,
            proto: Some(e.proto),
        };
        let to_internet = sp.internal && dp.segment.is_none() && !dp.internal;
        match &e.kind {
            Kind::Flow => {
                let (from, to) = (self.zone_of(sp), self.zone_of(dp));
                let verdict = self.check(from, to, dst, e.proto, e.dst_port);
                let forbidden = verdict == Verdict::Forbidden;
                self.tally(e.time, from, to, e.proto, e.dst_port, forbidden);
                if forbidden {
                    self.crossing(e, from, to, subject(), line);
                }
                self.scan(e, src, dst, sp, dp, line);
                if to_internet && !e.blocked && e.proto == Proto::Tcp {
                    let name = match e.dst_port {
                        Some(23) => Some("telnet"),
                        Some(21) => Some("ftp"),
                        _ => None,
                    };
                    if let Some(name) = name {
                        self.five_tuple_key(src, dst, e.proto, e.dst_port);
                        let detail =
                            format!("{name} (tcp/{}) to the Internet", e.dst_port.unwrap_or(0));
                        self.raise(AlertRule::Cleartext, subject(), e.time, line, || detail);
                    }
                }
                if matches!(e.proto, Proto::Tcp | Proto::Udp) && e.dst_port == Some(53) {
                    self.dns(e, src, sp, dst, dp, line);
                }
            }
            Kind::Dns => {
                // The resolver is the end on port 53 (an answer may be logged server → client).
                if e.src_port == Some(53) && e.dst_port != Some(53) {
                    self.dns(e, dst, dp, src, sp, line);
                } else {
                    self.dns(e, src, sp, dst, dp, line);
                }
            }
            Kind::Http { basic_auth: true } if to_internet => {
                self.five_tuple_key(src, dst, e.proto, e.dst_port);
                self.raise(AlertRule::Cleartext, subject(), e.time, line, || {
                    "HTTP basic authentication to the Internet".to_owned()
                });
            }
            Kind::Ids { sid, signature } => {
                let inet = self.internet_segment;
                if inet.is_some() && (sp.segment == inet || dp.segment == inet) {
                    self.key.clear();
                    use std::fmt::Write;
                    let _ = write!(self.key, "{sid}|{src}|{dst}");
                    let detail: String = signature.chars().take(500).collect();
                    let detail = if *sid > 0 {
                        format!("[{sid}] {detail}")
                    } else {
                        detail
                    };
                    self.raise(AlertRule::Ids, subject(), e.time, line, || detail);
                }
            }
            Kind::Http { .. } | Kind::Tls => {}
        }
    }

    fn five_tuple_key(&mut self, src: IpAddr, dst: IpAddr, proto: Proto, port: Option<u16>) {
        use std::fmt::Write;
        self.key.clear();
        let _ = match port {
            Some(p) => write!(self.key, "{src}|{dst}|{proto}|{p}"),
            None => write!(self.key, "{src}|{dst}|{proto}|-"),
        };
    }

    fn crossing(&mut self, e: &Event<'_>, from: u16, to: u16, subject: Subject, line: &[u8]) {
        match &e.community_id {
            Some(id) => {
                self.key.clear();
                self.key.push_str(id);
            }
            None => self.five_tuple_key(subject.src, e.dst, e.proto, e.dst_port),
        }
        let (from, to) = (self.zone(from), self.zone(to));
        let port = e.dst_port.map_or_else(|| "*".to_owned(), |p| p.to_string());
        let blocked = if e.blocked {
            " (blocked by the firewall)"
        } else {
            ""
        };
        self.raise(AlertRule::Crossing, subject, e.time, line, || {
            format!(
                "{from} -> {to} {}/{port} is not allowed by the crossing matrix{blocked}",
                e.proto
            )
        });
    }

    fn dns(
        &mut self,
        e: &Event<'_>,
        client: IpAddr,
        cp: Place,
        resolver: IpAddr,
        rp: Place,
        line: &[u8],
    ) {
        if self.resolvers.is_empty()
            || !cp.internal
            || self.resolvers.contains(&resolver)
            || self.resolvers.contains(&client)
        {
            return;
        }
        self.five_tuple_key(client, resolver, e.proto, Some(53));
        let subject = Subject {
            src: client,
            src_place: cp,
            dst: Some((resolver, rp)),
            dst_port: Some(53),
            proto: Some(e.proto),
        };
        self.raise(AlertRule::Dns, subject, e.time, line, || {
            format!("DNS query to {resolver}, which is not a sanctioned resolver")
        });
    }

    fn unregistered(&mut self, addr: IpAddr, place: Place, t: i64, line: &[u8]) {
        let window = i64::from(self.settings.unregistered_window_secs.max(1));
        let (last, _) = self.unregistered.get_or_insert_with(&addr, || i64::MIN);
        if *last != i64::MIN && t >= *last && t < last.saturating_add(window) {
            return;
        }
        if *last != i64::MIN && t < *last && *last - t < window {
            return;
        }
        *last = t;
        self.key.clear();
        self.key.push_str(&addr.to_string());
        let subject = Subject {
            src: addr,
            src_place: place,
            dst: None,
            dst_port: None,
            proto: None,
        };
        self.raise(AlertRule::Unregistered, subject, t, line, || {
            "an internal address that no asset of the register has".to_owned()
        });
    }

    /// The scan rule, for sources inside (in a segment or an internal range) other than the
    /// sanctioned resolvers: each source's
    /// window holds its distinct destinations, each with the first port seen; a destination
    /// reached on a second port gets a set of its ports. One alert per source per window.
    fn scan(&mut self, e: &Event<'_>, src: IpAddr, dst: IpAddr, sp: Place, dp: Place, line: &[u8]) {
        // A sanctioned resolver recursing reaches many servers: that is its job, not a scan.
        if !sp.internal || (!self.resolvers.is_empty() && self.resolvers.contains(&src)) {
            return;
        }
        let scan = self.settings.scan;
        let window = i64::from(scan.window_secs.max(1));
        let t = e.time;
        let (win, gone) = self.scan_src.get_or_insert_with(&src, SrcWindow::default);
        let mut freed = gone.map_or(0, |g| g.dsts.len());
        if win.dsts.is_empty() && !win.alerted {
            win.start = t;
        } else if t >= win.start.saturating_add(window) || t < win.start.saturating_sub(window) {
            freed += win.dsts.len();
            win.dsts.clear();
            win.start = t;
            win.alerted = false;
        }
        if win.alerted {
            self.scan_elements = self.scan_elements.saturating_sub(freed);
            return;
        }
        let start = win.start;
        let port = e.dst_port.map_or(NO_PORT, u32::from);
        let mut added = 0;
        let mut hosts = None;
        let mut ports = None;
        match win.dsts.entry(ip_hash(dst)) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(port);
                added += 1;
                if win.dsts.len() >= scan.hosts as usize {
                    hosts = Some(win.dsts.len());
                }
            }
            std::collections::hash_map::Entry::Occupied(first) => {
                let first = *first.get();
                if port != NO_PORT && first != port {
                    let (pair, gone) = self
                        .scan_pair
                        .get_or_insert_with(&(src, dst), PairWindow::default);
                    freed += gone.map_or(0, |g| g.ports.len());
                    if pair.start != start || pair.ports.is_empty() {
                        freed += pair.ports.len();
                        pair.ports.clear();
                        pair.start = start;
                        if first != NO_PORT {
                            pair.ports.insert(first as u16);
                            added += 1;
                        }
                    }
                    if pair.ports.insert(port as u16) {
                        added += 1;
                    }
                    if pair.ports.len() >= scan.ports as usize {
                        ports = Some(pair.ports.len());
                        freed += pair.ports.len();
                        pair.ports = FxHashSet::default();
                    }
                }
            }
        }
        if hosts.is_some() || ports.is_some() {
            win.alerted = true;
            freed += win.dsts.len();
            win.dsts = FxHashMap::default();
        }
        self.scan_elements = (self.scan_elements + added).saturating_sub(freed);
        while self.scan_elements > self.limits.scan_elements {
            let gone = match self.scan_pair.pop_oldest() {
                Some((_, p)) => p.ports.len(),
                None => match self.scan_src.pop_oldest() {
                    Some((_, s)) => s.dsts.len(),
                    None => {
                        self.scan_elements = 0;
                        break;
                    }
                },
            };
            self.evicted_other += 1;
            self.scan_elements = self.scan_elements.saturating_sub(gone);
        }
        if hosts.is_none() && ports.is_none() {
            return;
        }
        use std::fmt::Write;
        self.key.clear();
        let _ = write!(self.key, "{src}|{start}");
        let (subject, detail) = match (hosts, ports) {
            (Some(n), _) => (
                Subject {
                    src,
                    src_place: sp,
                    dst: None,
                    dst_port: None,
                    proto: None,
                },
                format!("{n} distinct destinations within {window} s"),
            ),
            (None, n) => (
                Subject {
                    src,
                    src_place: sp,
                    dst: Some((dst, dp)),
                    dst_port: None,
                    proto: Some(e.proto),
                },
                format!(
                    "{} distinct ports of {dst} within {window} s",
                    n.unwrap_or(0)
                ),
            ),
        };
        self.raise(AlertRule::Scan, subject, t, line, || detail);
    }

    fn tally(
        &mut self,
        t: i64,
        from: u16,
        to: u16,
        proto: Proto,
        port: Option<u16>,
        forbidden: bool,
    ) {
        let day = (t + i64::from(self.local_offset)).div_euclid(86_400) as i32;
        let mut key = TallyKey {
            day,
            from,
            to,
            proto,
            port: if matches!(proto, Proto::Tcp | Proto::Udp) {
                port
            } else {
                None
            },
        };
        if let Some(row) = self.tallies.get_mut(&key) {
            row.0 += 1;
            row.1 += u64::from(forbidden);
            return;
        }
        if key.port.is_some() {
            let full = self.tallies.len() + self.pair_ports.len() >= self.limits.tallies;
            let pair = (day, from, to, proto);
            let ports = self.pair_ports.get(&pair).copied().unwrap_or(0);
            if full || ports as usize >= self.limits.ports_per_pair {
                key.port = None;
            } else {
                self.pair_ports.insert(pair, ports + 1);
            }
        }
        if !self.tallies.contains_key(&key)
            && self.tallies.len() + self.pair_ports.len() >= self.limits.tallies
        {
            self.evicted_other += 1;
            return;
        }
        let row = self.tallies.entry(key).or_insert((0, 0));
        row.0 += 1;
        if forbidden {
            row.1 += 1;
        }
    }

    /// Adds one sighting to the pending alert of `self.key` under `rule`, or starts one.
    fn raise(
        &mut self,
        rule: AlertRule,
        s: Subject,
        t: i64,
        line: &[u8],
        detail: impl FnOnce() -> String,
    ) {
        let samples = self.settings.evidence_samples.max(1);
        let map = &mut self.pending[rule_index(rule)];
        if let Some(alert) = map.get_mut(self.key.as_str()) {
            alert.count = alert.count.saturating_add(1);
            alert.first_seen = alert.first_seen.min(time(t));
            alert.last_seen = alert.last_seen.max(time(t));
            if alert.evidence.len() < samples {
                alert.evidence.push(cut(line, EVIDENCE_CHARS));
            }
            return;
        }
        if self.pending_len >= self.limits.pending_alerts {
            self.alerts_dropped += 1;
            return;
        }
        let segment = |p: Place| {
            p.segment
                .and_then(|i| self.segments.get(usize::from(i)))
                .map(|(code, _)| code.clone())
        };
        let asset = |p: Place| p.asset.and_then(|i| self.assets.get(i as usize)).cloned();
        let (dst, dst_segment, dst_asset) = match s.dst {
            Some((addr, p)) => (Some(addr), segment(p), asset(p)),
            None => (None, None, None),
        };
        let alert = Alert {
            rule,
            key: self.key.clone(),
            src: s.src,
            dst,
            dst_port: s.dst_port,
            proto: s.proto,
            src_segment: segment(s.src_place),
            dst_segment,
            src_asset: asset(s.src_place),
            dst_asset,
            detail: detail(),
            count: 1,
            first_seen: time(t),
            last_seen: time(t),
            evidence: vec![cut(line, EVIDENCE_CHARS)],
        };
        self.pending[rule_index(rule)].insert(self.key.clone(), alert);
        self.pending_len += 1;
    }

    fn flush_tallies(&mut self) {
        let mut rows: Vec<_> = self.tallies.drain().collect();
        self.pair_ports.clear();
        rows.sort_unstable_by_key(|(k, _)| (k.day, k.from, k.to, k.proto, k.port));
        for (k, (flows, forbidden)) in rows {
            let day = NaiveDate::from_num_days_from_ce_opt(k.day + 719_163).unwrap_or_default();
            self.ready_tallies.push(Tally {
                day,
                from: self.zone(k.from),
                to: self.zone(k.to),
                proto: k.proto,
                dst_port: k.port,
                flows,
                forbidden,
            });
        }
    }

    /// What was found since the last take: alerts aggregated by (rule, key), tallies per day and
    /// pair of zones. Windows that ended before the latest event are dropped here.
    pub fn take(&mut self) -> (Vec<Alert>, Vec<Tally>) {
        let now = self.latest.unwrap_or(i64::MIN);
        let scan_window = i64::from(self.settings.scan.window_secs.max(1));
        let unreg_window = i64::from(self.settings.unregistered_window_secs.max(1));
        let mut freed = 0;
        self.scan_src.retain(
            |_, w| w.start + scan_window > now,
            |w| freed += w.dsts.len(),
        );
        self.scan_pair.retain(
            |_, w| w.start + scan_window > now,
            |w| freed += w.ports.len(),
        );
        self.scan_elements = self.scan_elements.saturating_sub(freed);
        self.unregistered
            .retain(|_, last| last.saturating_add(unreg_window) > now, |_| {});
        let mut alerts = Vec::with_capacity(self.pending_len);
        for map in &mut self.pending {
            alerts.extend(map.drain().map(|(_, a)| a));
        }
        self.pending_len = 0;
        alerts.sort_by(|a, b| (a.rule, a.first_seen, &a.key).cmp(&(b.rule, b.first_seen, &b.key)));
        for a in &alerts {
            self.alerts_by_rule[rule_index(a.rule)] += 1;
        }
        self.summary.alerts += alerts.len() as u64;
        self.flush_tallies();
        (alerts, std::mem::take(&mut self.ready_tallies))
    }
}

/// One alert as `mamori monitor scan` writes it (one JSON object per line): the rule, both
/// ends, the segments' and assets' names (null when none), the count, first and last time and
/// the evidence lines. `site` gives the segments' names for the codes the alert carries.
pub fn alert_record(alert: &Alert, site: &Site) -> serde_json::Value {
    let segment = |code: &Option<String>| {
        code.as_deref().map(|code| {
            site.segments
                .iter()
                .find(|s| s.code == code)
                .map_or(code, |s| s.name.as_str())
                .to_owned()
        })
    };
    serde_json::json!({
        "rule": alert.rule.as_str(),
        "src": alert.src,
        "dst": alert.dst,
        "dst_port": alert.dst_port,
        "proto": alert.proto,
        "src_segment": segment(&alert.src_segment),
        "dst_segment": segment(&alert.dst_segment),
        "src_asset": alert.src_asset.as_ref().map(|a| &a.name),
        "dst_asset": alert.dst_asset.as_ref().map(|a| &a.name),
        "count": alert.count,
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
        "evidence": alert.evidence,
    })
}
