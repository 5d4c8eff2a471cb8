-- Third parties (seed §6(8), §11): 委託事業者 (contractors) and the agreements kept with third
-- parties — 業務委託契約 with a contractor, 協定 with a 指定管理者 — with the systems, classes of
-- information and security requirements each carries, the contractor's people a contract lists,
-- the policy documents it names, and the verifications of its requirements.
CREATE TABLE contractors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    contact_person TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE agreements (
    id INTEGER PRIMARY KEY,
    -- contract or designated.
    kind TEXT NOT NULL,
    -- The contractor of a contract; none for a 指定管理 agreement.
    contractor_id INTEGER REFERENCES contractors(id),
    -- The 指定管理者 (managing body) of an agreement; empty for a contract.
    managing_body TEXT NOT NULL DEFAULT '',
    -- A contract's title, or the facility an agreement manages.
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    unit_id INTEGER NOT NULL REFERENCES units(id),
    -- YYYY-MM-DD, both days included.
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX agreements_kind ON agreements (kind, ends_on);
CREATE INDEX agreements_contractor ON agreements (contractor_id);

CREATE TABLE agreement_assets (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    PRIMARY KEY (agreement_id, asset_id)
);

-- The confidentiality levels (codes of the scale) of the information handled.
CREATE TABLE agreement_classes (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    level TEXT NOT NULL,
    PRIMARY KEY (agreement_id, level)
);

-- The requirements of core's checklist the agreement carries, by code.
CREATE TABLE agreement_requirements (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    code TEXT NOT NULL,
    PRIMARY KEY (agreement_id, code)
);

-- The contractor's people (persons holding the contractor role) a contract lists.
CREATE TABLE agreement_people (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (agreement_id, person_id)
);
CREATE INDEX agreement_people_person ON agreement_people (person_id);

-- The 対策基準 and 実施手順 a contract names: its people read them while it is in force.
CREATE TABLE agreement_policies (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    PRIMARY KEY (agreement_id, policy_id)
);

CREATE TABLE agreement_verifications (
    id INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    requirement TEXT NOT NULL,
    -- met, partly or not_met.
    outcome TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    user_id INTEGER REFERENCES users(id),
    at_ms INTEGER NOT NULL
);
CREATE INDEX agreement_verifications_agreement ON agreement_verifications (agreement_id, id);
