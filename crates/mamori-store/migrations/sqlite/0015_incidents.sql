-- 情報セキュリティインシデント: each report with the CSIRT's triage, the assets concerned, and the
-- typed timeline (a notification step names the rule it meets).
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    occurred_at INTEGER,
    detected_at INTEGER NOT NULL,
    reporter_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER REFERENCES units(id),
    severity TEXT,
    category TEXT,
    threat_code TEXT,
    personal_data INTEGER NOT NULL DEFAULT 0,
    people_count INTEGER NOT NULL DEFAULT 0,
    unauthorised_purpose INTEGER NOT NULL DEFAULT 0,
    owner_id INTEGER REFERENCES people(id),
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX incidents_unit ON incidents (unit_id);

CREATE TABLE incident_assets (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    PRIMARY KEY (incident_id, asset_id)
);

CREATE TABLE incident_events (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    step TEXT NOT NULL,
    rule_code TEXT,
    note TEXT NOT NULL DEFAULT '',
    at_ms INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id)
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);
