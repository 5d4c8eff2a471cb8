-- 自己点検: yearly campaigns over a catalogue, the units each covers with their sign-off, and
-- each unit's items (the measures that concerned it when the campaign opened) with the answer
-- given to each while the campaign was open. 情報セキュリティ監査: the plan with its scope, the
-- team, the fieldwork notes and the report. 指摘事項 and 是正処置: what inspections and audits
-- found, and the actions that correct it. 例外措置: a unit's deviation from a measure. 見直し:
-- a review with its inputs and the policy versions it led to.
CREATE TABLE inspections (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    catalogue_id INTEGER NOT NULL REFERENCES catalogues(id),
    due_on TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX inspections_year ON inspections (catalogue_id, year);

CREATE TABLE inspection_units (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    signed_by INTEGER REFERENCES users(id),
    signed_at INTEGER,
    sign_note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (inspection_id, unit_id)
);

CREATE TABLE inspection_items (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    measure_urn TEXT NOT NULL,
    ord INTEGER NOT NULL,
    chapter TEXT NOT NULL DEFAULT '',
    answer_id INTEGER REFERENCES measure_statuses(id),
    -- The state of that answer, kept beside it so that the dashboard's tally reads one index.
    state TEXT,
    PRIMARY KEY (inspection_id, unit_id, measure_urn)
);
-- An answer finds the open items it fills by unit and measure.
CREATE INDEX inspection_items_measure ON inspection_items (unit_id, measure_urn);
CREATE INDEX inspection_items_tally ON inspection_items (inspection_id, unit_id, chapter, state);

CREATE TABLE security_audits (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    criteria TEXT NOT NULL DEFAULT '',
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    state TEXT NOT NULL,
    report TEXT NOT NULL DEFAULT '',
    reported_by INTEGER REFERENCES users(id),
    reported_at INTEGER,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE audit_scope_units (
    audit_id INTEGER NOT NULL REFERENCES security_audits(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (audit_id, unit_id)
);

CREATE TABLE audit_scope_chapters (
    audit_id INTEGER NOT NULL REFERENCES security_audits(id),
    chapter TEXT NOT NULL,
    PRIMARY KEY (audit_id, chapter)
);

CREATE TABLE audit_team (
    audit_id INTEGER NOT NULL REFERENCES security_audits(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    lead INTEGER NOT NULL DEFAULT 0,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (audit_id, person_id)
);

CREATE TABLE audit_notes (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES security_audits(id),
    unit_id INTEGER REFERENCES units(id),
    text TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    at_ms INTEGER NOT NULL
);
CREATE INDEX audit_notes_audit ON audit_notes (audit_id, id);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    inspection_id INTEGER REFERENCES inspections(id),
    audit_id INTEGER REFERENCES security_audits(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    catalogue_id INTEGER REFERENCES catalogues(id),
    measure_urn TEXT NOT NULL DEFAULT '',
    clause TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    answer_id INTEGER REFERENCES measure_statuses(id),
    raised_by INTEGER REFERENCES users(id),
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX findings_unit ON findings (unit_id);
CREATE INDEX findings_inspection ON findings (inspection_id);
CREATE INDEX findings_audit ON findings (audit_id);

CREATE TABLE corrective_actions (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    description TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES people(id),
    due_on TEXT NOT NULL,
    state TEXT NOT NULL,
    done_by INTEGER REFERENCES users(id),
    done_at INTEGER,
    done_note TEXT NOT NULL DEFAULT '',
    verified_by INTEGER REFERENCES users(id),
    verified_at INTEGER,
    verify_note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX corrective_actions_finding ON corrective_actions (finding_id);
CREATE INDEX corrective_actions_owner ON corrective_actions (owner_id);

CREATE TABLE measure_exceptions (
    id INTEGER PRIMARY KEY,
    catalogue_id INTEGER NOT NULL REFERENCES catalogues(id),
    measure_urn TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    reason TEXT NOT NULL,
    compensating TEXT NOT NULL,
    until TEXT NOT NULL,
    emergency INTEGER NOT NULL DEFAULT 0,
    taken_on TEXT,
    state TEXT NOT NULL,
    requested_by INTEGER REFERENCES users(id),
    requested_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at INTEGER,
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX measure_exceptions_unit ON measure_exceptions (unit_id, catalogue_id, measure_urn);

CREATE TABLE policy_reviews (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    environment TEXT NOT NULL DEFAULT '',
    decisions TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- What a review considered: audits, self-inspections, risks (by kind and id).
CREATE TABLE policy_review_inputs (
    review_id INTEGER NOT NULL REFERENCES policy_reviews(id),
    kind TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    PRIMARY KEY (review_id, kind, ref_id)
);

-- The policy versions a review led to; read both ways.
CREATE TABLE policy_review_versions (
    review_id INTEGER NOT NULL REFERENCES policy_reviews(id),
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    version INTEGER NOT NULL,
    PRIMARY KEY (review_id, policy_id, version)
);
CREATE INDEX policy_review_versions_version ON policy_review_versions (policy_id, version);
