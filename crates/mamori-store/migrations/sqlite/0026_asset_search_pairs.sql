-- Free-text search of one or two characters through an index of character pairs.
--
-- The trigram index (`assets_search`) answers nothing for a text shorter than a trigram, so a
-- search for two kanji (課長, 庁舎) read the whole register. This index keeps, for each asset,
-- every pair of consecutive characters of the five searched columns, and the last character of
-- each column alone, as tokens: a two-character text is one token, a one-character text the
-- tokens it begins (`prefix = '1'` keeps those in a list of their own).
--
-- Every character is a token character but the space, which parts the pairs; the tokenizer folds
-- case (more widely than LIKE) and nothing else, so the index only narrows the candidates, and
-- the store checks each with LIKE, as it does the trigram index's. A pair with a space is kept
-- as its other character: no search of two characters holds a space (the text is trimmed).
CREATE VIRTUAL TABLE assets_pairs USING fts5(
    pairs,
    content = '', contentless_delete = 1, prefix = '1',
    tokenize = "unicode61 categories 'L* M* N* P* S* Z* C*' separators ' ' remove_diacritics 0"
);

-- The offsets 1 to 256 of a byte in a stretch (see below).
CREATE TABLE assets_pair_offsets (i INTEGER PRIMARY KEY);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 256)
INSERT INTO assets_pair_offsets (i) SELECT i FROM n;

-- Each asset's pairs, as the index is given them: the columns are read as UTF-8 bytes (where
-- `substr` is a slice, not a walk from the start) in stretches of 256 bytes, each with the 8 that
-- follow for the last pair; a pair begins at every byte that begins a character (not 0x80–0xBF),
-- and is that byte's first two characters. The stretches are materialised, so that each byte's
-- row reads its stretch, not the whole column; the rows listing the stretches' starts carry the
-- column, so the cost is linear up to about 100 KB a column (beyond what any field may hold).
CREATE VIEW assets_pair_text AS
SELECT a.id, (
    WITH RECURSIVE
        texts(b) AS (
            SELECT CAST(v AS BLOB) FROM (
                SELECT a.name AS v UNION ALL SELECT a.location UNION ALL SELECT a.hosts
                UNION ALL SELECT a.addresses UNION ALL SELECT a.note
            ) WHERE length(v) > 0
        ),
        starts(b, s) AS (
            SELECT b, 1 FROM texts
            UNION ALL SELECT b, s + 256 FROM starts WHERE s + 256 <= length(b)
        ),
        stretches(c) AS MATERIALIZED (SELECT substr(b, s, 264) FROM starts)
    SELECT group_concat(substr(CAST(substr(c, i, 8) AS TEXT), 1, 2), ' ')
    FROM stretches JOIN assets_pair_offsets ON i <= min(256, length(c))
    WHERE NOT (substr(c, i, 1) BETWEEN x'80' AND x'BF')
) AS pairs
FROM assets a;

INSERT INTO assets_pairs (rowid, pairs) SELECT id, pairs FROM assets_pair_text;
INSERT INTO assets_pairs (assets_pairs) VALUES ('optimize');

CREATE TRIGGER assets_pairs_insert AFTER INSERT ON assets BEGIN
    INSERT INTO assets_pairs (rowid, pairs) SELECT id, pairs FROM assets_pair_text WHERE id = new.id;
END;

CREATE TRIGGER assets_pairs_delete AFTER DELETE ON assets BEGIN
    DELETE FROM assets_pairs WHERE rowid = old.id;
END;

CREATE TRIGGER assets_pairs_update AFTER UPDATE OF name, location, hosts, addresses, note ON assets
WHEN old.name IS NOT new.name OR old.location IS NOT new.location OR old.hosts IS NOT new.hosts
    OR old.addresses IS NOT new.addresses OR old.note IS NOT new.note
BEGIN
    DELETE FROM assets_pairs WHERE rowid = old.id;
    INSERT INTO assets_pairs (rowid, pairs) SELECT id, pairs FROM assets_pair_text WHERE id = new.id;
END;
