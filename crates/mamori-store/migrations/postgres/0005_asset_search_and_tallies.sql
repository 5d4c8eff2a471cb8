-- Free-text search of the register through a trigram index, and the summary's counts kept
-- with the register.

-- pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create it
-- without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The five searched columns, each indexed by trigram. The expression folds ASCII letters only,
-- as SQLite's LIKE does, so that both databases match the same rows; the store's query uses
-- the very same expression, which is what lets it use these indexes.
CREATE INDEX assets_search_name ON assets
    USING gin (translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') gin_trgm_ops);
CREATE INDEX assets_search_location ON assets
    USING gin (translate(location, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') gin_trgm_ops);
CREATE INDEX assets_search_hosts ON assets
    USING gin (translate(hosts, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') gin_trgm_ops);
CREATE INDEX assets_search_addresses ON assets
    USING gin (translate(addresses, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') gin_trgm_ops);
CREATE INDEX assets_search_note ON assets
    USING gin (translate(note, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') gin_trgm_ops);

-- How many assets there are in all, flagged, and per confidentiality level, segment and owner
-- unit: the summary reads these rows instead of counting the register on every view. The store
-- changes them in the transaction of every asset write. `code` is the level's code, the
-- segment's or unit's id ('' for no segment), or '' for the totals.
CREATE TABLE asset_tallies (
    facet TEXT NOT NULL,
    code TEXT NOT NULL,
    n BIGINT NOT NULL,
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
