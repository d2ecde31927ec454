//! Find what changed between two schemas and list it as statements, in drizzle-kit's order
//! (create tables → drop tables → renames → ... → views; reference/migrations.md §2f).

use indexmap::IndexMap;
use serde_json::Value;

use super::resolve::{Decisions, Resolution, Unresolved, UnresolvedKind, resolve};
use super::{RebuildReason, Stmt, patched};
use crate::migrate::snapshot::Renames;
use crate::schema::model::*;

/// The statements of one migration, before grouping, plus what the later stages need.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub statements: Vec<Stmt>,
    pub renames: Renames,
    pub warnings: Vec<String>,
    /// The previous schema with renames applied (table key → table).
    pub patched_prev: IndexMap<String, Table>,
}

const STORED_ADD_WARNING: &str = "SQLite cannot ALTER TABLE ADD COLUMN a STORED generated column \
(https://www.sqlite.org/gencol.html); the column was left out of this migration";

pub fn plan(prev: &Schema, cur: &Schema, decisions: &Decisions) -> Result<Plan, Vec<Unresolved>> {
    let mut open = Vec::new();

    // Tables: added / deleted by key, then renames.
    let added: Vec<&Table> = cur
        .tables
        .iter()
        .filter(|(k, _)| !prev.tables.contains_key(*k))
        .map(|(_, t)| t)
        .collect();
    let deleted: Vec<&Table> = prev
        .tables
        .iter()
        .filter(|(k, _)| !cur.tables.contains_key(*k))
        .map(|(_, t)| t)
        .collect();
    let table_renames: Vec<(&str, &str)> = decisions
        .table_renames
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let created_tables: Vec<&str> = decisions
        .created_tables
        .iter()
        .map(String::as_str)
        .collect();
    let tables: Resolution<&Table> = resolve(
        added,
        deleted,
        |t| t.name.as_str(),
        &table_renames,
        &created_tables,
        decisions.default_create,
        |name, candidates| {
            open.push(Unresolved {
                kind: UnresolvedKind::Table,
                table: None,
                name: name.into(),
                candidates,
            })
        },
    );
    let mut renames = Renames {
        tables: tables
            .renamed
            .iter()
            .map(|(f, t)| (f.name.clone(), t.name.clone()))
            .collect(),
        columns: vec![],
    };

    // Columns of tables present on both sides.
    let tables_patched = patched(prev, &renames);
    let mut column_adds: Vec<(String, Vec<Column>)> = vec![];
    let mut column_drops: Vec<(String, Vec<Column>)> = vec![];
    for (key, old) in &tables_patched {
        let Some(new) = cur.tables.get(key) else {
            continue;
        };
        let added: Vec<&Column> = new
            .columns
            .iter()
            .filter(|(k, _)| !old.columns.contains_key(*k))
            .map(|(_, c)| c)
            .collect();
        let deleted: Vec<&Column> = old
            .columns
            .iter()
            .filter(|(k, _)| !new.columns.contains_key(*k))
            .map(|(_, c)| c)
            .collect();
        if added.is_empty() && deleted.is_empty() {
            continue;
        }
        let col_renames: Vec<(&str, &str)> = decisions
            .column_renames
            .iter()
            .filter(|(t, _, _)| t == &old.name)
            .map(|(_, a, b)| (a.as_str(), b.as_str()))
            .collect();
        let col_creates: Vec<&str> = decisions
            .created_columns
            .iter()
            .filter(|(t, _)| t == &old.name)
            .map(|(_, c)| c.as_str())
            .collect();
        let res = resolve(
            added,
            deleted,
            |c| c.name.as_str(),
            &col_renames,
            &col_creates,
            decisions.default_create,
            |name, candidates| {
                open.push(Unresolved {
                    kind: UnresolvedKind::Column,
                    table: Some(old.name.clone()),
                    name: name.into(),
                    candidates,
                })
            },
        );
        if !res.created.is_empty() {
            column_adds.push((old.name.clone(), res.created.into_iter().cloned().collect()));
        }
        if !res.deleted.is_empty() {
            column_drops.push((old.name.clone(), res.deleted.into_iter().cloned().collect()));
        }
        for (f, t) in res.renamed {
            renames
                .columns
                .push((old.name.clone(), f.name.clone(), t.name.clone()));
        }
    }
    if !open.is_empty() {
        return Err(open);
    }
    let prev_patched = patched(prev, &renames);

    let mut p = Plan {
        renames,
        patched_prev: prev_patched.clone(),
        ..Default::default()
    };
    let altered: Vec<AlteredTable> = prev_patched
        .iter()
        .filter_map(|(key, old)| {
            cur.tables
                .get(key)
                .map(|new| AlteredTable::between(old, new))
        })
        .filter(|a| !a.is_empty())
        .collect();

    let mut s = Statements {
        create_tables: tables
            .created
            .iter()
            .map(|t| Stmt::CreateTable((*t).clone()))
            .collect(),
        ..Default::default()
    };
    for t in &tables.created {
        for idx in t.indexes.values() {
            s.indexes_of_new_tables.push(Stmt::CreateIndex {
                table: t.name.clone(),
                index: idx.clone(),
                internal: cur.internal.clone(),
            });
        }
    }
    s.drop_tables = tables
        .deleted
        .iter()
        .map(|t| Stmt::DropTable(t.name.clone()))
        .collect();
    s.rename_tables = p
        .renames
        .tables
        .iter()
        .map(|(f, t)| Stmt::RenameTable {
            from: f.clone(),
            to: t.clone(),
        })
        .collect();
    s.rename_columns = p
        .renames
        .columns
        .iter()
        .map(|(tb, f, t)| Stmt::RenameColumn {
            table: tb.clone(),
            from: f.clone(),
            to: t.clone(),
        })
        .collect();
    for (table, cols) in &column_drops {
        for c in cols {
            s.drop_columns.push(Stmt::DropColumn {
                table: table.clone(),
                column: c.name.clone(),
            });
        }
    }
    for (table, cols) in &column_adds {
        let added_fks: Vec<&ForeignKey> = altered
            .iter()
            .find(|a| &a.name == table)
            .map(|a| a.added_fks.clone())
            .unwrap_or_default();
        for c in cols {
            if c.generated.as_ref().is_some_and(|g| g.kind == "stored") {
                p.warnings
                    .push(format!("{table}.{}: {STORED_ADD_WARNING}", c.name));
                continue;
            }
            let reference = added_fks
                .iter()
                .find(|fk| fk.columns_from.contains(&c.name))
                .map(|fk| (*fk).clone());
            s.add_columns.push(Stmt::AddColumn {
                table: table.clone(),
                column: c.clone(),
                reference,
            });
        }
    }
    for a in &altered {
        a.push_statements(cur, &mut s, &mut p.warnings);
    }
    for a in &altered {
        for (old, new) in &a.altered_indexes {
            s.create_indexes.push(Stmt::CreateIndex {
                table: a.name.clone(),
                index: (*new).clone(),
                internal: cur.internal.clone(),
            });
            s.drop_indexes.push(Stmt::DropIndex {
                table: a.name.clone(),
                index: (*old).clone(),
            });
        }
    }
    push_view_statements(prev, cur, &mut s);
    p.statements = s.in_drizzle_order();
    Ok(p)
}

