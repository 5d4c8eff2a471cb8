//! 研修・教育 (seed §6(5)): courses with their audience and due date, a person's assignment and
//! its standing (done, due soon, overdue), the progress of a unit, and the completions another
//! system (a learning-management export) hands over as a sheet: columns found by their header,
//! every row checked, all or nothing.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::i18n::Lang;
use crate::org::{PersonId, UnitId, parse_code};
use crate::role::Role;
use crate::text::{FieldError, FieldErrorKind, Name, parse_note};

/// How many days ahead an assignment is announced as due (the home page's reminder).
pub const DUE_SOON_DAYS: i64 = 14;
/// Rows of completions one import may hold, the header not counted.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// Bytes of one file of completions.
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;
/// Problems reported of one refused file; the rest are counted, not listed.
pub const MAX_REPORTED_PROBLEMS: usize = 100;

/// A course as given: its code, title, description, due date and whether it repeats yearly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseText {
    /// Stored upper-case, as an import names it.
    pub code: String,
    pub title: Name,
    pub description: String,
    pub due_on: NaiveDate,
    /// Assigned again for each 年度.
    pub yearly: bool,
}

/// Checks a course's fields; every refusal at once.
pub fn parse_course(
    code: &str,
    title: &str,
    description: &str,
    due_on: &str,
    yearly: bool,
) -> Result<CourseText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = parse_code(code).map_err(|e| errors.push(e)).ok();
    let title = Name::parse("title", title).map_err(|e| errors.push(e)).ok();
    let description = parse_note("description", description)
        .map_err(|e| errors.push(e))
        .ok();
    let due_on = crate::inspection::parse_date("due_on", due_on)
        .map_err(|e| errors.push(e))
        .ok();
    match (code, title, description, due_on) {
        (Some(code), Some(title), Some(description), Some(due_on)) if errors.is_empty() => {
            Ok(CourseText {
                code,
                title,
                description,
                due_on,
                yearly,
            })
        }
        _ => Err(errors),
    }
}

/// Roles of a course's audience, as typed (`staff`, `security_manager`, …); unknown ones refused.
pub fn parse_audience_roles<'a>(
    raw: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Role>, FieldError> {
    let mut roles = Vec::new();
    for item in raw {
        let role = Role::parse(item)
            .map_err(|_| FieldError::new("audience_roles", FieldErrorKind::UnknownValue))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    Ok(roles)
}

/// Who a course is for. Empty, it is everyone on the staff; with roles, those holding one of
/// them; with units, those sitting in one of them; with both, those of the units holding one of
/// the roles. A contractor (委託事業者) is in it only when the roles name the contractor role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    pub roles: Vec<Role>,
    pub units: Vec<UnitId>,
}

impl Audience {
    /// Whether a person is in it: their unit, the roles they hold, and whether they are a
    /// contractor rather than a member of staff.
    pub fn includes(&self, unit: Option<UnitId>, roles: &[Role], external: bool) -> bool {
        if external && !self.roles.contains(&Role::Contractor) {
            return false;
        }
        let by_unit = self.units.is_empty() || unit.is_some_and(|u| self.units.contains(&u));
        let by_role = self.roles.is_empty() || roles.iter().any(|r| self.roles.contains(r));
        by_unit && by_role
    }
}

/// Where an assignment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Completed,
    /// Not completed, and its due date has passed.
    Overdue,
    /// Not completed, due within [`DUE_SOON_DAYS`].
    DueSoon,
    Open,
}

impl Standing {
    pub fn of(due_on: NaiveDate, completed: bool, today: NaiveDate) -> Self {
        if completed {
            Standing::Completed
        } else if due_on < today {
            Standing::Overdue
        } else if (due_on - today).num_days() <= DUE_SOON_DAYS {
            Standing::DueSoon
        } else {
            Standing::Open
        }
    }

