//! drizzle-kit v6 snapshot files (`meta/NNNN_snapshot.json`): reading, and writing with
//! drizzle-kit's exact key order and `JSON.stringify(x, null, 2)` formatting.

use anyhow::{Context, Result, anyhow, bail};
use indexmap::IndexMap;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::schema::model::*;

/// The id drizzle-kit gives the empty schema before the first migration.
pub const ORIGIN_ID: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub version: String,
    pub dialect: String,
    pub id: String,
    pub prev_id: String,
    pub schema: Schema,
    pub renames: Renames,
}

/// The rename answers recorded in a snapshot's `_meta`: `"\"old\"" -> "\"new\""` for tables,
/// `"\"t\".\"old\"" -> "\"t\".\"new\""` for columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Renames {
    pub tables: Vec<(String, String)>,
    pub columns: Vec<(String, String, String)>, // (table, from, to)
}

/// Which writer produced the file, since drizzle-kit orders keys differently for each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyOrder {
    /// `generate`: the serializer's own object order.
    Generated,
    /// `generate --custom`: a copy of the previous snapshot after drizzle-kit's zod parse.
    Custom,
}

impl Snapshot {
    pub fn empty() -> Snapshot {
        Snapshot {
            version: "6".into(),
            dialect: "sqlite".into(),
            id: ORIGIN_ID.into(),
            prev_id: String::new(),
            schema: Schema::default(),
            renames: Renames::default(),
        }
    }

    pub fn parse(text: &str) -> Result<Snapshot> {
        let v: Value = serde_json::from_str(text).context("not valid JSON")?;
        let snapshot = Snapshot::from_value(&v)?;
        if let Some(name) = snapshot.schema.unwritable_identifier() {
            bail!(
                "the name {name:?} cannot be written as an SQL identifier (it holds a quote or a control character)"
            );
        }
        Ok(snapshot)
    }

    pub fn from_value(v: &Value) -> Result<Snapshot> {
        let obj = v
            .as_object()
            .ok_or_else(|| anyhow!("a snapshot must be a JSON object"))?;
        let version = str_field(obj, "version")?;
        let dialect = str_field(obj, "dialect")?;
        if dialect != "sqlite" && dialect != "turso" {
            bail!("dialect is \"{dialect}\"; only sqlite snapshots are supported");
        }
        match version.as_str() {
            "5" | "6" => {}
            v if v.parse::<u32>().map(|n| n > 6).unwrap_or(false) => {
                bail!("snapshot version {v} is newer than drizzle-kit 0.31's (6)")
            }
            v => bail!("snapshot version {v} is too old; drizzle-kit 0.31 needs version 5 or 6"),
        }
        let mut tables = IndexMap::new();
        for (key, t) in obj_field(obj, "tables")? {
            tables.insert(
                key.clone(),
                parse_table(t).with_context(|| format!("table \"{key}\""))?,
            );
        }
        let mut views = IndexMap::new();
        if let Some(vs) = obj.get("views") {
            for (key, vw) in vs
                .as_object()
                .ok_or_else(|| anyhow!("\"views\" must be an object"))?
            {
                views.insert(
                    key.clone(),
                    parse_view(vw).with_context(|| format!("view \"{key}\""))?,
                );
            }
        }
        let renames = obj
            .get("_meta")
            .map(parse_renames)
            .transpose()?
            .unwrap_or_default();
        Ok(Snapshot {
            version,
            dialect,
            id: str_field(obj, "id")?,
            prev_id: str_field(obj, "prevId")?,
            schema: Schema {
                tables,
                views,
                internal: obj.get("internal").cloned(),
            },
            renames,
        })
    }

    /// The snapshot as a JSON value (the direct writer in `to_file_text` must print the same).
    #[cfg(test)]
    pub fn to_value(&self, order: KeyOrder) -> Value {
        let mut m = Map::new();
        if order == KeyOrder::Custom {
            m.insert("id".into(), json!(self.id));
            m.insert("prevId".into(), json!(self.prev_id));
        }
        m.insert("version".into(), json!(self.version));
        m.insert("dialect".into(), json!(self.dialect));
        if order == KeyOrder::Generated {
            m.insert("id".into(), json!(self.id));
            m.insert("prevId".into(), json!(self.prev_id));
        }
        let tables: Map<String, Value> = self
            .schema
            .tables
            .iter()
            .map(|(k, t)| (k.clone(), table_value(t, order)))
            .collect();
        m.insert("tables".into(), Value::Object(tables));
        let views: Map<String, Value> = self
            .schema
            .views
            .iter()
            .map(|(k, v)| (k.clone(), view_value(v, order)))
            .collect();
        m.insert("views".into(), Value::Object(views));
        m.insert("enums".into(), json!({}));
        m.insert("_meta".into(), renames_value(&self.renames, order));
        if let Some(internal) = &self.schema.internal {
            m.insert("internal".into(), internal.clone());
        }
        Value::Object(m)
    }