/// The statement lists, concatenated in drizzle-kit's order at the end.
#[derive(Default)]
struct Statements {
    create_tables: Vec<Stmt>,
    drop_tables: Vec<Stmt>,
    rename_tables: Vec<Stmt>,
    rename_columns: Vec<Stmt>,
    drop_references: Vec<Stmt>,
    drop_checks: Vec<Stmt>,
    drop_indexes: Vec<Stmt>,
    drop_composite_pks: Vec<Stmt>,
    column_alterations: Vec<Stmt>,
    add_composite_pks: Vec<Stmt>,
    add_columns: Vec<Stmt>,
    indexes_of_new_tables: Vec<Stmt>,
    create_indexes: Vec<Stmt>,
    create_checks: Vec<Stmt>,
    create_references: Vec<Stmt>,
    drop_columns: Vec<Stmt>,
    alter_composite_pks: Vec<Stmt>,
    drop_views: Vec<Stmt>,
    create_views: Vec<Stmt>,
}

impl Statements {
    fn in_drizzle_order(self) -> Vec<Stmt> {
        [
            self.create_tables,
            self.drop_tables,
            self.rename_tables,
            self.rename_columns,
            self.drop_references,
            self.drop_checks,
            self.drop_indexes,
            self.drop_composite_pks,
            self.column_alterations,
            self.add_composite_pks,
            self.add_columns,
            self.indexes_of_new_tables,
            self.create_indexes,
            self.create_checks,
            self.create_references,
            self.drop_columns,
            self.alter_composite_pks,
            self.drop_views,
            self.create_views,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// How one field of a column changed (json-diff's `__added` / `__deleted` / `__old,__new`).
#[derive(Debug, Clone, PartialEq)]
enum Change<T> {
    Added(T),
    Deleted,
    Changed(T, T),
}

fn change<T: PartialEq + Clone>(old: Option<&T>, new: Option<&T>) -> Option<Change<T>> {
    match (old, new) {
        (None, Some(n)) => Some(Change::Added(n.clone())),
        (Some(_), None) => Some(Change::Deleted),
        (Some(o), Some(n)) if o != n => Some(Change::Changed(o.clone(), n.clone())),
        _ => None,
    }
}

struct ColumnChanges {
    name: String,
    sql_type: bool,
    default: Option<Change<Value>>,
    not_null: Option<Change<bool>>,
    primary_key: Option<Change<bool>>,
    autoincrement: Option<Change<bool>>,
    generated: Option<Change<Generated>>,
}

impl ColumnChanges {
    /// None when nothing changed, or when only the spacing of the type did (`text (5)`).
    fn between(old: &Column, new: &Column) -> Option<ColumnChanges> {
        let c = ColumnChanges {
            name: new.name.clone(),
            sql_type: old.sql_type != new.sql_type,
            default: change(old.default.as_ref(), new.default.as_ref()),
            not_null: change(Some(&old.not_null), Some(&new.not_null)),
            primary_key: change(Some(&old.primary_key), Some(&new.primary_key)),
            autoincrement: change(old.autoincrement.as_ref(), new.autoincrement.as_ref()),
            generated: change(old.generated.as_ref(), new.generated.as_ref()),
        };
        let nothing = !c.sql_type
            && c.default.is_none()
            && c.not_null.is_none()
            && c.primary_key.is_none()
            && c.autoincrement.is_none()
            && c.generated.is_none();
        if nothing {
            return None;
        }
        if c.sql_type && old.sql_type.replacen(" (", "(", 1) == new.sql_type.replacen(" (", "(", 1)
        {
            return None;
        }
        Some(c)
    }
}

/// A table present on both sides (after renames) and what changed in it.
struct AlteredTable<'a> {
    name: String,
    columns: Vec<ColumnChanges>,
    added_indexes: Vec<&'a Index>,
    deleted_indexes: Vec<&'a Index>,
    altered_indexes: Vec<(&'a Index, &'a Index)>,
    added_fks: Vec<&'a ForeignKey>,
    deleted_fks: Vec<&'a ForeignKey>,
    altered_fks: Vec<(&'a ForeignKey, &'a ForeignKey)>,
    added_pks: Vec<&'a CompositePk>,
    deleted_pks: Vec<&'a CompositePk>,
    altered_pks: Vec<(&'a CompositePk, &'a CompositePk)>,
    added_checks: Vec<&'a Check>,
    deleted_checks: Vec<&'a Check>,
    altered_checks: Vec<(&'a Check, &'a Check)>,
}

/// Added, deleted and changed entries of two keyed collections, compared by `squash`.
fn keyed_diff<'a, T>(
    old: &'a IndexMap<String, T>,
    new: &'a IndexMap<String, T>,
    squash: impl Fn(&T) -> String,
) -> (Vec<&'a T>, Vec<&'a T>, Vec<(&'a T, &'a T)>) {
    let added = new
        .iter()
        .filter(|(k, _)| !old.contains_key(*k))
        .map(|(_, v)| v)
        .collect();
    let deleted = old
        .iter()
        .filter(|(k, _)| !new.contains_key(*k))
        .map(|(_, v)| v)
        .collect();
    let altered = old
        .iter()
        .filter_map(|(k, o)| new.get(k).map(|n| (o, n)))
        .filter(|(o, n)| squash(o) != squash(n))
        .collect();
    (added, deleted, altered)
}

impl<'a> AlteredTable<'a> {
    fn between(old: &'a Table, new: &'a Table) -> AlteredTable<'a> {
        let columns = old
            .columns
            .iter()
            .filter_map(|(k, o)| new.columns.get(k).map(|n| (o, n)))
            .filter_map(|(o, n)| ColumnChanges::between(o, n))
            .collect();
        let (added_indexes, deleted_indexes, altered_indexes) =
            keyed_diff(&old.indexes, &new.indexes, Index::squash);
        let (added_fks, deleted_fks, altered_fks) =
            keyed_diff(&old.foreign_keys, &new.foreign_keys, ForeignKey::squash);
        let (added_pks, deleted_pks, altered_pks) = keyed_diff(
            &old.composite_primary_keys,
            &new.composite_primary_keys,
            CompositePk::squash,
        );
        let (added_checks, deleted_checks, altered_checks) = keyed_diff(
            &old.check_constraints,
            &new.check_constraints,
            Check::squash,
        );
        AlteredTable {
            name: new.name.clone(),
            columns,
            added_indexes,
            deleted_indexes,
            altered_indexes,
            added_fks,
            deleted_fks,
            altered_fks,
            added_pks,
            deleted_pks,
            altered_pks,
            added_checks,
            deleted_checks,
            altered_checks,
        }
    }