    /// Whether a reminder names it: overdue, or due soon.
    pub fn reminds(self) -> bool {
        matches!(self, Standing::Overdue | Standing::DueSoon)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Completed => "completed",
            Standing::Overdue => "overdue",
            Standing::DueSoon => "due_soon",
            Standing::Open => "open",
        }
    }

    /// The message key of its name.
    pub fn key(self) -> &'static str {
        match self {
            Standing::Completed => "training.standing.completed",
            Standing::Overdue => "training.standing.overdue",
            Standing::DueSoon => "training.standing.due_soon",
            Standing::Open => "training.standing.open",
        }
    }
}

/// How far a unit has come with a course.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub assigned: usize,
    pub completed: usize,
    pub overdue: usize,
}

impl Progress {
    pub fn add(&mut self, standing: Standing) {
        self.assigned += 1;
        match standing {
            Standing::Completed => self.completed += 1,
            Standing::Overdue => self.overdue += 1,
            Standing::DueSoon | Standing::Open => {}
        }
    }

    /// The share completed, in whole percent (100 for a unit with nobody assigned).
    pub fn percent(&self) -> usize {
        (self.completed * 100)
            .checked_div(self.assigned)
            .unwrap_or(100)
    }
}

// ---------------------------------------------------------------------------------------------
// Completions from another system

/// What an import asks of the register of people and courses.
pub trait CompletionLookup {
    /// The person whose mail address this is (compared without case).
    fn person_by_email(&self, email: &str) -> Option<PersonId>;
    /// The person whose login name this is (compared without case).
    fn person_by_login(&self, login: &str) -> Option<PersonId>;
    /// The course of this code (compared upper-case).
    fn course(&self, code: &str) -> Option<i64>;
    /// The person's assignment of the course's present round, and whether it is completed.
    fn assignment(&self, person: PersonId, course: i64) -> Option<(i64, bool)>;
}

/// One row that records a completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionRow {
    /// The line of the file (1 is the header).
    pub line: usize,
    pub assignment: i64,
    pub completed_on: NaiveDate,
    /// Already recorded as completed: the row changes nothing.
    pub already: bool,
}

/// The columns an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Email,
    Login,
    Course,
    CompletedOn,
}

impl Column {
    fn of_header(header: &str) -> Option<Self> {
        let h: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .to_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        match h.as_str() {
            "email"
            | "e_mail"
            | "mail"
            | "mail_address"
            | "email_address"
            | "メールアドレス"
            | "メール" => Some(Column::Email),
            "login" | "login_id" | "username" | "user_name" | "user_id" | "account"
            | "ログインid" | "ログイン名" | "ユーザーid" | "ユーザid" | "アカウント" => {
                Some(Column::Login)
            }
            "course" | "course_code" | "course_id" | "コース" | "コースコード" | "研修コード"
            | "講座コード" => Some(Column::Course),
            "completed_on" | "completed" | "completed_at" | "completion_date" | "完了日"
            | "修了日" | "受講完了日" => Some(Column::CompletedOn),
            _ => None,
        }
    }

    /// The name an error gives the column.
    pub fn name(self) -> &'static str {
        match self {
            Column::Email => "email",
            Column::Login => "login",
            Column::Course => "course",
            Column::CompletedOn => "completed_on",
        }
    }
}

