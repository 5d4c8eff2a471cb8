//! 新旧対照 (the difference between two versions of a document), clause by clause: clauses are
//! matched by anchor, and a changed clause's title and text are compared character by character
//! (Japanese has no spaces to split words on), so the changed words can be marked.

use similar::{ChangeTag, TextDiff};

use super::{Clause, PolicyText};

/// How a clause differs between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseChange {
    Added,
    Removed,
    Changed,
}

impl ClauseChange {
    pub fn as_str(self) -> &'static str {
        match self {
            ClauseChange::Added => "added",
            ClauseChange::Removed => "removed",
            ClauseChange::Changed => "changed",
        }
    }
}

/// A run of text that both versions share, or that only one has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    Same(String),
    Added(String),
    Removed(String),
}

/// One clause that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseDiff {
    pub anchor: String,
    pub change: ClauseChange,
    /// The title, old and new runs together.
    pub title: Vec<Run>,
    pub text: Vec<Run>,
}

/// The differences from `old` to `new`, in the order of the new text with each removed clause
/// after the clause that preceded it in the old one; unchanged clauses are left out.
pub fn diff(old: &PolicyText, new: &PolicyText) -> Vec<ClauseDiff> {
    let old_clauses: Vec<&Clause> = old.clauses().collect();
    let new_clauses: Vec<&Clause> = new.clauses().collect();
    let find = |list: &[&Clause], anchor: &str| list.iter().position(|c| c.anchor == anchor);
    let mut out: Vec<(Option<usize>, ClauseDiff)> = Vec::new();
    for clause in &new_clauses {
        match find(&old_clauses, &clause.anchor) {
            None => out.push((None, whole(clause, ClauseChange::Added))),
            Some(at) => {
                let before = old_clauses[at];
                if before.title != clause.title || before.text != clause.text {
                    out.push((
                        Some(at),
                        ClauseDiff {
                            anchor: clause.anchor.clone(),
                            change: ClauseChange::Changed,
                            title: runs(
                                before.title.as_deref().unwrap_or_default(),
                                clause.title.as_deref().unwrap_or_default(),
                            ),
                            text: runs(&before.text, &clause.text),
                        },
                    ));
                } else {
                    out.push((Some(at), unchanged(clause)));
                }
            }
        }
    }
    for (at, clause) in old_clauses.iter().enumerate() {
        if find(&new_clauses, &clause.anchor).is_some() {
            continue;
        }
        // After the entry of the nearest earlier old clause that the new text still has.
        let place = (0..at)
            .rev()
            .find_map(|earlier| out.iter().position(|(o, _)| *o == Some(earlier)))
            .map_or(0, |p| p + 1);
        let place = place
            + out[place..]
                .iter()
                .take_while(|(_, d)| d.change == ClauseChange::Removed)
                .count();
        out.insert(place, (Some(at), whole(clause, ClauseChange::Removed)));
    }
    out.into_iter()
        .map(|(_, d)| d)
        .filter(|d| !d.title.is_empty() || !d.text.is_empty())
        .collect()
}

/// A placeholder for an unchanged clause, kept while removed clauses find their place.
fn unchanged(clause: &Clause) -> ClauseDiff {
    ClauseDiff {
        anchor: clause.anchor.clone(),
        change: ClauseChange::Changed,
        title: Vec::new(),
        text: Vec::new(),
    }
}

fn whole(clause: &Clause, change: ClauseChange) -> ClauseDiff {
    let run = |s: &str| match change {
        ClauseChange::Removed => Run::Removed(s.to_owned()),
        _ => Run::Added(s.to_owned()),
    };
    let title = clause.title.as_deref().unwrap_or_default();
    ClauseDiff {
        anchor: clause.anchor.clone(),
        change,
        title: if title.is_empty() {
            Vec::new()
        } else {
            vec![run(title)]
        },
        // A clause with neither title nor text still shows that it came or went.
        text: vec![run(&clause.text)],
    }
}

/// The runs from `old` to `new`, neighbours of the same kind joined.
fn runs(old: &str, new: &str) -> Vec<Run> {
    if old == new {
        return if old.is_empty() {
            Vec::new()
        } else {
            vec![Run::Same(old.to_owned())]
        };
    }
    let diff = TextDiff::from_chars(old, new);
    let mut out: Vec<Run> = Vec::new();
    for change in diff.iter_all_changes() {
        let piece = change.value();
        match (change.tag(), out.last_mut()) {
            (ChangeTag::Equal, Some(Run::Same(s)))
            | (ChangeTag::Insert, Some(Run::Added(s)))
            | (ChangeTag::Delete, Some(Run::Removed(s))) => s.push_str(piece),
            (ChangeTag::Equal, _) => out.push(Run::Same(piece.to_owned())),
            (ChangeTag::Insert, _) => out.push(Run::Added(piece.to_owned())),
            (ChangeTag::Delete, _) => out.push(Run::Removed(piece.to_owned())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_policy;

    #[test]
    fn clauses_added_removed_and_changed_are_found_in_order() {
        let old = parse_policy(
            "方針\n1 目的\nこの方針は守るためのものである。\n2 定義\n(1) 旧い定義\n(2) 残る定義\n3 対象\n全職員\n",
        )
        .unwrap();
        let new = parse_policy(
            "方針\n1 目的\nこの方針は情報資産を守るためのものである。\n2 定義\n(2) 残る定義\n(3) 新しい定義\n3 対象\n全職員\n",
        )
        .unwrap();
        let found = diff(&old, &new);
        let summary: Vec<(&str, ClauseChange)> = found
            .iter()
            .map(|d| (d.anchor.as_str(), d.change))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("1", ClauseChange::Changed),
                ("2(1)", ClauseChange::Removed),
                ("2(3)", ClauseChange::Added),
            ]
        );
        assert!(found[0].text.contains(&Run::Added("情報資産を".to_owned())));
        assert!(found[0].text.contains(&Run::Same("この方針は".to_owned())));
    }

    #[test]
    fn the_same_text_has_no_difference() {
        let text = parse_policy(&crate::policy::tests::seed()).unwrap();
        assert!(diff(&text, &text).is_empty());
    }

    #[test]
    fn a_removed_first_clause_comes_first() {
        let old = parse_policy("1 目的\n本文\n2 定義\n本文\n").unwrap();
        let new = parse_policy("2 定義\n本文\n").unwrap();
        let found = diff(&old, &new);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].anchor, "1");
        assert_eq!(found[0].change, ClauseChange::Removed);
    }
}
