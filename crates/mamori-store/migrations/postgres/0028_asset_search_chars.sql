-- A search of one or two characters has no trigram, so the trigram indexes cannot answer it and
-- it read the whole register. This index keeps the characters of each asset's searched columns,
-- ASCII letters folded as the search folds them (lower() under the "C" collation): such a search
-- asks it for the assets that hold every character of the text, and checks each of them with
-- the same LIKE as any other search. The expression is repeated, as it must be, in
-- `pg_characters` (src/sql/assets.rs).
CREATE INDEX assets_search_chars ON assets USING gin (
    string_to_array(
        lower((name || ' ' || location || ' ' || hosts || ' ' || addresses || ' ' || note) COLLATE "C"),
        NULL
    )
);
-- The planner weighs a search against the index by the characters' frequencies, which ANALYZE
-- gathers for the index's expression; without them it would take the index for common ones too.
ANALYZE assets;