    /// The file's bytes, as drizzle-kit writes them (no trailing newline). Tables are written
    /// straight from the model (no intermediate JSON values: they are most of a snapshot).
    pub fn to_file_text(&self, order: KeyOrder) -> String {
        let mut out = Vec::with_capacity(1024 + self.schema.tables.len() * 2048);
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            serde_json::ser::PrettyFormatter::with_indent(b"  "),
        );
        Ordered(self, order)
            .serialize(&mut ser)
            .expect("serializing to memory cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

fn str_field(obj: &Map<String, Value>, key: &str) -> Result<String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => bail!("\"{key}\" must be a string"),
        None => bail!("\"{key}\" is missing"),
    }
}

fn obj_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(_) => bail!("\"{key}\" must be an object"),
        None => bail!("\"{key}\" is missing"),
    }
}

fn opt_obj<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a Map<String, Value>>> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(Some(o)),
        None => Ok(None),
        Some(_) => bail!("\"{key}\" must be an object"),
    }
}

fn bool_field(obj: &Map<String, Value>, key: &str) -> Result<bool> {
    match obj.get(key) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => bail!("\"{key}\" must be a boolean"),
        None => bail!("\"{key}\" is missing"),
    }
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        None => Ok(None),
        Some(_) => bail!("\"{key}\" must be a string"),
    }
}

fn str_list(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>> {
    let arr = obj
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("\"{key}\" must be an array"))?;
    arr.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("\"{key}\" must hold strings"))
        })
        .collect()
}

fn as_obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| anyhow!("{what} must be an object"))
}

fn parse_table(v: &Value) -> Result<Table> {
    let o = as_obj(v, "a table")?;
    let mut t = Table {
        name: str_field(o, "name")?,
        ..Default::default()
    };
    for (k, c) in obj_field(o, "columns")? {
        t.columns.insert(
            k.clone(),
            parse_column(c).with_context(|| format!("column \"{k}\""))?,
        );
    }
    for (k, i) in obj_field(o, "indexes")? {
        let io = as_obj(i, "an index")?;
        let idx = Index {
            name: str_field(io, "name")?,
            columns: str_list(io, "columns")?,
            is_unique: bool_field(io, "isUnique")?,
            where_clause: opt_str(io, "where")?,
        };
        t.indexes.insert(k.clone(), idx);
    }
    for (k, f) in obj_field(o, "foreignKeys")? {
        let fo = as_obj(f, "a foreign key")?;
        let fk = ForeignKey {
            name: str_field(fo, "name")?,
            table_from: str_field(fo, "tableFrom")?,
            columns_from: str_list(fo, "columnsFrom")?,
            table_to: str_field(fo, "tableTo")?,
            columns_to: str_list(fo, "columnsTo")?,
            on_update: opt_str(fo, "onUpdate")?,
            on_delete: opt_str(fo, "onDelete")?,
        };
        t.foreign_keys.insert(k.clone(), fk);
    }
    for (k, p) in obj_field(o, "compositePrimaryKeys")? {
        let po = as_obj(p, "a primary key")?;
        t.composite_primary_keys.insert(
            k.clone(),
            CompositePk {
                columns: str_list(po, "columns")?,
                name: opt_str(po, "name")?,
            },
        );
    }
    for (k, u) in opt_obj(o, "uniqueConstraints")?.into_iter().flatten() {
        let uo = as_obj(u, "a unique constraint")?;
        t.unique_constraints.insert(
            k.clone(),
            UniqueConstraint {
                name: str_field(uo, "name")?,
                columns: str_list(uo, "columns")?,
            },
        );
    }
    for (k, c) in opt_obj(o, "checkConstraints")?.into_iter().flatten() {
        let co = as_obj(c, "a check constraint")?;
        t.check_constraints.insert(
            k.clone(),
            Check {
                name: str_field(co, "name")?,
                value: str_field(co, "value")?,
            },
        );
    }
    Ok(t)
}

