//! Schema diff: two schemas (+ rename decisions) → the ordered list of migration statements.
//!
//! The order and grouping reproduce drizzle-kit 0.31's `applySqliteSnapshotsDiff` and
//! `sqliteCombineStatements`, so that existing projects get byte-identical SQL. `Mode::Fixed`
//! then corrects the defects listed in `reference/migrations.md` §2c (see `fixes.rs`).

mod changes;
mod combine;
mod fixes;
pub mod render;
mod resolve;

use anyhow::Result;
use indexmap::IndexMap;
use serde_json::Value;

use crate::migrate::snapshot::Renames;
use crate::schema::model::*;

pub use resolve::{Decisions, Unresolved, UnresolvedKind};

/// Which SQL to write where drizzle-kit 0.31 is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exactly drizzle-kit 0.31's text, defects included (for replaying histories).
    Drizzle,
    /// drizzle-kit's text wherever it is correct; correct SQL where it is not.
    Fixed,
}

/// One migration statement before it is turned into SQL (drizzle-kit's "JSON statements").
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    CreateTable(Table),
    DropTable(String),
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    AddColumn {
        table: String,
        column: Column,
        reference: Option<ForeignKey>,
    },
    CreateIndex {
        table: String,
        index: Index,
        internal: Option<Value>,
    },
    DropIndex {
        table: String,
        index: Index,
    },
    /// Replace the table by a copy with the new definition (what SQLite cannot ALTER).
    RecreateTable {
        table: String,
    },
    /// A change that only a table rebuild can make (type, default, NOT NULL, PK, FK, check...).
    NeedsRebuild {
        table: String,
        why: RebuildReason,
    },
    /// A virtual generated column whose expression was set, changed or dropped: drop + add.
    RegenerateColumn {
        table: String,
        column: Column,
    },
    CreateReference {
        table: String,
        fk: ForeignKey,
    },
    CreateView {
        name: String,
        definition: String,
    },
    DropView {
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuildReason {
    ColumnType,
    ColumnDefault,
    NotNull,
    Autoincrement,
    PrimaryKey,
    ForeignKey,
    CompositePk,
    Check,
}

impl Stmt {
    /// The table a statement is grouped under; views share one group (`None`).
    fn group(&self) -> Option<&str> {
        use Stmt::*;
        match self {
            CreateTable(t) => Some(&t.name),
            DropTable(t) | RecreateTable { table: t } => Some(t),
            RenameTable { to, .. } => Some(to),
            RenameColumn { table, .. }
            | DropColumn { table, .. }
            | AddColumn { table, .. }
            | CreateIndex { table, .. }
            | DropIndex { table, .. }
            | NeedsRebuild { table, .. }
            | RegenerateColumn { table, .. }
            | CreateReference { table, .. } => Some(table),
            CreateView { .. } | DropView { .. } => None,
        }
    }
}

/// A place where our SQL deliberately differs from drizzle-kit's, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Note(pub String);

#[derive(Debug, Clone, Default)]
pub struct DiffOutput {
    pub sql: Vec<String>,
    /// The renames that were applied, for the new snapshot's `_meta`.
    pub renames: Renames,
    pub notes: Vec<Note>,
    pub warnings: Vec<String>,
}

/// Diff `prev` → `cur`. Fails with the list of undecided renames when `decisions` does not
/// settle every table or column that might have been renamed.
pub fn diff(
    prev: &Schema,
    cur: &Schema,
    decisions: &Decisions,
    mode: Mode,
) -> Result<DiffOutput, Vec<Unresolved>> {
    let plan = changes::plan(prev, cur, decisions)?;
    let mut out = DiffOutput {
        renames: plan.renames.clone(),
        warnings: plan.warnings.clone(),
        ..Default::default()
    };
    // Our SQL can differ from drizzle-kit's only around rebuilds, views and ADD COLUMN
    // references; without those, fixed mode is drizzle-kit's text and one pass is enough.
    let may_differ = plan.statements.iter().any(|s| {
        matches!(
            s,
            Stmt::NeedsRebuild { .. }
                | Stmt::CreateView { .. }
                | Stmt::DropView { .. }
                | Stmt::CreateReference { .. }
        ) || matches!(
            s,
            Stmt::AddColumn {
                reference: Some(_),
                ..
            } | Stmt::AddColumn {
                column: Column {
                    primary_key: true,
                    ..
                },
                ..
            }
        )
    });
    let mode = if may_differ { mode } else { Mode::Drizzle };
    let drizzle_sql = combine::to_sql(&plan, prev, cur, Mode::Drizzle, &mut Vec::new());
    match mode {
        Mode::Drizzle => out.sql = drizzle_sql,
        Mode::Fixed => {
            let mut notes = Vec::new();
            let fixed = combine::to_sql(&plan, prev, cur, Mode::Fixed, &mut notes);
            if fixed != drizzle_sql {
                notes.sort();
                notes.dedup();
                out.notes = notes;
            }
            out.sql = fixed;
        }
    }
    out.warnings.extend(fixes::not_null_warnings(&plan, cur));
    Ok(out)
}

/// The statements joined as a migration file: drizzle-kit's `--> statement-breakpoint`.
pub fn join_statements(sql: &[String], breakpoints: bool) -> String {
    sql.join(if breakpoints {
        "--> statement-breakpoint\n"
    } else {
        "\n"
    })
}

/// A schema after renaming tables and columns as decided (drizzle-kit's "patched" snapshot).
fn patched(prev: &Schema, renames: &Renames) -> IndexMap<String, Table> {
    prev.tables
        .iter()
        .map(|(key, t)| {
            let mut t = t.clone();
            let mut key = key.clone();
            if let Some((_, to)) = renames.tables.iter().find(|(from, _)| *from == t.name) {
                t.name = to.clone();
                key = to.clone();
            }
            let cols = renames.columns.iter().filter(|(tb, _, _)| *tb == t.name);
            for (_, from, to) in cols {
                if let Some(idx) = t.columns.get_index_of(from) {
                    let (_, mut c) = t.columns.shift_remove_index(idx).expect("index exists");
                    c.name = to.clone();
                    t.columns.shift_insert(idx, to.clone(), c);
                }
            }
            (key, t)
        })
        .collect()
}
