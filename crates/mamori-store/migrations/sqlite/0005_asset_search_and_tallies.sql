-- Free-text search of the register through a trigram index, and the summary's counts kept
-- with the register.

-- The five searched columns, indexed by trigram (FTS5). External content: the text stays in
-- `assets`; the triggers below keep the index in step with every write, in its transaction.
-- The index folds case more widely than LIKE does (all of Unicode, not only ASCII), so it
-- only narrows the candidates: the store checks each candidate with the same LIKE as before.
CREATE VIRTUAL TABLE assets_search USING fts5(
    name, location, hosts, addresses, note,
    content = 'assets', content_rowid = 'id', tokenize = 'trigram case_sensitive 0'
);
INSERT INTO assets_search (assets_search) VALUES ('rebuild');

CREATE TRIGGER assets_search_insert AFTER INSERT ON assets BEGIN
    INSERT INTO assets_search (rowid, name, location, hosts, addresses, note)
    VALUES (new.id, new.name, new.location, new.hosts, new.addresses, new.note);
END;

CREATE TRIGGER assets_search_delete AFTER DELETE ON assets BEGIN
    INSERT INTO assets_search (assets_search, rowid, name, location, hosts, addresses, note)
    VALUES ('delete', old.id, old.name, old.location, old.hosts, old.addresses, old.note);
END;

CREATE TRIGGER assets_search_update AFTER UPDATE OF name, location, hosts, addresses, note ON assets
WHEN old.name IS NOT new.name OR old.location IS NOT new.location OR old.hosts IS NOT new.hosts
    OR old.addresses IS NOT new.addresses OR old.note IS NOT new.note
BEGIN
    INSERT INTO assets_search (assets_search, rowid, name, location, hosts, addresses, note)
    VALUES ('delete', old.id, old.name, old.location, old.hosts, old.addresses, old.note);
    INSERT INTO assets_search (rowid, name, location, hosts, addresses, note)
    VALUES (new.id, new.name, new.location, new.hosts, new.addresses, new.note);
END;

-- How many assets there are in all, flagged, and per confidentiality level, segment and owner
-- unit: the summary reads these rows instead of counting the register on every view. The store
-- changes them in the transaction of every asset write. `code` is the level's code, the
-- segment's or unit's id ('' for no segment), or '' for the totals.
CREATE TABLE asset_tallies (
    facet TEXT NOT NULL,
    code TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (facet, code)
);
INSERT INTO asset_tallies (facet, code, n) SELECT 'total', '', COUNT(*) FROM assets;
INSERT INTO asset_tallies (facet, code, n)
    SELECT 'flagged', '', COUNT(*) FROM assets WHERE flagged = 1;
INSERT INTO asset_tallies (facet, code, n)
    SELECT 'confidentiality', confidentiality, COUNT(*) FROM assets GROUP BY confidentiality;
INSERT INTO asset_tallies (facet, code, n)
    SELECT 'segment', COALESCE(CAST(segment_id AS TEXT), ''), COUNT(*) FROM assets GROUP BY segment_id;
INSERT INTO asset_tallies (facet, code, n)
    SELECT 'unit', CAST(owner_unit_id AS TEXT), COUNT(*) FROM assets GROUP BY owner_unit_id;
