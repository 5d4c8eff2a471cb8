-- The register filtered on several facets at once (種別 and 機密性, say) is counted from this
-- index alone rather than by reading every row that matches one of them: it holds every column
-- the list filters on by equality.
CREATE INDEX assets_facets ON assets
    (confidentiality, kind, owner_unit_id, segment_id, lifecycle, flagged, integrity, availability);
