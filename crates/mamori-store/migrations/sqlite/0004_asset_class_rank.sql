-- The rank of each asset's confidentiality level, kept with the asset so that the register
-- sorts by class through an index. Unknown levels rank above all (the strictest reading).
ALTER TABLE assets ADD COLUMN class_rank INTEGER NOT NULL DEFAULT 0;
UPDATE assets SET class_rank = COALESCE(
    (SELECT cl.rank FROM classification_levels cl
     WHERE cl.dimension = 'confidentiality' AND cl.code = assets.confidentiality),
    1000);
CREATE INDEX assets_class ON assets (class_rank DESC, name, id);
