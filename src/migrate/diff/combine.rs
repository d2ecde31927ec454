//! Group statements per table, turn rebuild triggers into table rebuilds (drizzle-kit's
//! `sqliteCombineStatements`), and print the SQL.

use std::borrow::Cow;

use indexmap::IndexMap;

use super::changes::Plan;
use super::{Mode, Note, Stmt, fixes, render};
use crate::schema::model::*;

/// Statements grouped by table (views share the `None` group), in first-appearance order. The
/// plan's statements are borrowed; only rebuilds are new.
type Groups<'a> = IndexMap<Option<&'a str>, Vec<Cow<'a, Stmt>>>;

fn has_recreate(list: &[Cow<Stmt>]) -> bool {
    list.iter()
        .any(|s| matches!(**s, Stmt::RecreateTable { .. }))
}

fn recreate_statements<'a>(table: &str, cur: &Schema, mode: Mode) -> Vec<Cow<'a, Stmt>> {
    let mut out = vec![Cow::Owned(Stmt::RecreateTable {
        table: table.to_string(),
    })];
    // drizzle-kit re-creates the indexes without its `internal` flags, so expression indexes
    // come back backticked and broken (defect 3); we keep them.
    let internal = match mode {
        Mode::Drizzle => None,
        Mode::Fixed => cur.internal.clone(),
    };
    if let Some(t) = cur.tables.get(table) {
        for idx in t.indexes.values() {
            out.push(Cow::Owned(Stmt::CreateIndex {
                table: table.to_string(),
                index: idx.clone(),
                internal: internal.clone(),
            }));
        }
    }
    out
}

/// Make sure `table` is rebuilt: the rebuild replaces the table's earlier statements, except
/// a preceding table rename (and, in fixed mode, column renames, which drizzle-kit loses).
fn ensure_recreate<'a>(groups: &mut Groups<'a>, table: &'a str, cur: &Schema, mode: Mode) {
    let key = Some(table);
    match groups.get_mut(&key) {
        None => {
            groups.insert(key, recreate_statements(table, cur, mode));
        }
        Some(list) if !has_recreate(list) => {
            let was_rename = list.iter().any(|s| matches!(**s, Stmt::RenameTable { .. }));
            if was_rename {
                list.extend(recreate_statements(table, cur, mode));
            } else {
                if mode == Mode::Fixed {
                    list.retain(|s| matches!(**s, Stmt::RenameColumn { .. }));
                } else {
                    list.clear();
                }
                list.extend(recreate_statements(table, cur, mode));
            }
        }
        Some(_) => {}
    }
}

pub fn combine<'a>(statements: &'a [Stmt], cur: &Schema, mode: Mode) -> Vec<Cow<'a, Stmt>> {
    let mut groups: Groups<'a> = IndexMap::new();
    for st in statements {
        match st {
            Stmt::NeedsRebuild { table, .. } => ensure_recreate(&mut groups, table, cur, mode),
            Stmt::AddColumn { table, column, .. } if column.primary_key => {
                ensure_recreate(&mut groups, table, cur, mode)
            }
            Stmt::CreateReference { table, fk } => {
                let key = Some(table.as_str());
                let arrives_with_column = groups.get(&key).is_some_and(|list| {
                    fk.columns_from.len() == 1
                        && list.iter().any(
                            |s| matches!(&**s, Stmt::AddColumn { column, .. } if column.name == fk.columns_from[0]),
                        )
                });
                if !arrives_with_column {
                    ensure_recreate(&mut groups, table, cur, mode);
                }
            }
            _ => {
                let list = groups.entry(st.group()).or_default();
                if !has_recreate(list) {
                    list.push(Cow::Borrowed(st));
                }
            }
        }
    }
    let all: Vec<Cow<Stmt>> = groups.into_values().flatten().collect();
    let (mut renamed_tables, mut renamed_columns, mut rest) = (vec![], vec![], vec![]);
    for s in all {
        match *s {
            Stmt::RenameTable { .. } => renamed_tables.push(s),
            Stmt::RenameColumn { .. } => renamed_columns.push(s),
            _ => rest.push(s),
        }
    }
    renamed_tables
        .into_iter()
        .chain(renamed_columns)
        .chain(rest)
        .collect()
}

/// The SQL of one statement as drizzle-kit writes it.
fn drizzle_sql(st: &Stmt, cur: &Schema) -> Vec<String> {
    match st {
        Stmt::CreateTable(t) => vec![render::create_table(
            &t.name,
            t,
            t.check_constraints.values(),
            true,
        )],
        Stmt::DropTable(t) => vec![render::drop_table(t)],
        Stmt::RenameTable { from, to } => vec![render::rename_table(from, to)],
        Stmt::RenameColumn { table, from, to } => vec![render::rename_column(table, from, to)],
        Stmt::DropColumn { table, column } => vec![render::drop_column(table, column)],
        Stmt::AddColumn {
            table,
            column,
            reference,
        } => {
            let r = reference.as_ref().map(render::drizzle_reference);
            vec![render::add_column(table, column, r.as_deref())]
        }
        Stmt::CreateIndex {
            table,
            index,
            internal,
        } => vec![render::create_index(table, index, internal.as_ref())],
        Stmt::DropIndex { index, .. } => vec![render::drop_index(index)],
        Stmt::RecreateTable { table } => {
            let t = &cur.tables[table];
            let cols: Vec<String> = t.columns.values().map(|c| c.name.clone()).collect();
            render::rebuild(t, &cols)
        }
        Stmt::RegenerateColumn { table, column } => {
            vec![
                render::drop_column(table, &column.name),
                render::add_column(table, column, None),
            ]
        }
        Stmt::CreateView { name, definition } => vec![render::create_view(name, definition)],
        Stmt::DropView { name } => vec![render::drop_view(name)],
        // Consumed by `combine`.
        Stmt::NeedsRebuild { .. } | Stmt::CreateReference { .. } => vec![],
    }
}

pub fn to_sql(
    plan: &Plan,
    prev: &Schema,
    cur: &Schema,
    mode: Mode,
    notes: &mut Vec<Note>,
) -> Vec<String> {
    let combined = combine(&plan.statements, cur, mode);
    let combined: Vec<&Stmt> = combined.iter().map(|s| s.as_ref()).collect();
    match mode {
        Mode::Drizzle => {
            // drizzle-kit drops every repeated SQL string, PRAGMA pairs included (defect 1).
            let all: Vec<String> = combined
                .iter()
                .flat_map(|st| drizzle_sql(st, cur))
                .collect();
            let mut seen = std::collections::HashSet::with_capacity(all.len());
            let keep: Vec<bool> = all.iter().map(|s| seen.insert(s.as_str())).collect();
            all.into_iter()
                .zip(keep)
                .filter_map(|(s, k)| k.then_some(s))
                .collect()
        }
        Mode::Fixed => {
            fixes::fixed_sql(&combined, plan, prev, cur, notes, |st| drizzle_sql(st, cur))
        }
    }
}
