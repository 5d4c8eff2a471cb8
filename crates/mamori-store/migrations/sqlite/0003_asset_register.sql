-- The asset register: segments, classification scales and information assets.

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Address ranges in CIDR form, one per line.
    ranges TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One scale per dimension; its levels (names, definitions, handling rules) as JSON.
CREATE TABLE classification_scales (
    dimension TEXT PRIMARY KEY,
    levels TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The levels of the scales again, one row each, for the register's queries (sort by rank,
-- hide restricted assets) to join against. Rewritten whenever a scale changes.
CREATE TABLE classification_levels (
    dimension TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    rank INTEGER NOT NULL,
    restricted INTEGER NOT NULL,
    existence_visible INTEGER NOT NULL,
    PRIMARY KEY (dimension, code)
);

CREATE TABLE assets (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_unit_id INTEGER NOT NULL REFERENCES units(id),
    administrator_id INTEGER REFERENCES people(id),
    location TEXT NOT NULL DEFAULT '',
    segment_id INTEGER REFERENCES segments(id),
    -- Host names and addresses, one per line.
    hosts TEXT NOT NULL DEFAULT '',
    addresses TEXT NOT NULL DEFAULT '',
    lifecycle TEXT NOT NULL,
    disposal_method TEXT,
    disposal_by TEXT,
    disposal_at INTEGER,
    note TEXT NOT NULL DEFAULT '',
    confidentiality TEXT NOT NULL,
    integrity TEXT NOT NULL,
    availability TEXT NOT NULL,
    -- What the rules flag, as JSON, recomputed whenever the asset, its segment or the scales change.
    flags TEXT NOT NULL DEFAULT '[]',
    flagged INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX assets_name ON assets (name, id);
CREATE INDEX assets_kind ON assets (kind, name, id);
CREATE INDEX assets_owner ON assets (owner_unit_id, name, id);
CREATE INDEX assets_segment ON assets (segment_id, name, id);
CREATE INDEX assets_confidentiality ON assets (confidentiality, name, id);
CREATE INDEX assets_integrity ON assets (integrity);
CREATE INDEX assets_availability ON assets (availability);
CREATE INDEX assets_lifecycle ON assets (lifecycle, name, id);
CREATE INDEX assets_flagged ON assets (flagged, name, id);
CREATE INDEX assets_updated ON assets (updated_at, id);
