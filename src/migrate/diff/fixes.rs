//! Where we write different SQL than drizzle-kit 0.31, and why (reference/migrations.md §2c):
//! each rebuild keeps its PRAGMA pair, copies only the columns the old table has (never into
//! generated columns), keeps expression indexes, views are dropped before table changes and
//! re-created after, `ADD COLUMN ... REFERENCES` keeps its actions, and a table that other
//! tables reference is rebuilt without losing their rows even though D1 always enforces
//! foreign keys (so `PRAGMA foreign_keys=OFF` does nothing there).

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::changes::Plan;
use super::{Note, Stmt, render};
use crate::schema::model::*;

fn note(notes: &mut Vec<Note>, text: impl Into<String>) {
    notes.push(Note(text.into()));
}

/// The state of the tables while the migration runs: a table's statements run as one group, so
/// a table whose group comes before position `at` already has its new definition.
struct Timeline<'a> {
    first_position: HashMap<&'a str, usize>,
    prev: &'a IndexMap<String, Table>,
    cur: &'a Schema,
}

impl<'a> Timeline<'a> {
    fn new(
        combined: &[&'a Stmt],
        prev: &'a IndexMap<String, Table>,
        cur: &'a Schema,
    ) -> Timeline<'a> {
        let mut first_position = HashMap::new();
        for (i, s) in combined.iter().enumerate() {
            if let Some(g) = s.group() {
                first_position.entry(g).or_insert(i);
            }
        }
        Timeline {
            first_position,
            prev,
            cur,
        }
    }

    /// Tables that hold rows at position `at`: those present before and after the migration.
    fn table_at(&self, name: &str, at: usize) -> Option<&'a Table> {
        let (old, new) = (self.prev.get(name)?, self.cur.tables.get(name)?);
        match self.first_position.get(name) {
            Some(&p) if p < at => Some(new),
            _ => Some(old),
        }
    }

    fn live_tables(&self, at: usize) -> Vec<&'a Table> {
        self.prev
            .keys()
            .filter_map(|n| self.table_at(n, at))
            .collect()
    }
}

/// Tables whose rows depend on `table` through foreign keys, nearest first (breadth-first).
fn dependents<'a>(table: &str, live: &[&'a Table]) -> Vec<&'a Table> {
    let mut seen: HashSet<String> = HashSet::from([table.to_string()]);
    let mut order = vec![];
    let mut frontier = vec![table.to_string()];
    while let Some(parent) = frontier.first().cloned() {
        frontier.remove(0);
        for t in live {
            let refers = t.foreign_keys.values().any(|fk| fk.table_to == parent);
            if refers && seen.insert(t.name.clone()) {
                order.push(*t);
                frontier.push(t.name.clone());
            }
        }
    }
    order
}

fn insertable_columns(t: &Table) -> Vec<String> {
    t.columns
        .values()
        .filter(|c| c.generated.is_none())
        .map(|c| c.name.clone())
        .collect()
}

/// A rebuild that survives enforced foreign keys: back up and empty every dependent table
/// (children first), rebuild in place, restore (parents first).
fn safe_rebuild(new: &Table, copy: &[String], deps: &[&Table]) -> Vec<String> {
    let t = &new.name;
    let backup = |name: &str| format!("__es_backup_{name}");
    let mut out = vec![
        "PRAGMA foreign_keys=OFF;".to_string(),
        "PRAGMA defer_foreign_keys=ON;".to_string(),
    ];
    out.push(format!(
        "CREATE TABLE `{}` AS SELECT * FROM `{t}`;",
        backup(t)
    ));
    for d in deps {
        out.push(format!(
            "CREATE TABLE `{}` AS SELECT * FROM `{}`;",
            backup(&d.name),
            d.name
        ));
    }
    for d in deps.iter().rev() {
        out.push(format!("DELETE FROM `{}`;", d.name));
    }
    out.push(render::drop_table(t));
    let checks: Vec<Check> = new.check_constraints.values().cloned().collect();
    out.push(render::create_table(t, new, &checks, false));
    let cols = render::quoted_list(copy);
    out.push(format!(
        "INSERT INTO `{t}`({cols}) SELECT {cols} FROM `{}`;",
        backup(t)
    ));
    out.push(render::drop_table(&backup(t)));
    for d in deps {
        let cols = render::quoted_list(&insertable_columns(d));
        out.push(format!(
            "INSERT INTO `{}`({cols}) SELECT {cols} FROM `{}`;",
            d.name,
            backup(&d.name)
        ));
        out.push(render::drop_table(&backup(&d.name)));
    }
    out.push("PRAGMA foreign_keys=ON;".to_string());
    out
}