    fn is_empty(&self) -> bool {
        self.columns.is_empty()
            && self.added_indexes.is_empty()
            && self.deleted_indexes.is_empty()
            && self.altered_indexes.is_empty()
            && self.added_fks.is_empty()
            && self.deleted_fks.is_empty()
            && self.altered_fks.is_empty()
            && self.added_pks.is_empty()
            && self.deleted_pks.is_empty()
            && self.altered_pks.is_empty()
            && self.added_checks.is_empty()
            && self.deleted_checks.is_empty()
            && self.altered_checks.is_empty()
    }

    fn rebuild(&self, why: RebuildReason) -> Stmt {
        Stmt::NeedsRebuild {
            table: self.name.clone(),
            why,
        }
    }

    fn push_statements(&self, cur: &Schema, s: &mut Statements, warnings: &mut Vec<String>) {
        // Composite PKs: drizzle-kit compares only the last added and last deleted key.
        let last_cols =
            |pks: &[&CompositePk]| pks.last().map(|p| p.columns.clone()).unwrap_or_default();
        if last_cols(&self.added_pks) != last_cols(&self.deleted_pks) {
            for _ in &self.added_pks {
                s.add_composite_pks
                    .push(self.rebuild(RebuildReason::CompositePk));
            }
            for _ in &self.deleted_pks {
                s.drop_composite_pks
                    .push(self.rebuild(RebuildReason::CompositePk));
            }
        }
        for _ in &self.altered_pks {
            s.alter_composite_pks
                .push(self.rebuild(RebuildReason::CompositePk));
        }
        for _ in self
            .added_checks
            .iter()
            .chain(self.altered_checks.iter().map(|(_, n)| n))
        {
            s.create_checks.push(self.rebuild(RebuildReason::Check));
        }
        for _ in self
            .deleted_checks
            .iter()
            .chain(self.altered_checks.iter().map(|(o, _)| o))
        {
            s.drop_checks.push(self.rebuild(RebuildReason::Check));
        }
        self.push_column_alterations(cur, s, warnings);
        for idx in &self.added_indexes {
            s.create_indexes.push(Stmt::CreateIndex {
                table: self.name.clone(),
                index: (*idx).clone(),
                internal: cur.internal.clone(),
            });
        }
        for idx in &self.deleted_indexes {
            s.drop_indexes.push(Stmt::DropIndex {
                table: self.name.clone(),
                index: (*idx).clone(),
            });
        }
        for fk in &self.added_fks {
            s.create_references.push(Stmt::CreateReference {
                table: self.name.clone(),
                fk: (*fk).clone(),
            });
        }
        for _ in &self.deleted_fks {
            s.drop_references
                .push(self.rebuild(RebuildReason::ForeignKey));
        }
        for (_, new) in &self.altered_fks {
            s.drop_references
                .push(self.rebuild(RebuildReason::ForeignKey));
            s.create_references.push(Stmt::CreateReference {
                table: self.name.clone(),
                fk: (*new).clone(),
            });
        }
    }