fn parse_column(v: &Value) -> Result<Column> {
    let o = as_obj(v, "a column")?;
    let generated = match o.get("generated") {
        None => None,
        Some(g) => {
            let go = as_obj(g, "\"generated\"")?;
            Some(Generated {
                expr: str_field(go, "as")?,
                kind: str_field(go, "type")?,
            })
        }
    };
    let autoincrement = match o.get("autoincrement") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => bail!("\"autoincrement\" must be a boolean"),
    };
    Ok(Column {
        name: str_field(o, "name")?,
        sql_type: str_field(o, "type")?,
        primary_key: bool_field(o, "primaryKey")?,
        not_null: bool_field(o, "notNull")?,
        autoincrement,
        default: o.get("default").cloned(),
        generated,
    })
}

fn parse_view(v: &Value) -> Result<View> {
    let o = as_obj(v, "a view")?;
    let mut columns = IndexMap::new();
    for (k, c) in opt_obj(o, "columns")?.into_iter().flatten() {
        columns.insert(k.clone(), parse_column(c)?);
    }
    Ok(View {
        name: str_field(o, "name")?,
        columns,
        definition: opt_str(o, "definition")?,
        is_existing: bool_field(o, "isExisting")?,
    })
}

/// `"\"a\""` → `a`; `"\"t\".\"c\""` → (`t`, `c`).
fn unquote_parts(s: &str) -> Vec<String> {
    s.split("\".\"")
        .map(|p| p.trim_matches('"').to_string())
        .collect()
}

fn parse_renames(v: &Value) -> Result<Renames> {
    let o = as_obj(v, "\"_meta\"")?;
    let mut r = Renames::default();
    for (from, to) in opt_obj(o, "tables")?.into_iter().flatten() {
        let to = to
            .as_str()
            .ok_or_else(|| anyhow!("_meta.tables values must be strings"))?;
        r.tables.push((
            unquote_parts(from).pop().unwrap_or_default(),
            unquote_parts(to).pop().unwrap_or_default(),
        ));
    }
    for (from, to) in opt_obj(o, "columns")?.into_iter().flatten() {
        let to = to
            .as_str()
            .ok_or_else(|| anyhow!("_meta.columns values must be strings"))?;
        let (f, t) = (unquote_parts(from), unquote_parts(to));
        if f.len() < 2 || t.len() < 2 {
            bail!("_meta.columns entry {from:?} is not \"table\".\"column\"");
        }
        r.columns.push((
            t[t.len() - 2].clone(),
            f[f.len() - 1].clone(),
            t[t.len() - 1].clone(),
        ));
    }
    Ok(r)
}

fn renames_value(r: &Renames, order: KeyOrder) -> Value {
    let tables: Map<String, Value> = r
        .tables
        .iter()
        .map(|(f, t)| (format!("\"{f}\""), json!(format!("\"{t}\""))))
        .collect();
    let columns: Map<String, Value> = r
        .columns
        .iter()
        .map(|(tb, f, t)| {
            (
                format!("\"{tb}\".\"{f}\""),
                json!(format!("\"{tb}\".\"{t}\"")),
            )
        })
        .collect();
    let mut m = Map::new();
    match order {
        KeyOrder::Generated => {
            m.insert("schemas".into(), json!({}));
            m.insert("tables".into(), Value::Object(tables));
            m.insert("columns".into(), Value::Object(columns));
        }
        KeyOrder::Custom => {
            m.insert("columns".into(), Value::Object(columns));
            m.insert("schemas".into(), json!({}));
            m.insert("tables".into(), Value::Object(tables));
        }
    }
    Value::Object(m)
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| json!(s)).collect())
}

