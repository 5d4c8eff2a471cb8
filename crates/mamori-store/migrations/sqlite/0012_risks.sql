-- リスク: the threats of seed §3 (filled at first start from core's list, then edited), the
-- risk matrix in force, and the register: each risk with its assets, threats and measures.
CREATE TABLE threats (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    category TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row: the matrix as JSON (core's `RiskMatrix`); absent until one is set.
CREATE TABLE risk_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    matrix TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE risks (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    unit_id INTEGER NOT NULL REFERENCES units(id),
    owner_id INTEGER NOT NULL REFERENCES people(id),
    likelihood INTEGER NOT NULL,
    impact INTEGER NOT NULL,
    inherent_level TEXT NOT NULL,
    residual_likelihood INTEGER,
    residual_impact INTEGER,
    residual_level TEXT,
    -- The residual level, else the inherent one; its rank (0 low … 3 critical) for sorting.
    level TEXT NOT NULL,
    level_rank INTEGER NOT NULL,
    treatment TEXT NOT NULL,
    review_on TEXT NOT NULL,
    accepted_by INTEGER REFERENCES users(id),
    accepted_at INTEGER,
    acceptance_note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX risks_unit ON risks (unit_id);
CREATE INDEX risks_owner ON risks (owner_id);

CREATE TABLE risk_assets (
    risk_id INTEGER NOT NULL REFERENCES risks(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    PRIMARY KEY (risk_id, asset_id)
);

CREATE TABLE risk_threats (
    risk_id INTEGER NOT NULL REFERENCES risks(id),
    threat_id INTEGER NOT NULL REFERENCES threats(id),
    PRIMARY KEY (risk_id, threat_id)
);

CREATE TABLE risk_measures (
    risk_id INTEGER NOT NULL REFERENCES risks(id),
    measure_urn TEXT NOT NULL,
    PRIMARY KEY (risk_id, measure_urn)
);
