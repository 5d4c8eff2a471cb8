-- 情報セキュリティポリシー: documents (基本方針, 対策基準, 実施手順), their versions as amended,
-- each version's clauses and 附則, and the staff's confirmations that they have read a version.
CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    -- basic, standard or procedure.
    tier TEXT NOT NULL,
    title TEXT NOT NULL,
    -- The role that approves its versions (ciso unless the document names another).
    approver_role TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX policies_title ON policies (org_id, tier, title);

CREATE TABLE policy_versions (
    id INTEGER PRIMARY KEY,
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    -- 施行日 (YYYY-MM-DD), set when approved.
    effective_from TEXT,
    -- The text as written, and what was read from it.
    source TEXT NOT NULL,
    doc_title TEXT NOT NULL,
    preamble TEXT NOT NULL,
    editor_id INTEGER REFERENCES users(id),
    approver_id INTEGER REFERENCES users(id),
    approved_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX policy_versions_number ON policy_versions (policy_id, number);
-- At most one version of a document is being drafted or reviewed at a time.
CREATE UNIQUE INDEX policy_versions_open ON policy_versions (policy_id)
    WHERE state IN ('draft', 'in_review');
CREATE INDEX policy_versions_due ON policy_versions (state, effective_from);

-- Clauses in document order; the tree is rebuilt from each clause's depth.
CREATE TABLE policy_clauses (
    version_id INTEGER NOT NULL REFERENCES policy_versions(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    anchor TEXT NOT NULL,
    number TEXT NOT NULL,
    title TEXT,
    body TEXT NOT NULL,
    line INTEGER NOT NULL,
    PRIMARY KEY (version_id, ord)
);
CREATE UNIQUE INDEX policy_clauses_anchor ON policy_clauses (version_id, anchor);

CREATE TABLE policy_supplementary (
    version_id INTEGER NOT NULL REFERENCES policy_versions(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    effective_from TEXT,
    body TEXT NOT NULL,
    line INTEGER NOT NULL,
    PRIMARY KEY (version_id, ord)
);

-- 遵守の確認: one per person and version.
CREATE TABLE policy_acknowledgements (
    version_id INTEGER NOT NULL REFERENCES policy_versions(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (version_id, person_id)
);
