//! Rename decisions: was a table (or column) that vanished renamed to one that appeared?
//!
//! drizzle-kit asks interactively; we take the answers from `--rename`, a hints file, a
//! snapshot's `_meta`, or a terminal prompt, and report every question left open.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default)]
pub struct Decisions {
    /// (from, to)
    pub table_renames: Vec<(String, String)>,
    /// (table as it is named in the new schema, from, to)
    pub column_renames: Vec<(String, String, String)>,
    /// Tables declared new (not renamed) although some table disappeared.
    pub created_tables: Vec<String>,
    /// (table, column) declared new.
    pub created_columns: Vec<(String, String)>,
    /// Treat every open question as "create" (replaying a snapshot whose `_meta` is complete).
    pub default_create: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnresolvedKind {
    Table,
    Column,
}

/// A question the diff could not answer: is `name` new, or one of `candidates` renamed?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    pub kind: UnresolvedKind,
    /// For a column: its table (new name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    pub name: String,
    pub candidates: Vec<String>,
}

/// What happened to the added/deleted items of one scope (the tables, or one table's columns).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution<T> {
    pub created: Vec<T>,
    pub deleted: Vec<T>,
    pub renamed: Vec<(T, T)>,
}

/// Pair deleted items with added ones according to `renames` (from, to) and `creates`.
/// Renamed pairs come in the order of the added items, as drizzle-kit's prompt loop does.
pub fn resolve<T: Clone>(
    added: Vec<T>,
    deleted: Vec<T>,
    name: impl Fn(&T) -> &str,
    renames: &[(&str, &str)],
    creates: &[&str],
    default_create: bool,
    mut unresolved: impl FnMut(&str, Vec<String>),
) -> Resolution<T> {
    let mut res = Resolution {
        created: vec![],
        deleted: vec![],
        renamed: vec![],
    };
    let mut remaining: Vec<T> = deleted;
    for item in added {
        let to = name(&item).to_string();
        if let Some((from, _)) = renames.iter().find(|(_, t)| *t == to)
            && let Some(pos) = remaining.iter().position(|d| name(d) == *from)
        {
            let old = remaining.remove(pos);
            res.renamed.push((old, item));
            continue;
        }
        if !remaining.is_empty() && !default_create && !creates.contains(&to.as_str()) {
            unresolved(&to, remaining.iter().map(|d| name(d).to_string()).collect());
        }
        res.created.push(item);
    }
    res.deleted = remaining;
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        added: &[&str],
        deleted: &[&str],
        renames: &[(&str, &str)],
    ) -> (Resolution<String>, Vec<String>) {
        let mut open = Vec::new();
        let r = resolve(
            added.iter().map(|s| s.to_string()).collect(),
            deleted.iter().map(|s| s.to_string()).collect(),
            |s: &String| s.as_str(),
            renames,
            &[],
            false,
            |n, _| open.push(n.to_string()),
        );
        (r, open)
    }

    #[test]
    fn rename_pairs_items_and_leaves_the_rest() {
        let (r, open) = run(&["b", "c"], &["a"], &[("a", "b")]);
        assert_eq!(r.renamed, vec![("a".to_string(), "b".to_string())]);
        assert_eq!(r.created, vec!["c".to_string()]);
        assert!(r.deleted.is_empty());
        assert!(open.is_empty());
    }

    #[test]
    fn ambiguity_is_reported() {
        let (_, open) = run(&["b"], &["a"], &[]);
        assert_eq!(open, vec!["b".to_string()]);
    }

    #[test]
    fn no_question_without_deletions() {
        let (r, open) = run(&["b"], &[], &[]);
        assert_eq!(r.created.len(), 1);
        assert!(open.is_empty());
    }
}
