-- A counter of changes to what every register page shows beside its rows: the classification
-- scales, the segments and the units. A server keeps these in memory and reads them again when
-- the counter has moved, whoever moved it (this server, another, a `mamori` command, a person
-- at the database).
CREATE TABLE reference_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO reference_version (id, n) VALUES (1, 0);

CREATE TRIGGER classification_scales_version_insert AFTER INSERT ON classification_scales BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER classification_scales_version_update AFTER UPDATE ON classification_scales BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER classification_scales_version_delete AFTER DELETE ON classification_scales BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_version_insert AFTER INSERT ON segments BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_version_update AFTER UPDATE ON segments BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_version_delete AFTER DELETE ON segments BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER units_version_insert AFTER INSERT ON units BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER units_version_update AFTER UPDATE ON units BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER units_version_delete AFTER DELETE ON units BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
END;
