-- The tallies now count every facet a list filters on (level of each dimension, kind,
-- lifecycle, segment, unit, flagged) and every pair of them, so that a list with one filter or
-- two reads its total instead of counting the register. A pair's facet is `a+b` with the facets
-- in alphabetical order, its code `x/y`; codes are level codes (letters and digits), the codes
-- of kinds and lifecycles, and ids, so neither separator occurs inside one. From here on the
-- store keeps them in the transaction of every asset write, as it kept the single facets.
DELETE FROM asset_tallies;
INSERT INTO asset_tallies (facet, code, n) SELECT 'total', '', COUNT(*) FROM assets;
WITH f (id, facet, code) AS (
    SELECT id, 'availability', availability FROM assets
    UNION ALL SELECT id, 'confidentiality', confidentiality FROM assets
    UNION ALL SELECT id, 'flagged', '' FROM assets WHERE flagged = 1
    UNION ALL SELECT id, 'integrity', integrity FROM assets
    UNION ALL SELECT id, 'kind', kind FROM assets
    UNION ALL SELECT id, 'lifecycle', lifecycle FROM assets
    UNION ALL SELECT id, 'segment', COALESCE(CAST(segment_id AS TEXT), '') FROM assets
    UNION ALL SELECT id, 'unit', CAST(owner_unit_id AS TEXT) FROM assets
)
INSERT INTO asset_tallies (facet, code, n)
SELECT facet, code, COUNT(*) FROM f GROUP BY facet, code
UNION ALL
SELECT a.facet || '+' || b.facet, a.code || '/' || b.code, COUNT(*)
FROM f a JOIN f b ON b.id = a.id AND b.facet COLLATE "C" > a.facet COLLATE "C"
GROUP BY a.facet, b.facet, a.code, b.code;
