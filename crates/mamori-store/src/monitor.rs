//! 不正通信の監視 (seed §6(3), §6(7)): the crossing matrix and the monitor's settings, edited by
//! the CISO's office; the site the monitor process reads logs against; the alerts it raises,
//! aggregated while open and then acknowledged and closed by the CSIRT; and the daily tallies of
//! flows between zones that the per-segment view is drawn from.

use std::net::IpAddr;

use chrono::NaiveDate;
use mamori_core::asset::AssetId;
use mamori_core::authz::{Granted, HandleAlerts, ManageMonitor, ViewMonitor};
use mamori_core::crossing::{CrossingMatrix, CrossingRule, Proto, Zone};
use mamori_core::monitor::{Alert, AlertRule, MonitorSettings, Site, Tally};

use crate::{Origin, Result};

/// Id of a stored alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertId(pub i64);

/// Where an alert is in its handling: open (later sightings are added to it) → acknowledged
/// (対応中: someone of the CSIRT has it) → closed. A sighting after it left `open` opens a new
/// alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertState {
    Open,
    Acknowledged,
    Closed,
}

impl AlertState {
    pub const ALL: [AlertState; 3] = [
        AlertState::Open,
        AlertState::Acknowledged,
        AlertState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<AlertState> {
        AlertState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Catalogue key of the state's name.
    pub fn key(self) -> &'static str {
        match self {
            AlertState::Open => "monitor.state.open",
            AlertState::Acknowledged => "monitor.state.acknowledged",
            AlertState::Closed => "monitor.state.closed",
        }
    }
}

/// A step of an alert's handling: who, when, with what note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertStep {
    pub by: String,
    pub at_ms: i64,
    pub note: String,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    pub id: AlertId,
    pub state: AlertState,
    pub alert: Alert,
    pub acknowledged: Option<AlertStep>,
    pub closed: Option<AlertStep>,
    /// The インシデント候補 raised from this alert, by the monitor on its own or by the CSIRT.
    pub incident_candidate: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which alerts to list: newest `last_seen` first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFilter {
    pub rule: Option<AlertRule>,
    pub state: Option<AlertState>,
    /// A segment's code at either end.
    pub segment: Option<String>,
    /// An asset at either end.
    pub asset: Option<AssetId>,
    /// An address at either end.
    pub address: Option<IpAddr>,
    /// Bounds on `last_seen`, in milliseconds (since inclusive, until exclusive).
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

impl Default for AlertFilter {
    fn default() -> Self {
        AlertFilter {
            rule: None,
            state: None,
            segment: None,
            asset: None,
            address: None,
            since: None,
            until: None,
            offset: 0,
            limit: 50,
        }
    }
}

/// One page of alerts, with how many the filter matches in all and per rule (the rule filter
/// left out of the counts per rule, so that the page can offer each).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertPage {
    pub alerts: Vec<StoredAlert>,
    pub total: i64,
    pub per_rule: Vec<(AlertRule, i64)>,
}

/// What one call of [`MonitorStore::record_monitor`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordOutcome {
    /// Alerts written as new rows.
    pub opened: usize,
    /// Alerts added to an open one of the same rule and key.
    pub merged: usize,
    /// Tally rows written or added to.
    pub tallies: usize,
    /// インシデント候補 raised from new alerts of the settings' `candidate_rules`.
    pub candidates: Vec<i64>,
}

/// Flows between two zones over a span of days, to a protocol and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyRow {
    pub from: Zone,
    pub to: Zone,
    pub proto: Proto,
    pub dst_port: Option<u16>,
    pub flows: i64,
    pub forbidden: i64,
}

/// The crossing matrix as stored, with the zones it names that are no longer segments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredMatrix {
    pub matrix: CrossingMatrix,
    /// Zones named by a cell whose segment was deleted since: shown, and removable.
    pub missing: Vec<Zone>,
    /// The segments there are now, as (code, name) by code: the matrix's zones with the
    /// Internet.
    pub segments: Vec<(String, String)>,
    /// Not saved yet: the matrix is the β model over the segments there are, which the monitor
    /// applies and the first write stores (a cell edited is edited in it).
    pub assumed: bool,
}

