-- インシデントの事後: tasks with owners (対応タスク), the lessons learned once closed (教訓), and the
-- incident candidates the gateway and the monitor raise (インシデント候補), each kept once per
-- (source, reference), with the incident it opened or why it was dismissed.
CREATE TABLE incident_tasks (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    title TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES people(id),
    due_on TEXT,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    done_at INTEGER,
    done_by INTEGER REFERENCES users(id)
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);
CREATE INDEX incident_tasks_owner ON incident_tasks (owner_id, done_at);

ALTER TABLE incidents ADD COLUMN lessons TEXT;
ALTER TABLE incidents ADD COLUMN lessons_at INTEGER;
ALTER TABLE incidents ADD COLUMN lessons_by INTEGER REFERENCES users(id);

CREATE TABLE incident_candidates (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    reference TEXT NOT NULL,
    summary TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    incident_id INTEGER REFERENCES incidents(id),
    reason TEXT,
    decided_by INTEGER REFERENCES users(id),
    decided_at INTEGER,
    UNIQUE (source, reference)
);
CREATE INDEX incident_candidates_state ON incident_candidates (state, raised_at);
CREATE INDEX incident_candidates_incident ON incident_candidates (incident_id);