    /// drizzle-kit's `prepareSqliteAlterColumns`: PK drops, PK sets, then the rest, per column.
    fn push_column_alterations(
        &self,
        cur: &Schema,
        s: &mut Statements,
        warnings: &mut Vec<String>,
    ) {
        let table = &cur.tables[&self.name];
        let mut drop_pks = vec![];
        let mut set_pks = vec![];
        let mut rest = vec![];
        for c in &self.columns {
            let new_col = &table.columns[&c.name];
            if c.autoincrement.is_some() {
                rest.push(self.rebuild(RebuildReason::Autoincrement));
            }
            if c.sql_type {
                rest.push(self.rebuild(RebuildReason::ColumnType));
            }
            let composite = table
                .composite_primary_keys
                .contains_key(&format!("{}_{}", self.name, c.name));
            match c.primary_key {
                Some(Change::Changed(_, false)) if !composite => {
                    drop_pks.push(self.rebuild(RebuildReason::PrimaryKey))
                }
                _ => {}
            }
            if c.default.is_some() {
                rest.push(self.rebuild(RebuildReason::ColumnDefault));
            }
            if c.not_null.is_some() {
                rest.push(self.rebuild(RebuildReason::NotNull));
            }
            match &c.generated {
                Some(Change::Added(_)) | Some(Change::Changed(..)) => {
                    if new_col
                        .generated
                        .as_ref()
                        .is_some_and(|g| g.kind == "virtual")
                    {
                        rest.push(Stmt::RegenerateColumn {
                            table: self.name.clone(),
                            column: new_col.clone(),
                        });
                    } else {
                        warnings.push(format!("{}.{}: {STORED_ADD_WARNING}", self.name, c.name));
                    }
                }
                Some(Change::Deleted) => rest.push(Stmt::RegenerateColumn {
                    table: self.name.clone(),
                    column: new_col.clone(),
                }),
                None => {}
            }
            if let Some(Change::Changed(_, true)) = c.primary_key {
                set_pks.push(self.rebuild(RebuildReason::PrimaryKey));
            }
        }
        s.column_alterations.extend(drop_pks);
        s.column_alterations.extend(set_pks);
        s.column_alterations.extend(rest);
    }
}

fn push_view_statements(prev: &Schema, cur: &Schema, s: &mut Statements) {
    for (key, v) in &cur.views {
        if !prev.views.contains_key(key) && !v.is_existing {
            s.create_views.push(Stmt::CreateView {
                name: v.name.clone(),
                definition: v.definition.clone().unwrap_or_default(),
            });
        }
    }
    for (key, v) in &prev.views {
        if !cur.views.contains_key(key) && !v.is_existing {
            s.drop_views.push(Stmt::DropView {
                name: v.name.clone(),
            });
        }
    }
    for (key, old) in &prev.views {
        let Some(new) = cur.views.get(key) else {
            continue;
        };
        if new.is_existing {
            continue;
        }
        let definition_changed =
            matches!((&old.definition, &new.definition), (Some(a), Some(b)) if a != b);
        if old.is_existing != new.is_existing || definition_changed {
            s.drop_views.push(Stmt::DropView {
                name: new.name.clone(),
            });
            s.create_views.push(Stmt::CreateView {
                name: new.name.clone(),
                definition: new.definition.clone().unwrap_or_default(),
            });
        }
    }
}
