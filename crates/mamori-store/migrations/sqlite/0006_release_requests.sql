-- 原本の提供申請: requests to release a quarantined original, their decision and delivery.
CREATE TABLE release_requests (
    id INTEGER PRIMARY KEY,
    quarantine_id TEXT NOT NULL,
    -- inbound (a recipient asks) or outbound (the sender of held mail asks).
    direction TEXT NOT NULL,
    address TEXT NOT NULL,
    -- The address with its domain in lower case, so that one person has one open request.
    address_key TEXT NOT NULL,
    requester_id INTEGER NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    approver_id INTEGER REFERENCES users(id),
    decision_note TEXT NOT NULL DEFAULT '',
    requested_at INTEGER NOT NULL,
    decided_at INTEGER,
    finished_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_result TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX release_requests_open ON release_requests (quarantine_id, address_key)
    WHERE state IN ('requested', 'approved');
CREATE INDEX release_requests_due ON release_requests (state, next_attempt_at);
CREATE INDEX release_requests_requester ON release_requests (requester_id, id);
CREATE INDEX release_requests_quarantine ON release_requests (quarantine_id, id);
