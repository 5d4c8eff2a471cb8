-- お知らせ and the mail outbox: notices written with what they are about, mails retried until the
-- relay takes them, the digest claimed once a day, and each account's choice about the digest.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT NOT NULL,
    once_key TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    mail_id INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (person_id, once_key)
);
CREATE INDEX notices_person ON notices (person_id, id);
CREATE INDEX notices_pending ON notices (state, id);

CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at INTEGER,
    failed_at INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE notice_digests (
    day TEXT PRIMARY KEY,
    claimed_at INTEGER NOT NULL
);

ALTER TABLE users ADD COLUMN digest_opt_out INTEGER NOT NULL DEFAULT 0;
