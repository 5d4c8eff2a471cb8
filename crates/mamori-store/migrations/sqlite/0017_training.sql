-- 研修・教育 (seed §6(5)): courses with their audience, and each person's assignment of a course
-- for a 年度 with its completion. A course's due_on is that of its present round; a yearly
-- course moves it to the next 年度 when it is assigned again.
CREATE TABLE training_courses (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    due_on TEXT NOT NULL,
    yearly INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Who a course is for: roles (kind 'role', the role's name) and units (kind 'unit', its id).
CREATE TABLE training_audience (
    course_id INTEGER NOT NULL REFERENCES training_courses(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (course_id, kind, value)
);

-- source: 'self', 'admin' or 'import' once completed.
CREATE TABLE training_assignments (
    id INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES training_courses(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    year INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    completed_on TEXT,
    completed_at INTEGER,
    completed_by INTEGER REFERENCES users(id),
    source TEXT,
    UNIQUE (course_id, person_id, year)
);
CREATE INDEX training_assignments_person ON training_assignments (person_id, year);
CREATE INDEX training_assignments_open ON training_assignments (due_on) WHERE completed_on IS NULL;
