//! Classify migration statements by parsing them (sqlparser, SQLite dialect): which destroy
//! data, and which D1 refuses.

use sqlparser::ast::{AlterTableOperation, Statement};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    Safe,
    /// Needs `--confirm-dangerous`; the string says what it destroys.
    Destructive(String),
    /// D1 rejects it.
    Unsupported(String),
    /// sqlparser cannot read it; SQLite decides when it runs.
    Unparsed(String),
}

/// One statement of a migration file, with the 1-based line it starts on.
#[derive(Debug, Clone)]
pub struct FileStatement {
    pub line: usize,
    pub sql: String,
}

/// Split a migration file on drizzle-kit's `--> statement-breakpoint` markers.
pub fn split(text: &str) -> Vec<FileStatement> {
    let mut out = vec![];
    let mut line = 1;
    for chunk in text.split("--> statement-breakpoint") {
        let leading = chunk.len() - chunk.trim_start().len();
        let start_line = line + chunk[..leading].matches('\n').count();
        line += chunk.matches('\n').count();
        let sql = chunk.trim();
        if !sql.is_empty() && !is_only_comments(sql) {
            out.push(FileStatement { line: start_line, sql: sql.to_string() });
        }
    }
    out
}

fn is_only_comments(sql: &str) -> bool {
    sql.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
}

pub fn classify(sql: &str) -> Vec<Class> {
    match Parser::parse_sql(&SQLiteDialect {}, sql) {
        Ok(stmts) => stmts.iter().map(classify_statement).collect(),
        Err(e) => vec![pragma_by_tokens(sql).unwrap_or(Class::Unparsed(e.to_string()))],
    }
}

/// sqlparser's grammar rejects SQLite's `PRAGMA name=OFF`; its tokenizer still reads it.
fn pragma_by_tokens(sql: &str) -> Option<Class> {
    let tokens = Tokenizer::new(&SQLiteDialect {}, sql).tokenize().ok()?;
    let mut words = tokens.iter().filter_map(|t| match t {
        Token::Word(w) => Some(w.value.to_lowercase()),
        Token::Whitespace(_) => None,
        _ => Some(String::new()),
    });
    if words.next()? != "pragma" {
        return None;
    }
    let name = words.next()?;
    Some(pragma_class(&name))
}

fn classify_statement(s: &Statement) -> Class {
    use Class::*;
    match s {
        Statement::Drop { object_type, names, .. } => {
            let kind = object_type.to_string().to_uppercase();
            let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
            if kind == "INDEX" { Safe } else { Destructive(format!("DROP {kind} {names}")) }
        }
        Statement::AlterTable(alter) => {
            let table = alter.name.to_string();
            for op in &alter.operations {
                match op {
                    AlterTableOperation::DropColumn { column_names, .. } => {
                        let cols = column_names.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ");
                        return Destructive(format!("DROP COLUMN {cols} of {table}"));
                    }
                    AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                        return Destructive(format!("RENAME COLUMN {old_column_name} TO {new_column_name} of {table}"));
                    }
                    AlterTableOperation::RenameTable { table_name } => {
                        return Destructive(format!("RENAME TABLE {table} TO {table_name}"));
                    }
                    _ => {}
                }
            }
            Safe
        }
        Statement::Delete(d) if d.selection.is_none() => Destructive("DELETE without WHERE".into()),
        Statement::Truncate { .. } => Destructive("TRUNCATE".into()),
        Statement::StartTransaction { .. } => Unsupported("BEGIN".into()),
        Statement::Commit { .. } => Unsupported("COMMIT".into()),
        Statement::Rollback { .. } => Unsupported("ROLLBACK".into()),
        Statement::Savepoint { .. } => Unsupported("SAVEPOINT".into()),
        Statement::ReleaseSavepoint { .. } => Unsupported("RELEASE".into()),
        Statement::AttachDatabase { .. } => Unsupported("ATTACH".into()),
        Statement::DetachDuckDBDatabase { .. } => Unsupported("DETACH".into()),
        Statement::Analyze { .. } => Unsupported("ANALYZE".into()),
        Statement::Vacuum(_) => Unsupported("VACUUM".into()),
        Statement::Pragma { name, .. } => {
            pragma_class(&name.to_string().to_lowercase())
        }
        _ => Safe,
    }
}

/// D1 accepts `foreign_keys` (ignored) and `defer_foreign_keys`, plus read-only introspection
/// pragmas; everything else (journal_mode, writable_schema, ...) is rejected.
fn pragma_class(name: &str) -> Class {
    const D1_PRAGMAS: &[&str] = &[
        "foreign_keys", "defer_foreign_keys", "foreign_key_check", "foreign_key_list", "table_info",
        "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "quick_check", "optimize",
    ];
    if D1_PRAGMAS.contains(&name) { Class::Safe } else { Class::Unsupported(format!("PRAGMA {name}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_breakpoints_with_lines() {
        let s = split("CREATE TABLE a (x int);\n--> statement-breakpoint\nDROP TABLE b;--> statement-breakpoint\nSELECT 1;");
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].line, s[1].line, s[2].line), (1, 3, 4));
    }

    #[test]
    fn classifies_by_parsing() {
        assert!(matches!(classify("DROP TABLE `users`;")[0], Class::Destructive(_)));
        assert_eq!(classify("DROP INDEX `i`;")[0], Class::Safe);
        assert!(matches!(classify("ALTER TABLE `u` DROP COLUMN `c`;")[0], Class::Destructive(_)));
        assert!(matches!(classify("ALTER TABLE `u` RENAME COLUMN \"a\" TO \"b\";")[0], Class::Destructive(_)));
        assert!(matches!(classify("ALTER TABLE `a` RENAME TO `b`;")[0], Class::Destructive(_)));
        assert!(matches!(classify("DELETE FROM t;")[0], Class::Destructive(_)));
        assert_eq!(classify("DELETE FROM t WHERE id = 1;")[0], Class::Safe);
        assert!(matches!(classify("VACUUM;")[0], Class::Unsupported(_)));
        assert!(matches!(classify("BEGIN TRANSACTION;")[0], Class::Unsupported(_)));
        assert!(matches!(classify("PRAGMA journal_mode = 1;")[0], Class::Unsupported(_)), "{:?}", classify("PRAGMA journal_mode = 1;"));
        assert_eq!(classify("PRAGMA foreign_keys=OFF;")[0], Class::Safe);
        assert_eq!(classify("ALTER TABLE `u` ADD `c` text DEFAULT 'x' NOT NULL;")[0], Class::Safe);
        // A string that merely contains a keyword is not destructive.
        assert_eq!(classify("INSERT INTO t VALUES ('DROP TABLE x');")[0], Class::Safe);
    }
}