fn rebuild_sql(
    table: &str,
    at: usize,
    plan: &Plan,
    timeline: &Timeline,
    notes: &mut Vec<Note>,
) -> Vec<String> {
    let new = &timeline.cur.tables[table];
    let old = plan.patched_prev.get(table);
    let all: Vec<String> = new.columns.values().map(|c| c.name.clone()).collect();
    let copy: Vec<String> = new
        .columns
        .values()
        .filter(|c| c.generated.is_none() && old.is_some_and(|o| o.columns.contains_key(&c.name)))
        .map(|c| c.name.clone())
        .collect();
    if copy.len() != all.len() {
        note(
            notes,
            format!(
                "the rebuild of `{table}` copies only the columns the old table has and that are not \
                 generated (drizzle-kit also lists new columns, which SQLite reads as string literals)"
            ),
        );
    }
    let live = timeline.live_tables(at);
    let deps = dependents(table, &live);
    let self_referencing =
        old.is_some_and(|o| o.foreign_keys.values().any(|fk| fk.table_to == table));
    if deps.is_empty() && !self_referencing {
        return render::rebuild(new, &copy);
    }
    let names: Vec<String> = deps.iter().map(|d| format!("`{}`", d.name)).collect();
    note(
        notes,
        format!(
            "`{table}` is referenced by foreign keys{}: D1 enforces them and ignores PRAGMA foreign_keys, \
             so drizzle-kit's rebuild would delete, null or reject the referencing rows; it is rebuilt in \
             place with those rows backed up and restored",
            if names.is_empty() {
                String::new()
            } else {
                format!(" from {}", names.join(", "))
            }
        ),
    );
    safe_rebuild(new, &copy, &deps)
}

