-- The head of the audit chain gets a MAC of its own, so that removing the newest records and
-- rewinding the head to an older record needs the audit key.
ALTER TABLE audit_head ADD COLUMN seal TEXT NOT NULL DEFAULT '';