pub fn column_value(c: &Column, order: KeyOrder) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(c.name));
    m.insert("type".into(), json!(c.sql_type));
    m.insert("primaryKey".into(), json!(c.primary_key));
    m.insert("notNull".into(), json!(c.not_null));
    if let Some(a) = c.autoincrement {
        m.insert("autoincrement".into(), json!(a));
    }
    let generated = c.generated.as_ref().map(|g| {
        let mut gm = Map::new();
        // The serializer writes {as, type}; zod's schema order is {type, as}.
        if order == KeyOrder::Custom {
            gm.insert("type".into(), json!(g.kind));
            gm.insert("as".into(), json!(g.expr));
        } else {
            gm.insert("as".into(), json!(g.expr));
            gm.insert("type".into(), json!(g.kind));
        }
        Value::Object(gm)
    });
    match order {
        KeyOrder::Generated => {
            if let Some(g) = generated.clone() {
                m.insert("generated".into(), g);
            }
            if let Some(d) = &c.default {
                m.insert("default".into(), d.clone());
            }
        }
        KeyOrder::Custom => {
            if let Some(d) = &c.default {
                m.insert("default".into(), d.clone());
            }
            if let Some(g) = generated {
                m.insert("generated".into(), g);
            }
        }
    }
    Value::Object(m)
}

/// A table as a JSON value (the reference the direct writer is tested against).
#[cfg(test)]
fn table_value(t: &Table, order: KeyOrder) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(t.name));
    m.insert(
        "columns".into(),
        Value::Object(
            t.columns
                .iter()
                .map(|(k, c)| (k.clone(), column_value(c, order)))
                .collect(),
        ),
    );
    m.extend(constraint_values(t, order));
    Value::Object(m)
}

/// A table's `indexes` … `checkConstraints` entries, in snapshot order.
fn constraint_values(t: &Table, order: KeyOrder) -> Map<String, Value> {
    let custom = order == KeyOrder::Custom;
    let mut m = Map::new();
    let indexes = t.indexes.iter().map(|(k, i)| {
        let mut im = Map::new();
        im.insert("name".into(), json!(i.name));
        im.insert("columns".into(), strings(&i.columns));
        if custom {
            if let Some(w) = &i.where_clause {
                im.insert("where".into(), json!(w));
            }
            im.insert("isUnique".into(), json!(i.is_unique));
        } else {
            im.insert("isUnique".into(), json!(i.is_unique));
            if let Some(w) = &i.where_clause {
                im.insert("where".into(), json!(w));
            }
        }
        (k.clone(), Value::Object(im))
    });
    m.insert("indexes".into(), Value::Object(indexes.collect()));
    let fks = t.foreign_keys.iter().map(|(k, f)| {
        let mut fm = Map::new();
        fm.insert("name".into(), json!(f.name));
        fm.insert("tableFrom".into(), json!(f.table_from));
        if custom {
            fm.insert("columnsFrom".into(), strings(&f.columns_from));
            fm.insert("tableTo".into(), json!(f.table_to));
            fm.insert("columnsTo".into(), strings(&f.columns_to));
            if let Some(u) = &f.on_update {
                fm.insert("onUpdate".into(), json!(u));
            }
            if let Some(d) = &f.on_delete {
                fm.insert("onDelete".into(), json!(d));
            }
        } else {
            fm.insert("tableTo".into(), json!(f.table_to));
            fm.insert("columnsFrom".into(), strings(&f.columns_from));
            fm.insert("columnsTo".into(), strings(&f.columns_to));
            if let Some(d) = &f.on_delete {
                fm.insert("onDelete".into(), json!(d));
            }
            if let Some(u) = &f.on_update {
                fm.insert("onUpdate".into(), json!(u));
            }
        }
        (k.clone(), Value::Object(fm))
    });
    m.insert("foreignKeys".into(), Value::Object(fks.collect()));
    let pks = t.composite_primary_keys.iter().map(|(k, p)| {
        let mut pm = Map::new();
        pm.insert("columns".into(), strings(&p.columns));
        if let Some(n) = &p.name {
            pm.insert("name".into(), json!(n));
        }
        (k.clone(), Value::Object(pm))
    });
    m.insert("compositePrimaryKeys".into(), Value::Object(pks.collect()));
    let uniques = t.unique_constraints.iter().map(|(k, u)| {
        (
            k.clone(),
            json!({"name": u.name, "columns": strings(&u.columns)}),
        )
    });
    m.insert("uniqueConstraints".into(), Value::Object(uniques.collect()));
    let checks = t
        .check_constraints
        .iter()
        .map(|(k, c)| (k.clone(), json!({"name": c.name, "value": c.value})));
    m.insert("checkConstraints".into(), Value::Object(checks.collect()));
    m
}

