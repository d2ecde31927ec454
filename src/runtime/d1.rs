//! D1's statements run on the SQLite file, as the platform's D1 runs them: one statement per
//! prepare, a batch all or nothing in one transaction, foreign keys enforced, and transaction
//! statements refused (D1 rejects BEGIN/COMMIT: a batch is its transaction). Values cross as
//! JSON: blobs as arrays of bytes (base64 `{"$blob"}` on the way in), integers as numbers.

use std::time::Instant;

use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize)]
pub struct Statement {
    pub sql: String,
    #[serde(default)]
    pub params: Vec<Value>,
}

#[derive(Deserialize)]
pub struct Request {
    pub statements: Vec<Statement>,
    /// All or nothing, as `D1Database.batch`.
    #[serde(default)]
    pub batch: bool,
}

/// One statement's result: rows as arrays in column order, and what it changed.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub changes: u64,
    pub last_row_id: i64,
    /// Milliseconds.
    pub duration: f64,
}

/// Run the request's statements; the error reads as D1's (`D1_ERROR: ...`).
pub fn run(db: &mut Connection, request: &Request) -> Result<Vec<Outcome>, String> {
    for s in &request.statements {
        refuse_transaction_statement(&s.sql)?;
    }
    if !request.batch || request.statements.len() < 2 {
        return request.statements.iter().map(|s| one(db, s)).collect();
    }
    let tx = db.transaction().map_err(d1_error)?;
    let outcomes = request
        .statements
        .iter()
        .map(|s| one(&tx, s))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit().map_err(d1_error)?;
    Ok(outcomes)
}

/// `D1Database.exec`: statements separated by semicolons, not in one transaction (as D1);
/// how many ran.
pub fn exec(db: &Connection, sql: &str) -> Result<(usize, f64), String> {
    let started = Instant::now();
    let mut count = 0;
    let mut rest = sql;
    while !rest.trim().is_empty() {
        let (first, tail) = split_first(rest);
        rest = tail;
        if first_keyword(first).is_empty() {
            continue;
        }
        refuse_transaction_statement(first)?;
        db.execute_batch(first).map_err(d1_error)?;
        count += 1;
    }
    Ok((count, started.elapsed().as_secs_f64() * 1000.0))
}

/// The first statement of `sql` and the text after it; its end is found by SQLite's own
/// completeness test, so a semicolon in a string or a trigger body is not an end.
fn split_first(sql: &str) -> (&str, &str) {
    for (i, c) in sql.char_indices() {
        if c == ';' && is_complete(&sql[..=i]) {
            return (&sql[..=i], &sql[i + 1..]);
        }
    }
    (sql, "")
}

fn is_complete(sql: &str) -> bool {
    let Ok(text) = std::ffi::CString::new(sql) else {
        return false;
    };
    // SAFETY: a NUL-terminated string that lives across the call.
    unsafe { rusqlite::ffi::sqlite3_complete(text.as_ptr()) != 0 }
}

fn one(db: &Connection, s: &Statement) -> Result<Outcome, String> {
    let started = Instant::now();
    let mut st = db.prepare(&s.sql).map_err(d1_error)?;
    let columns: Vec<String> = st.column_names().map(String::from).collect();
    let params = s.params.iter().map(to_sql).collect::<Result<Vec<_>, _>>()?;
    let readonly = st.readonly();
    let mut rows = vec![];
    {
        let mut cursor = st.query(params_from_iter(params)).map_err(d1_error)?;
        while let Some(row) = cursor.next().map_err(d1_error)? {
            let values = (0..columns.len())
                .map(|i| row.get_ref(i).map(to_json).map_err(d1_error))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(values);
        }
    }
    Ok(Outcome {
        columns,
        rows,
        changes: if readonly { 0 } else { db.changes() },
        last_row_id: db.last_insert_rowid(),
        duration: started.elapsed().as_secs_f64() * 1000.0,
    })
}

fn refuse_transaction_statement(sql: &str) -> Result<(), String> {
    let first = first_keyword(sql).to_ascii_uppercase();
    if ["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"].contains(&first.as_str()) {
        return Err(format!(
            "D1_ERROR: {first} is not supported: D1 runs each batch() in a transaction of its own and does not take transaction statements"
        ));
    }
    Ok(())
}

