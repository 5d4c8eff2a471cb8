-- 対策項目: catalogues of measures (CISO Assistant libraries, mamori's own among them), their
-- nodes in order with the basic-policy anchors each implements, and each unit's answers.
CREATE TABLE catalogues (
    id INTEGER PRIMARY KEY,
    urn TEXT NOT NULL UNIQUE,
    ref_id TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- The library as mamori writes it (its export): the whole catalogue is rebuilt from it.
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE catalogue_nodes (
    catalogue_id INTEGER NOT NULL REFERENCES catalogues(id),
    ord INTEGER NOT NULL,
    urn TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    parent_urn TEXT,
    depth INTEGER NOT NULL,
    assessable INTEGER NOT NULL,
    chapter TEXT,
    applies_to TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (catalogue_id, ord)
);
CREATE UNIQUE INDEX catalogue_nodes_urn ON catalogue_nodes (catalogue_id, urn);

CREATE TABLE catalogue_anchors (
    catalogue_id INTEGER NOT NULL REFERENCES catalogues(id),
    urn TEXT NOT NULL,
    anchor TEXT NOT NULL,
    PRIMARY KEY (catalogue_id, urn, anchor)
);

-- 実施状況: every answer is kept; the current one per measure and unit is marked.
CREATE TABLE measure_statuses (
    id INTEGER PRIMARY KEY,
    catalogue_id INTEGER NOT NULL REFERENCES catalogues(id),
    measure_urn TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    -- An uploaded file, kept in the data folder under its SHA-256.
    file_name TEXT,
    file_sha256 TEXT,
    file_size INTEGER,
    user_id INTEGER REFERENCES users(id),
    at_ms INTEGER NOT NULL,
    current INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX measure_statuses_current ON measure_statuses (catalogue_id, measure_urn, unit_id)
    WHERE current = 1;
CREATE INDEX measure_statuses_history ON measure_statuses (catalogue_id, measure_urn, unit_id, id);