/// Why a row (or the file) cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// No row below the header.
    NoRows,
    /// A column the import needs is not in the header (`email or login` for the person).
    MissingColumn(&'static str),
    /// Two columns of the header mean the same.
    DuplicateColumn(&'static str),
    MissingValue(&'static str),
    UnknownPerson(String),
    UnknownCourse(String),
    /// The person is not assigned the course's present round.
    NotAssigned,
    BadDate(String),
    /// A completion after today.
    FutureDate(String),
    /// The same person and course as an earlier line.
    Duplicate {
        first: usize,
    },
}

/// A problem of an import, naming its line and, where it lies in one cell, its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub line: usize,
    /// 0-based column of the file.
    pub column: Option<usize>,
    pub kind: ProblemKind,
}

/// A value as a message quotes it: at most 40 characters.
fn shown(value: &str) -> String {
    value.chars().take(40).collect()
}

impl ImportProblem {
    /// The sentence for the user, without the line (the caller names the place).
    pub fn message(&self, lang: Lang) -> String {
        let (key, args): (&str, Vec<(&str, String)>) = match &self.kind {
            ProblemKind::NoRows => ("training.import.no_rows", vec![]),
            ProblemKind::MissingColumn(c) => (
                "training.import.missing_column",
                vec![("column", (*c).into())],
            ),
            ProblemKind::DuplicateColumn(c) => (
                "training.import.duplicate_column",
                vec![("column", (*c).into())],
            ),
            ProblemKind::MissingValue(c) => (
                "training.import.missing_value",
                vec![("column", (*c).into())],
            ),
            ProblemKind::UnknownPerson(v) => {
                ("training.import.unknown_person", vec![("value", shown(v))])
            }
            ProblemKind::UnknownCourse(v) => {
                ("training.import.unknown_course", vec![("value", shown(v))])
            }
            ProblemKind::NotAssigned => ("training.import.not_assigned", vec![]),
            ProblemKind::BadDate(v) => ("training.import.bad_date", vec![("value", shown(v))]),
            ProblemKind::FutureDate(v) => {
                ("training.import.future_date", vec![("value", shown(v))])
            }
            ProblemKind::Duplicate { first } => (
                "training.import.duplicate",
                vec![("first", first.to_string())],
            ),
        };
        lang.fill(key, &args)
    }
}

/// A completion date as exports write it: `2026-11-20`, `2026/11/20` or `2026/1/5`, optionally
/// followed by a time (`2026-11-20 10:31`, `2026-11-20T10:31:00+09:00`), which is dropped.
pub fn parse_completion_date(raw: &str) -> Option<NaiveDate> {
    let day = raw.trim().split([' ', 'T']).next().unwrap_or_default();
    if day.len() > 10 {
        return None;
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(day, "%Y/%m/%d"))
        .ok()
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
}

/// Reads the completions of a sheet whose first row is its header. Columns are found by their
/// header (`email` or `login`, `course`, `completed_on`, or their Japanese names), others are
/// ignored; blank rows are skipped. Any problem refuses the whole file with every problem found
/// (at most [`MAX_REPORTED_PROBLEMS`]).
pub fn parse_completions(
    rows: &[Vec<String>],
    lookup: &dyn CompletionLookup,
    today: NaiveDate,
) -> Result<Vec<CompletionRow>, Vec<ImportProblem>> {
    let problem = |line: usize, column: Option<usize>, kind| ImportProblem { line, column, kind };
    let Some(header) = rows.first() else {
        return Err(vec![problem(1, None, ProblemKind::NoRows)]);
    };
    let mut columns: HashMap<Column, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (index, cell) in header.iter().enumerate() {
        if let Some(column) = Column::of_header(cell)
            && columns.insert(column, index).is_some()
        {
            problems.push(problem(
                1,
                Some(index),
                ProblemKind::DuplicateColumn(column.name()),
            ));
        }
    }
    let email = columns.get(&Column::Email).copied();
    let login = columns.get(&Column::Login).copied();
    if email.is_none() && login.is_none() {
        problems.push(problem(
            1,
            None,
            ProblemKind::MissingColumn("email / login"),
        ));
    }
    let course = columns.get(&Column::Course).copied();
    if course.is_none() {
        problems.push(problem(1, None, ProblemKind::MissingColumn("course")));
    }
    let date = columns.get(&Column::CompletedOn).copied();
    if date.is_none() {
        problems.push(problem(1, None, ProblemKind::MissingColumn("completed_on")));
    }
    let (Some(course), Some(date)) = (course, date) else {
        return Err(problems);
    };
    if !problems.is_empty() || (email.is_none() && login.is_none()) {
        return Err(problems);
    }
    let cell = |row: &[String], column: Option<usize>| -> String {
        column
            .and_then(|c| row.get(c))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut seen: HashMap<(PersonId, i64), usize> = HashMap::new();
    for (index, row) in rows.iter().enumerate().skip(1) {
        if problems.len() >= MAX_REPORTED_PROBLEMS {
            break;
        }
        let line = index + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let by_email = cell(row, email);
        let by_login = cell(row, login);
        let person = if !by_email.is_empty() {
            lookup
                .person_by_email(&by_email)
                .ok_or_else(|| problem(line, email, ProblemKind::UnknownPerson(by_email)))
        } else if !by_login.is_empty() {
            lookup
                .person_by_login(&by_login)
                .ok_or_else(|| problem(line, login, ProblemKind::UnknownPerson(by_login)))
        } else {
            Err(problem(
                line,
                email.or(login),
                ProblemKind::MissingValue(if email.is_some() { "email" } else { "login" }),
            ))
        };
        let code = cell(row, Some(course));
        let course_id = if code.is_empty() {
            Err(problem(
                line,
                Some(course),
                ProblemKind::MissingValue("course"),
            ))
        } else {
            lookup
                .course(&code.to_ascii_uppercase())
                .ok_or_else(|| problem(line, Some(course), ProblemKind::UnknownCourse(code)))
        };
        let raw_date = cell(row, Some(date));
        let completed_on = if raw_date.is_empty() {
            Err(problem(
                line,
                Some(date),
                ProblemKind::MissingValue("completed_on"),
            ))
        } else {
            match parse_completion_date(&raw_date) {
                None => Err(problem(line, Some(date), ProblemKind::BadDate(raw_date))),
                Some(d) if d > today => {
                    Err(problem(line, Some(date), ProblemKind::FutureDate(raw_date)))
                }
                Some(d) => Ok(d),
            }
        };
        let (person, course_id, completed_on) = match (person, course_id, completed_on) {
            (Ok(p), Ok(c), Ok(d)) => (p, c, d),
            (p, c, d) => {
                problems.extend([p.err(), c.err(), d.err()].into_iter().flatten());
                continue;
            }
        };
        if let Some(first) = seen.insert((person, course_id), line) {
            problems.push(problem(line, None, ProblemKind::Duplicate { first }));
            continue;
        }
        match lookup.assignment(person, course_id) {
            Some((assignment, already)) => out.push(CompletionRow {
                line,
                assignment,
                completed_on,
                already,
            }),
            None => problems.push(problem(line, None, ProblemKind::NotAssigned)),
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push(problem(1, None, ProblemKind::NoRows));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.truncate(MAX_REPORTED_PROBLEMS);
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn day(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    struct Register;

    impl CompletionLookup for Register {
        fn person_by_email(&self, email: &str) -> Option<PersonId> {
            match email.to_lowercase().as_str() {
                "tanaka@example.lg.jp" => Some(PersonId(1)),
                "suzuki@example.lg.jp" => Some(PersonId(2)),
                "sato@example.lg.jp" => Some(PersonId(3)),
                _ => None,
            }
        }
        fn person_by_login(&self, login: &str) -> Option<PersonId> {
            (login.to_lowercase() == "tanaka").then_some(PersonId(1))
        }
        fn course(&self, code: &str) -> Option<i64> {
            (code == "SEC-2026").then_some(10)
        }
        fn assignment(&self, person: PersonId, course: i64) -> Option<(i64, bool)> {
            match (person.0, course) {
                (1, 10) => Some((100, false)),
                (2, 10) => Some((200, true)),
                _ => None,
            }
        }
    }

    fn sheet(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    fn parse(text: &str) -> Result<Vec<CompletionRow>, Vec<ImportProblem>> {
        parse_completions(&sheet(text), &Register, day("2026-11-25"))
    }

    #[test]
    fn columns_are_found_by_their_header_in_any_order_and_others_ignored() {
        let rows = parse(
            "氏名,修了日,コースコード,メールアドレス\n田中,2026/11/20,sec-2026,Tanaka@Example.lg.jp\n,,,\n鈴木,2026-11-01 10:31,SEC-2026,suzuki@example.lg.jp",
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![
                CompletionRow {
                    line: 2,
                    assignment: 100,
                    completed_on: day("2026-11-20"),
                    already: false
                },
                CompletionRow {
                    line: 4,
                    assignment: 200,
                    completed_on: day("2026-11-01"),
                    already: true
                },
            ]
        );
        let by_login = parse("login,course,completed_on\ntanaka,SEC-2026,2026-11-24").unwrap();
        assert_eq!(by_login[0].assignment, 100);
    }

    #[test]
    fn every_bad_row_is_named_by_its_line_and_nothing_is_taken() {
        let problems = parse(
            "email,course,completed_on\n\
             nobody@example.lg.jp,SEC-2026,2026-11-20\n\
             tanaka@example.lg.jp,NOPE,2026-11-20\n\
             tanaka@example.lg.jp,SEC-2026,2026-13-01\n\
             tanaka@example.lg.jp,SEC-2026,2026-12-01\n\
             tanaka@example.lg.jp,SEC-2026,2026-11-20\n\
             tanaka@example.lg.jp,SEC-2026,2026-11-21\n\
             sato@example.lg.jp,SEC-2026,2026-11-20\n\
             ,SEC-2026,2026-11-20",
        )
        .unwrap_err();
        let kinds: Vec<_> = problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (2, ProblemKind::UnknownPerson("nobody@example.lg.jp".into())),
                (3, ProblemKind::UnknownCourse("NOPE".into())),
                (4, ProblemKind::BadDate("2026-13-01".into())),
                (5, ProblemKind::FutureDate("2026-12-01".into())),
                (7, ProblemKind::Duplicate { first: 6 }),
                (8, ProblemKind::NotAssigned),
                (9, ProblemKind::MissingValue("email")),
            ]
        );
        assert_eq!(problems[0].column, Some(0));
        assert_eq!(problems[2].column, Some(2));
        for p in &problems {
            assert!(!p.message(Lang::Ja).contains('{'), "{:?}", p.kind);
            assert!(!p.message(Lang::En).contains('{'), "{:?}", p.kind);
        }
        assert!(
            problems[0]
                .message(Lang::Ja)
                .contains("nobody@example.lg.jp")
        );
    }

    #[rstest]
    #[case("name,course,completed_on\nx,SEC-2026,2026-11-20", "email / login")]
    #[case("email,completed_on\ntanaka@example.lg.jp,2026-11-20", "course")]
    #[case("email,course\ntanaka@example.lg.jp,SEC-2026", "completed_on")]
    fn a_missing_column_refuses_the_file(#[case] text: &str, #[case] column: &str) {
        let problems = parse(text).unwrap_err();
        assert_eq!(
            problems,
            vec![ImportProblem {
                line: 1,
                column: None,
                kind: ProblemKind::MissingColumn(match column {
                    "course" => "course",
                    "completed_on" => "completed_on",
                    _ => "email / login",
                }),
            }]
        );
    }

    #[rstest]
    #[case("")]
    #[case("email,course,completed_on")]
    #[case("email,course,completed_on\n,,\n , , ")]
    fn a_file_without_rows_is_refused(#[case] text: &str) {
        let problems = parse(text).unwrap_err();
        assert_eq!(problems[0].kind, ProblemKind::NoRows);
    }

    #[test]
    fn a_header_naming_a_column_twice_is_refused() {
        let problems =
            parse("email,メールアドレス,course,completed_on\na,b,SEC-2026,2026-11-20").unwrap_err();
        assert_eq!(problems[0].kind, ProblemKind::DuplicateColumn("email"));
        assert_eq!(problems[0].column, Some(1));
    }

    #[test]
    fn hostile_cells_are_quoted_short_and_never_matched() {
        let long = "x".repeat(100_000);
        let text = format!(
            "email,course,completed_on\n{long},SEC-2026,2026-11-20\n=HYPERLINK(\"http://x\"),SEC-2026,2026-11-20\ntanaka@example.lg.jp,SEC-2026,{long}\ntanaka@example.lg.jp,SEC-2026,2026-11-20T00:00:00+09:00 trailing"
        );
        let problems = parse(&text).unwrap_err();
        assert_eq!(problems.len(), 3);
        assert!(problems[0].message(Lang::En).chars().count() < 200);
        assert!(matches!(problems[2].kind, ProblemKind::BadDate(_)));
    }

    #[test]
    fn problems_stop_being_listed_after_the_limit() {
        let mut text = String::from("email,course,completed_on\n");
        for n in 0..(MAX_REPORTED_PROBLEMS * 3) {
            text.push_str(&format!("p{n}@example.lg.jp,SEC-2026,2026-11-20\n"));
        }
        assert_eq!(parse(&text).unwrap_err().len(), MAX_REPORTED_PROBLEMS);
    }

    #[rstest]
    #[case("2026-11-20", Some("2026-11-20"))]
    #[case("2026/1/5", Some("2026-01-05"))]
    #[case(" 2026/11/20 10:31:00 ", Some("2026-11-20"))]
    #[case("2026-11-20T10:31:00+09:00", Some("2026-11-20"))]
    #[case("20261120", None)]
    #[case("令和8年11月20日", None)]
    #[case("2026-02-30", None)]
    #[case("1899-01-01", None)]
    #[case("", None)]
    fn completion_dates_as_exports_write_them(#[case] raw: &str, #[case] day_: Option<&str>) {
        assert_eq!(parse_completion_date(raw), day_.map(day));
    }

    #[test]
    fn standing_and_progress() {
        let today = day("2026-11-25");
        assert_eq!(
            Standing::of(day("2026-11-24"), false, today),
            Standing::Overdue
        );
        assert_eq!(
            Standing::of(day("2026-12-09"), false, today),
            Standing::DueSoon
        );
        assert_eq!(
            Standing::of(day("2026-12-10"), false, today),
            Standing::Open
        );
        assert_eq!(
            Standing::of(day("2026-11-01"), true, today),
            Standing::Completed
        );
        let mut p = Progress::default();
        assert_eq!(p.percent(), 100);
        for s in [
            Standing::Completed,
            Standing::Overdue,
            Standing::Open,
            Standing::Completed,
        ] {
            p.add(s);
        }
        assert_eq!(
            p,
            Progress {
                assigned: 4,
                completed: 2,
                overdue: 1
            }
        );
        assert_eq!(p.percent(), 50);
    }

    #[test]
    fn the_audience_is_everyone_on_the_staff_unless_narrowed() {
        let everyone = Audience::default();
        assert!(everyone.includes(Some(UnitId(1)), &[Role::Staff], false));
        assert!(everyone.includes(None, &[], false));
        assert!(!everyone.includes(Some(UnitId(1)), &[Role::Contractor], true));
        let managers = Audience {
            roles: vec![Role::SecurityManager],
            units: Vec::new(),
        };
        assert!(managers.includes(
            Some(UnitId(2)),
            &[Role::Staff, Role::SecurityManager],
            false
        ));
        assert!(!managers.includes(Some(UnitId(2)), &[Role::Staff], false));
        let unit = Audience {
            roles: Vec::new(),
            units: vec![UnitId(1)],
        };
        assert!(unit.includes(Some(UnitId(1)), &[], false));
        assert!(!unit.includes(Some(UnitId(2)), &[], false));
        assert!(!unit.includes(None, &[], false));
        assert!(!unit.includes(Some(UnitId(1)), &[Role::Contractor], true));
        let both = Audience {
            roles: vec![Role::Staff, Role::Contractor],
            units: vec![UnitId(1)],
        };
        assert!(both.includes(Some(UnitId(1)), &[Role::Contractor], true));
        assert!(!both.includes(Some(UnitId(2)), &[Role::Staff], false));
        assert!(!both.includes(Some(UnitId(1)), &[Role::Csirt], false));
    }

    #[test]
    fn a_course_is_checked_whole() {
        let ok = parse_course(
            " sec-2026 ",
            " 情報セキュリティ研修 ",
            "",
            "2027-01-31",
            true,
        )
        .unwrap();
        assert_eq!(ok.code, "SEC-2026");
        assert_eq!(ok.title.as_str(), "情報セキュリティ研修");
        let errors = parse_course("bad code!", "", "\u{7}", "2027-02-30", false).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["code", "title", "description", "due_on"]);
        assert_eq!(
            parse_audience_roles(["staff", "security_manager", "staff"]).unwrap(),
            vec![Role::Staff, Role::SecurityManager]
        );
        assert!(parse_audience_roles(["root"]).is_err());
    }
}
