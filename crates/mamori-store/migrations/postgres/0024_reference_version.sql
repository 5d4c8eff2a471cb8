-- A counter of changes to what every register page shows beside its rows: the classification
-- scales, the segments and the units. A server keeps these in memory and reads them again when
-- the counter has moved, whoever moved it (this server, another, a `mamori` command, a person
-- at the database).
CREATE TABLE reference_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO reference_version (id, n) VALUES (1, 0);

-- With the schema it was made in, whatever search_path the writer has.
CREATE FUNCTION reference_version_bump() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER classification_scales_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON classification_scales FOR EACH STATEMENT EXECUTE FUNCTION reference_version_bump();
CREATE TRIGGER segments_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON segments FOR EACH STATEMENT EXECUTE FUNCTION reference_version_bump();
CREATE TRIGGER units_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON units FOR EACH STATEMENT EXECUTE FUNCTION reference_version_bump();
