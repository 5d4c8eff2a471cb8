-- 不正通信の監視 (seed §6(3), §6(7)): the crossing matrix, the monitor's settings, its alerts and
-- the daily tallies of flows between zones.

-- One row per ordered pair of zones. A zone is a segment's code or `*INTERNET`, kept as text
-- rather than a reference: a segment deleted leaves its cells readable, shown and removable.
CREATE TABLE crossing_rules (
    from_zone TEXT NOT NULL,
    to_zone TEXT NOT NULL,
    -- never | only | any
    allow TEXT NOT NULL,
    -- The services of `only`, one per line (`tcp/25@10.20.0.25`).
    services TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (from_zone, to_zone)
);

-- Set by the first write of the matrix. Until then the matrix is the β model of the 総務省
-- guidelines over the segments there are, read but not stored, so that a new site follows it.
CREATE TABLE crossing_matrix_saved (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    saved_at INTEGER NOT NULL
);

-- The monitor's settings as one JSON document.
CREATE TABLE monitor_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Alerts, aggregated: while an alert of a (rule, key) is open, later sightings are added to it.
CREATE TABLE monitor_alerts (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    alert_key TEXT NOT NULL,
    -- open | acknowledged | closed
    state TEXT NOT NULL,
    src TEXT NOT NULL,
    dst TEXT,
    dst_port INTEGER,
    proto TEXT,
    src_segment TEXT,
    dst_segment TEXT,
    src_asset_id INTEGER,
    src_asset_name TEXT,
    dst_asset_id INTEGER,
    dst_asset_name TEXT,
    detail TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    -- A JSON array of sample lines, at most the settings' evidence_samples.
    evidence TEXT NOT NULL DEFAULT '[]',
    acknowledged_by TEXT,
    acknowledged_at INTEGER,
    acknowledge_note TEXT NOT NULL DEFAULT '',
    closed_by TEXT,
    closed_at INTEGER,
    close_note TEXT NOT NULL DEFAULT '',
    -- The インシデント候補 raised from the alert (by the monitor on its own or by the CSIRT).
    incident_candidate INTEGER REFERENCES incident_candidates(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX monitor_alerts_open ON monitor_alerts (alert_key, rule) WHERE state = 'open';
CREATE INDEX monitor_alerts_newest ON monitor_alerts (last_seen, id);
CREATE INDEX monitor_alerts_src ON monitor_alerts (src);
CREATE INDEX monitor_alerts_dst ON monitor_alerts (dst);
CREATE INDEX monitor_alerts_src_segment ON monitor_alerts (src_segment);
CREATE INDEX monitor_alerts_dst_segment ON monitor_alerts (dst_segment);
CREATE INDEX monitor_alerts_src_asset ON monitor_alerts (src_asset_id);
CREATE INDEX monitor_alerts_dst_asset ON monitor_alerts (dst_asset_id);

-- Flows per day between zones, to a protocol and port (-1: none, or ports folded together).
CREATE TABLE monitor_tallies (
    day TEXT NOT NULL,
    from_zone TEXT NOT NULL,
    to_zone TEXT NOT NULL,
    proto TEXT NOT NULL,
    dst_port INTEGER NOT NULL,
    flows INTEGER NOT NULL,
    forbidden INTEGER NOT NULL,
    PRIMARY KEY (day, from_zone, to_zone, proto, dst_port)
);
CREATE INDEX monitor_tallies_from ON monitor_tallies (from_zone, day);
CREATE INDEX monitor_tallies_to ON monitor_tallies (to_zone, day);