/// The monitor's storage.
#[async_trait::async_trait]
pub trait MonitorStore: Send + Sync {
    /// The crossing matrix, every cell, those naming deleted segments too.
    async fn crossing_matrix(&self, grant: &Granted<ViewMonitor>) -> Result<StoredMatrix>;
    /// Replaces the whole matrix (`monitor.matrix.replace`): every zone must be a segment or the
    /// Internet ([`Conflict::MonitorZoneMissing`](crate::Conflict::MonitorZoneMissing)), no pair
    /// twice nor a zone with itself
    /// ([`Conflict::MonitorMatrixInvalid`](crate::Conflict::MonitorMatrixInvalid)).
    async fn set_crossing_matrix(
        &self,
        grant: &Granted<ManageMonitor>,
        matrix: &CrossingMatrix,
        origin: &Origin,
    ) -> Result<StoredMatrix>;
    /// Sets one cell (`monitor.matrix.cell`), checked as the whole matrix is.
    async fn set_crossing_rule(
        &self,
        grant: &Granted<ManageMonitor>,
        rule: &CrossingRule,
        origin: &Origin,
    ) -> Result<StoredMatrix>;
    /// Removes one cell (`monitor.matrix.remove`), one naming a deleted segment too; `NotFound`
    /// when the matrix has no such cell.
    async fn remove_crossing_rule(
        &self,
        grant: &Granted<ManageMonitor>,
        from: &Zone,
        to: &Zone,
        origin: &Origin,
    ) -> Result<StoredMatrix>;

    /// The settings in force (the defaults until set).
    async fn monitor_settings(&self, grant: &Granted<ViewMonitor>) -> Result<MonitorSettings>;
    /// Replaces the settings (`monitor.settings`); refused when core's `validate` refuses them
    /// ([`Conflict::MonitorSettingsInvalid`](crate::Conflict::MonitorSettingsInvalid)).
    async fn set_monitor_settings(
        &self,
        grant: &Granted<ManageMonitor>,
        settings: &MonitorSettings,
        origin: &Origin,
    ) -> Result<MonitorSettings>;

    /// What the monitor process reads logs against: the segments with their ranges, the assets
    /// not disposed with their addresses, the matrix and the settings. For the monitor process
    /// alone (no grant; see [`ViewMonitor`]).
    async fn monitor_site(&self) -> Result<Site>;
    /// Writes what the monitor found, in one transaction with one audit record
    /// (`monitor.record`, by `system:monitor`): each alert is added to the open alert of its
    /// rule and key (count added, first and last seen widened, evidence appended up to the
    /// settings' `evidence_samples`) or written as a new one; tallies are added to their day's
    /// rows. A new alert of one of the settings' `candidate_rules` is raised as an インシデント候補
    /// in the same write (at most [`CANDIDATES_PER_BATCH`](mamori_core::monitor::CANDIDATES_PER_BATCH)).
    /// For the monitor process alone.
    async fn record_monitor(&self, alerts: &[Alert], tallies: &[Tally]) -> Result<RecordOutcome>;

    /// A page of alerts.
    async fn alerts(&self, grant: &Granted<ViewMonitor>, filter: &AlertFilter)
    -> Result<AlertPage>;
    /// One alert.
    async fn alert(&self, grant: &Granted<ViewMonitor>, id: AlertId)
    -> Result<Option<StoredAlert>>;
    /// Acknowledges an open alert (`monitor.alert.acknowledge`); one that is not open is
    /// [`Conflict::AlertNotOpen`](crate::Conflict::AlertNotOpen).
    async fn acknowledge_alert(
        &self,
        grant: &Granted<HandleAlerts>,
        id: AlertId,
        note: &str,
        origin: &Origin,
    ) -> Result<StoredAlert>;
    /// Closes an open or acknowledged alert (`monitor.alert.close`); a closed one is
    /// [`Conflict::AlertClosed`](crate::Conflict::AlertClosed).
    async fn close_alert(
        &self,
        grant: &Granted<HandleAlerts>,
        id: AlertId,
        note: &str,
        origin: &Origin,
    ) -> Result<StoredAlert>;
    /// Raises the alert as an インシデント候補 (source `monitor`, the alert's id as reference) and
    /// links the two, in one write (`incident.candidate.raise`); an alert raised before
    /// answers as it is, and one raised elsewhere is linked to the candidate already there.
    async fn raise_alert_candidate(
        &self,
        grant: &Granted<HandleAlerts>,
        id: AlertId,
        origin: &Origin,
    ) -> Result<StoredAlert>;

    /// Flows from and to a zone over the days `from..=until`, summed per pair, protocol and
    /// port, most flows first.
    async fn zone_tallies(
        &self,
        grant: &Granted<ViewMonitor>,
        zone: &Zone,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<TallyRow>>;
}