fn view_value(v: &View, order: KeyOrder) -> Value {
    let columns: Map<String, Value> = v
        .columns
        .iter()
        .map(|(k, c)| (k.clone(), column_value(c, order)))
        .collect();
    let mut m = Map::new();
    if order == KeyOrder::Custom {
        m.insert("name".into(), json!(v.name));
        m.insert("columns".into(), Value::Object(columns));
        if let Some(d) = &v.definition {
            m.insert("definition".into(), json!(d));
        }
        m.insert("isExisting".into(), json!(v.is_existing));
    } else {
        m.insert("columns".into(), Value::Object(columns));
        m.insert("name".into(), json!(v.name));
        m.insert("isExisting".into(), json!(v.is_existing));
        if let Some(d) = &v.definition {
            m.insert("definition".into(), json!(d));
        }
    }
    Value::Object(m)
}

/// A model value serialized in the key order of `KeyOrder`.
struct Ordered<'a, T>(&'a T, KeyOrder);

impl Serialize for Ordered<'_, Snapshot> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (snap, order) = (self.0, self.1);
        let mut m = ser.serialize_map(None)?;
        if order == KeyOrder::Custom {
            m.serialize_entry("id", &snap.id)?;
            m.serialize_entry("prevId", &snap.prev_id)?;
        }
        m.serialize_entry("version", &snap.version)?;
        m.serialize_entry("dialect", &snap.dialect)?;
        if order == KeyOrder::Generated {
            m.serialize_entry("id", &snap.id)?;
            m.serialize_entry("prevId", &snap.prev_id)?;
        }
        m.serialize_entry("tables", &Ordered(&snap.schema.tables, order))?;
        let views: Map<String, Value> = snap
            .schema
            .views
            .iter()
            .map(|(k, v)| (k.clone(), view_value(v, order)))
            .collect();
        m.serialize_entry("views", &views)?;
        m.serialize_entry("enums", &json!({}))?;
        m.serialize_entry("_meta", &renames_value(&snap.renames, order))?;
        if let Some(internal) = &snap.schema.internal {
            m.serialize_entry("internal", internal)?;
        }
        m.end()
    }
}

impl Serialize for Ordered<'_, IndexMap<String, Table>> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, t) in self.0 {
            m.serialize_entry(k, &Ordered(t, self.1))?;
        }
        m.end()
    }
}

impl Serialize for Ordered<'_, Table> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (t, order) = (self.0, self.1);
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("name", &t.name)?;
        m.serialize_entry("columns", &OrderedColumns(&t.columns, order))?;
        // The constraint maps are small; their JSON values carry the key order.
        for (k, v) in &constraint_values(t, order) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct OrderedColumns<'a>(&'a IndexMap<String, Column>, KeyOrder);

impl Serialize for OrderedColumns<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, c) in self.0 {
            m.serialize_entry(k, &Ordered(c, self.1))?;
        }
        m.end()
    }
}

impl Serialize for Ordered<'_, Column> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (c, order) = (self.0, self.1);
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("name", &c.name)?;
        m.serialize_entry("type", &c.sql_type)?;
        m.serialize_entry("primaryKey", &c.primary_key)?;
        m.serialize_entry("notNull", &c.not_null)?;
        if let Some(a) = c.autoincrement {
            m.serialize_entry("autoincrement", &a)?;
        }
        let generated = |m: &mut S::SerializeMap| -> Result<(), S::Error> {
            if let Some(g) = &c.generated {
                let v = if order == KeyOrder::Custom {
                    json!({"type": g.kind, "as": g.expr})
                } else {
                    json!({"as": g.expr, "type": g.kind})
                };
                m.serialize_entry("generated", &v)?;
            }
            Ok(())
        };
        if order == KeyOrder::Generated {
            generated(&mut m)?;
        }
        if let Some(d) = &c.default {
            m.serialize_entry("default", d)?;
        }
        if order == KeyOrder::Custom {
            generated(&mut m)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_writer_matches_the_value_writer() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/goldens/expected");
        for case in [
            "create_all_column_types",
            "create_generated_columns",
            "create_table_foreign_key",
            "create_expression_index",
        ] {
            let meta = dir.join(case).join("meta");
            let file = std::fs::read_dir(&meta)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with("_snapshot.json"))
                .unwrap();
            let snap = Snapshot::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            for order in [KeyOrder::Generated, KeyOrder::Custom] {
                assert_eq!(
                    snap.to_file_text(order),
                    crate::jsjson::stringify_pretty(&snap.to_value(order)),
                    "{case}"
                );
            }
        }
    }
}