fn mentions_table(definition: &str, table: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    definition.match_indices(table).any(|(i, _)| {
        let before = definition[..i].chars().next_back();
        let after = definition[i + table.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

pub fn fixed_sql(
    combined: &[&Stmt],
    plan: &Plan,
    prev: &Schema,
    cur: &Schema,
    notes: &mut Vec<Note>,
    drizzle_sql: impl Fn(&Stmt) -> Vec<String>,
) -> Vec<String> {
    let timeline = Timeline::new(combined, &plan.patched_prev, cur);
    let rebuilt: Vec<&str> = combined
        .iter()
        .filter_map(|s| match s {
            Stmt::RecreateTable { table } => Some(table.as_str()),
            _ => None,
        })
        .collect();

    // Views: drop first, create last; views over a rebuilt table are dropped and re-created.
    let mut drop_views: Vec<String> = combined
        .iter()
        .filter_map(|s| match s {
            Stmt::DropView { name } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut create_views: Vec<(String, String)> = combined
        .iter()
        .filter_map(|s| match s {
            Stmt::CreateView { name, definition } => Some((name.clone(), definition.clone())),
            _ => None,
        })
        .collect();
    let hoisted = !drop_views.is_empty()
        && combined
            .iter()
            .position(|s| matches!(s, Stmt::DropView { .. }))
            > combined
                .iter()
                .position(|s| !matches!(s, Stmt::DropView { .. } | Stmt::CreateView { .. }));
    if hoisted {
        note(
            notes,
            "views are dropped before the table changes (drizzle-kit dropped them after, where SQLite rejects the changes)",
        );
    }
    for v in prev.views.values().filter(|v| !v.is_existing) {
        let def = v.definition.as_deref().unwrap_or("");
        let Some(t) = rebuilt.iter().find(|t| mentions_table(def, t)) else {
            continue;
        };
        if drop_views.contains(&v.name) {
            continue;
        }
        drop_views.push(v.name.clone());
        if let Some(nv) = cur.views.get(&v.name).filter(|nv| !nv.is_existing)
            && !create_views.iter().any(|(n, _)| n == &nv.name)
        {
            create_views.push((nv.name.clone(), nv.definition.clone().unwrap_or_default()));
        }
        note(
            notes,
            format!(
                "view `{}` is dropped before the rebuild of `{t}` and re-created after (SQLite cannot rename a table a view uses)",
                v.name
            ),
        );
    }

    for st in combined {
        if let Stmt::RenameColumn { table, from, to } = st
            && rebuilt.contains(&table.as_str())
        {
            note(
                notes,
                format!(
                    "the rename of `{table}`.`{from}` to `{to}` is kept before the rebuild of `{table}` (drizzle-kit drops it, and its rebuild then copies the new name as a string literal)"
                ),
            );
        }
    }
    let mut out: Vec<String> = drop_views.iter().map(|v| render::drop_view(v)).collect();
    let mut rebuilds = 0;
    for (i, st) in combined.iter().enumerate() {
        match st {
            Stmt::DropView { .. } | Stmt::CreateView { .. } => {}
            Stmt::RecreateTable { table } => {
                rebuilds += 1;
                out.extend(rebuild_sql(table, i, plan, &timeline, notes));
            }
            Stmt::AddColumn {
                table,
                column,
                reference: Some(fk),
            } => {
                let actions = [&fk.on_update, &fk.on_delete];
                let plain = actions
                    .iter()
                    .all(|a| a.as_deref().is_none_or(|a| a == "no action"));
                if plain {
                    out.extend(drizzle_sql(st));
                } else {
                    note(
                        notes,
                        format!(
                            "ADD COLUMN `{table}`.`{}` keeps its foreign key actions (drizzle-kit drops them)",
                            column.name
                        ),
                    );
                    let r = format!(
                        " REFERENCES `{}`({}) ON UPDATE {} ON DELETE {}",
                        fk.table_to,
                        fk.columns_to
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(","),
                        fk.on_update.as_deref().unwrap_or("no action"),
                        fk.on_delete.as_deref().unwrap_or("no action")
                    );
                    out.push(render::add_column(table, column, Some(&r)));
                }
            }
            Stmt::CreateIndex { index, .. } if !rebuilt.is_empty() => {
                let text = drizzle_sql(st);
                if index
                    .columns
                    .iter()
                    .any(|c| index.is_expression(c, cur.internal.as_ref()))
                    && rebuilt.contains(&st.group().unwrap_or(""))
                {
                    note(
                        notes,
                        format!(
                            "expression index `{}` is re-created as an expression after the rebuild",
                            index.name
                        ),
                    );
                }
                out.extend(text);
            }
            _ => out.extend(drizzle_sql(st)),
        }
    }
    if rebuilds > 1 {
        note(
            notes,
            "every rebuilt table gets its own PRAGMA foreign_keys pair (drizzle-kit removes the repeats)",
        );
    }
    out.extend(create_views.iter().map(|(n, d)| render::create_view(n, d)));
    out
}

/// Adding a NOT NULL column without a default to a table that has rows fails at apply time.
pub fn not_null_warnings(plan: &Plan, cur: &Schema) -> Vec<String> {
    let mut out = vec![];
    for st in &plan.statements {
        if let Stmt::AddColumn { table, column, .. } = st
            && column.not_null
            && column.default.is_none()
            && column.generated.is_none()
        {
            out.push(format!(
                "`{table}`.`{}` is NOT NULL without a default: the migration fails if `{table}` has rows",
                column.name
            ));
        }
    }
    let rebuilt: HashSet<&str> = plan
        .statements
        .iter()
        .filter_map(|s| match s {
            Stmt::NeedsRebuild { table, .. } => Some(table.as_str()),
            _ => None,
        })
        .collect();
    for (name, new) in cur
        .tables
        .iter()
        .filter(|(n, _)| rebuilt.contains(n.as_str()))
    {
        let Some(old) = plan.patched_prev.get(name) else {
            continue;
        };
        for c in new.columns.values() {
            let added = !old.columns.contains_key(&c.name);
            if added && c.not_null && c.default.is_none() && c.generated.is_none() && !c.primary_key
            {
                let msg = format!(
                    "`{name}`.`{}` is NOT NULL without a default: the migration fails if `{name}` has rows",
                    c.name
                );
                if !out.contains(&msg) {
                    out.push(msg);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_mentions_respect_identifier_boundaries() {
        assert!(mentions_table("select * from \"users\"", "users"));
        assert!(!mentions_table("select * from \"users_archive\"", "users"));
        assert!(mentions_table("select `users`.id from users", "users"));
    }
}