/// The first word of `sql`, past whitespace and comments.
fn first_keyword(sql: &str) -> &str {
    let mut rest = sql;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    &rest[..end]
}

fn to_sql(v: &Value) -> Result<Sql, String> {
    Ok(match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Sql::Text(s.clone()),
        Value::Object(o) if o.contains_key("$blob") => {
            use base64::Engine;
            let text = o["$blob"].as_str().unwrap_or("");
            Sql::Blob(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| format!("D1_TYPE_ERROR: a blob parameter: {e}"))?,
            )
        }
        Value::Object(o) if o.contains_key("$int") => Sql::Integer(
            o["$int"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or("D1_TYPE_ERROR: a BigInt parameter beyond 64 bits")?,
        ),
        other => {
            return Err(format!(
                "D1_TYPE_ERROR: type not supported for value {other}"
            ));
        }
    })
}

fn to_json(v: ValueRef) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
    }
}

fn d1_error(e: rusqlite::Error) -> String {
    match &e {
        rusqlite::Error::SqliteFailure(code, Some(message)) => {
            format!("D1_ERROR: {message}: SQLITE_{:?}", code.code).to_uppercase_code()
        }
        _ => format!("D1_ERROR: {e}"),
    }
}

trait UppercaseCode {
    fn to_uppercase_code(self) -> String;
}

impl UppercaseCode for String {
    /// `SQLITE_ConstraintViolation` → `SQLITE_CONSTRAINT`, as D1 names SQLite's codes.
    fn to_uppercase_code(self) -> String {
        match self.rsplit_once(": SQLITE_") {
            Some((message, code)) => {
                let name = match code {
                    "ConstraintViolation" => "CONSTRAINT",
                    "DatabaseBusy" => "BUSY",
                    "DatabaseLocked" => "LOCKED",
                    "ReadOnly" => "READONLY",
                    "TypeMismatch" => "MISMATCH",
                    _ => "ERROR",
                };
                format!("{message}: SQLITE_{name}")
            }
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "PRAGMA foreign_keys=ON; CREATE TABLE a(id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB);
             CREATE TABLE b(id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));",
        )
        .unwrap();
        db
    }

    fn request(batch: bool, statements: &[(&str, Value)]) -> Request {
        Request {
            batch,
            statements: statements
                .iter()
                .map(|(sql, params)| Statement {
                    sql: sql.to_string(),
                    params: params.as_array().cloned().unwrap_or_default(),
                })
                .collect(),
        }
    }

    #[test]
    fn statements_run_with_values_crossing_as_json() {
        let mut db = db();
        let out = run(
            &mut db,
            &request(
                false,
                &[(
                    "INSERT INTO a(name, data) VALUES (?, ?) RETURNING id, name, data",
                    serde_json::json!(["x", {"$blob": "AQI="}]),
                )],
            ),
        )
        .unwrap();
        assert_eq!(out[0].columns, ["id", "name", "data"]);
        assert_eq!(
            out[0].rows[0],
            serde_json::json!([1, "x", [1, 2]])
                .as_array()
                .unwrap()
                .clone()
        );
        assert_eq!((out[0].changes, out[0].last_row_id), (1, 1));
    }

    #[test]
    fn a_batch_is_all_or_nothing_and_errors_read_as_d1s() {
        let mut db = db();
        let failed = run(
            &mut db,
            &request(
                true,
                &[
                    ("INSERT INTO a(name) VALUES ('x')", Value::Null),
                    ("INSERT INTO b(a_id) VALUES (99)", Value::Null),
                ],
            ),
        )
        .unwrap_err();
        assert!(
            failed.starts_with("D1_ERROR: FOREIGN KEY constraint failed"),
            "{failed}"
        );
        assert!(failed.ends_with("SQLITE_CONSTRAINT"), "{failed}");
        let n: i64 = db
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        let refused = run(&mut db, &request(false, &[("begin", Value::Null)])).unwrap_err();
        assert!(refused.contains("BEGIN is not supported"));
    }

    #[test]
    fn exec_runs_each_statement() {
        let db = db();
        let (count, _) = exec(
            &db,
            "INSERT INTO a(name) VALUES ('a;b'); INSERT INTO a(name) VALUES ('c');",
        )
        .unwrap();
        assert_eq!(count, 2);
    }
}
