//! The part of JavaScript's standard library that schema files use, evaluated statically:
//! `Object`, `Math`, `JSON`, `Number`/`String`/`Boolean`, string and array methods. Values
//! that depend on when the generator runs (`Date.now()`, `new Date()`, `Math.random()`,
//! `crypto.randomUUID()`, uuid / cuid2 / nanoid / ulid ids) are made as drizzle-kit would make
//! them — and recorded, so `db generate` can keep the value a snapshot already holds and say so.

use std::rc::Rc;

use anyhow::Result;
use indexmap::IndexMap;
use swc_core::common::Span;

use super::eval::{Evaluator, to_js_string};
use super::value::Val;
use crate::source::SourceModule;

/// Functions of packages that make a new value on every call, as builtins: (package, export,
/// builtin name).
pub const GENERATORS: &[(&str, &str, &str)] = &[
    ("uuid", "v1", "gen:uuid"),
    ("uuid", "v4", "gen:uuid"),
    ("uuid", "v6", "gen:uuid"),
    ("uuid", "v7", "gen:uuid"),
    ("@paralleldrive/cuid2", "createId", "gen:cuid2"),
    ("cuid", "default", "gen:cuid"),
    ("nanoid", "nanoid", "gen:nanoid"),
    ("ulid", "ulid", "gen:ulid"),
    ("ulidx", "ulid", "gen:ulid"),
    ("crypto", "randomUUID", "gen:uuid"),
    ("node:crypto", "randomUUID", "gen:uuid"),
];

/// The builtin a package export stands for, when it is a generator.
pub fn generator(spec: &str, name: &str) -> Option<&'static str> {
    GENERATORS
        .iter()
        .find(|(p, n, _)| *p == spec && *n == name)
        .map(|(_, _, b)| *b)
}

/// Globals a schema file may name. Others (`process`, `globalThis`, ...) are opaque: fine
/// unless a table needs their value.
pub fn global(name: &str) -> Option<Val> {
    Some(match name {
        "undefined" => Val::Undefined,
        "NaN" => Val::Num(f64::NAN),
        "Infinity" => Val::Num(f64::INFINITY),
        "Object" => Val::Builtin("Object"),
        "Date" => Val::Builtin("Date"),
        "JSON" => Val::Builtin("JSON"),
        "Math" => Val::Builtin("Math"),
        "String" => Val::Builtin("String"),
        "Number" => Val::Builtin("Number"),
        "Boolean" => Val::Builtin("Boolean"),
        "BigInt" => Val::Builtin("BigInt"),
        "Array" => Val::Builtin("Array"),
        "crypto" => Val::Builtin("crypto"),
        _ => return None,
    })
}

fn err(ev: &Evaluator, m: &SourceModule, span: Span, msg: impl Into<String>) -> anyhow::Error {
    ev.error(m, span, msg)
}

fn num(args: &[Val], i: usize) -> Option<f64> {
    match args.get(i) {
        Some(Val::Num(n)) => Some(*n),
        _ => None,
    }
}

fn now_ms() -> f64 {
    crate::jsjson::date_now() as f64
}

/// A value made when the generator runs, recorded on the evaluator.
fn volatile(ev: &mut Evaluator, m: &Rc<SourceModule>, span: Span, what: &str, v: Val) -> Val {
    ev.volatile.push(super::eval::Volatile {
        origin: Evaluator::origin(m, span),
        what: what.to_string(),
    });
    v
}

/// `new Date(...)`; without arguments, the time of the run.
pub fn new_date(ev: &mut Evaluator, m: &Rc<SourceModule>, span: Span, args: &[Val]) -> Result<Val> {
    if args.is_empty() {
        return Ok(volatile(ev, m, span, "new Date()", Val::Date(now_ms())));
    }
    super::drizzle::new_date(ev, m, span, args)
}

/// A call of a global or generator builtin (`Number(x)`, `v4()`), or None when `name` is not one.
pub fn call_global(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    name: &str,
    args: &[Val],
    span: Span,
) -> Option<Result<Val>> {
    let first = args.first().cloned().unwrap_or(Val::Undefined);
    Some(Ok(match name {
        "String" => match to_js_string(&first) {
            Some(s) => Val::Str(s),
            None => {
                return Some(Err(err(
                    ev,
                    m,
                    span,
                    format!("String() of {}", first.type_name()),
                )));
            }
        },
        "Number" => Val::Num(match &first {
            Val::Num(n) => *n,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
            Val::Date(ms) => *ms,
            Val::Null => 0.0,
            _ => f64::NAN,
        }),
        "Boolean" => Val::Bool(first.truthy()),
        "gen:uuid" => {
            let id = uuid::Uuid::new_v4().to_string();
            volatile(ev, m, span, "a random UUID", Val::Str(id))
        }
        "gen:cuid2" => {
            let id = crate::random::string(b"abcdefghijklmnopqrstuvwxyz", 1)
                + &crate::random::string(b"abcdefghijklmnopqrstuvwxyz0123456789", 23);
            volatile(ev, m, span, "createId()", Val::Str(id))
        }
        "gen:cuid" => {
            let id = "c".to_string()
                + &crate::random::string(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
            volatile(ev, m, span, "cuid()", Val::Str(id))
        }
        "gen:nanoid" => {
            let len = num(args, 0).map_or(21, |n| n as usize).min(256);
            let id = crate::random::string(
                b"useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict",
                len,
            );
            volatile(ev, m, span, "nanoid()", Val::Str(id))
        }
        "gen:ulid" => {
            let id = crate::random::string(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", 26);
            volatile(ev, m, span, "ulid()", Val::Str(id))
        }
        _ => return None,
    }))
}

/// `recv.method(args)` for standard-library receivers, or None when `recv` is not one.
pub fn call_method(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    recv: &Val,
    method: &str,
    args: &[Val],
    span: Span,
) -> Option<Result<Val>> {
    let out = match recv {
        Val::Builtin("Object") => object(method, args),
        Val::Builtin("Math") => {
            if method == "random" {
                let r: f64 = rand::random();
                return Some(Ok(volatile(ev, m, span, "Math.random()", Val::Num(r))));
            }
            math(method, args)
        }
        Val::Builtin("Date") if method == "now" => {
            return Some(Ok(volatile(ev, m, span, "Date.now()", Val::Num(now_ms()))));
        }
        Val::Builtin("crypto") if method == "randomUUID" => {
            let id = uuid::Uuid::new_v4().to_string();
            return Some(Ok(volatile(
                ev,
                m,
                span,
                "crypto.randomUUID()",
                Val::Str(id),
            )));
        }
        Val::Builtin("Number") => match method {
            "parseInt" => args.first().and_then(to_js_string).map(|s| {
                let digits: String = s
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '-')
                    .collect();
                Val::Num(digits.parse::<f64>().unwrap_or(f64::NAN))
            }),
            "parseFloat" => args
                .first()
                .and_then(to_js_string)
                .map(|s| Val::Num(s.trim().parse().unwrap_or(f64::NAN))),
            "isInteger" => Some(Val::Bool(num(args, 0).is_some_and(|n| n.fract() == 0.0))),
            _ => None,
        },
        Val::Builtin("JSON") if method == "stringify" => args
            .first()
            .and_then(super::drizzle::plain_json)
            .map(|j| Val::Str(crate::jsjson::stringify(&j))),
        Val::Builtin("Array") if method == "from" || method == "of" => match (method, args.first())
        {
            ("from", Some(Val::Array(a))) => Some(Val::Array(a.clone())),
            ("from", Some(Val::Str(s))) => Some(Val::Array(Rc::new(
                s.chars().map(|c| Val::Str(c.to_string())).collect(),
            ))),
            ("of", _) => Some(Val::Array(Rc::new(args.to_vec()))),
            _ => None,
        },
        Val::Str(s) => string(s, method, args),
        Val::Array(a) => return array(ev, m, a, method, args, span),
        _ => return None,
    };
    Some(out.ok_or_else(|| {
        let what = match recv {
            Val::Builtin(g) => format!("`{g}.{method}()` with these arguments"),
            other => format!("`.{method}()` on {} with these arguments", other.type_name()),
        };
        err(ev, m, span, format!("{what} is not evaluated by the schema reader; compute the value in a constant it can read (literals, arithmetic, string and array methods)"))
    }))
}

fn object(method: &str, args: &[Val]) -> Option<Val> {
    let first = args.first()?;
    Some(match (method, first) {
        ("values", Val::Object(o)) => Val::Array(Rc::new(o.values().cloned().collect())),
        ("keys", Val::Object(o)) => {
            Val::Array(Rc::new(o.keys().map(|k| Val::Str(k.clone())).collect()))
        }
        ("entries", Val::Object(o)) => Val::Array(Rc::new(
            o.iter()
                .map(|(k, v)| Val::Array(Rc::new(vec![Val::Str(k.clone()), v.clone()])))
                .collect(),
        )),
        ("values", Val::Array(a)) => Val::Array(a.clone()),
        ("keys", Val::Array(a)) => Val::Array(Rc::new(
            (0..a.len()).map(|i| Val::Str(i.to_string())).collect(),
        )),
        ("assign", _) => {
            let mut out = IndexMap::new();
            for a in args {
                if let Val::Object(o) = a {
                    out.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            Val::Object(Rc::new(out))
        }
        ("freeze", v) => v.clone(),
        ("fromEntries", Val::Array(entries)) => {
            let mut out = IndexMap::new();
            for e in entries.iter() {
                let Val::Array(pair) = e else { return None };
                out.insert(
                    to_js_string(pair.first()?)?,
                    pair.get(1).cloned().unwrap_or(Val::Undefined),
                );
            }
            Val::Object(Rc::new(out))
        }
        _ => return None,
    })
}

fn math(method: &str, args: &[Val]) -> Option<Val> {
    let nums: Option<Vec<f64>> = args
        .iter()
        .map(|a| if let Val::Num(n) = a { Some(*n) } else { None })
        .collect();
    let nums = nums?;
    let x = nums.first().copied().unwrap_or(f64::NAN);
    Some(Val::Num(match method {
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        // JavaScript rounds halves up (towards +∞).
        "round" => (x + 0.5).floor(),
        "trunc" => x.trunc(),
        "abs" => x.abs(),
        "sign" => {
            if x == 0.0 {
                x
            } else {
                x.signum()
            }
        }
        "sqrt" => x.sqrt(),
        "pow" => x.powf(nums.get(1).copied().unwrap_or(f64::NAN)),
        "max" => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "min" => nums.iter().copied().fold(f64::INFINITY, f64::min),
        _ => return None,
    }))
}

fn string(s: &str, method: &str, args: &[Val]) -> Option<Val> {
    let arg = |i: usize| args.get(i).and_then(to_js_string);
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    // A relative index (negative counts from the end), clamped as String.prototype.slice does.
    let at = |v: Option<f64>, default: i64| -> usize {
        let i = v.map_or(default, |n| n as i64);
        (if i < 0 { (len + i).max(0) } else { i.min(len) }) as usize
    };
    Some(match method {
        "toLowerCase" | "toLocaleLowerCase" => Val::Str(s.to_lowercase()),
        "toUpperCase" | "toLocaleUpperCase" => Val::Str(s.to_uppercase()),
        "trim" => Val::Str(s.trim().to_string()),
        "trimStart" => Val::Str(s.trim_start().to_string()),
        "trimEnd" => Val::Str(s.trim_end().to_string()),
        "toString" | "valueOf" => Val::Str(s.to_string()),
        "replace" => Val::Str(s.replacen(&arg(0)?, &arg(1)?, 1)),
        "replaceAll" => Val::Str(s.replace(&arg(0)?, &arg(1)?)),
        "slice" => {
            let (a, b) = (at(num(args, 0), 0), at(num(args, 1), len));
            Val::Str(if a < b {
                chars[a..b].iter().collect()
            } else {
                String::new()
            })
        }
        "substring" => {
            let clamp = |v: Option<f64>, d: i64| v.map_or(d, |n| (n as i64).clamp(0, len)) as usize;
            let (a, b) = (clamp(num(args, 0), 0), clamp(num(args, 1), len));
            let (a, b) = (a.min(b), a.max(b));
            Val::Str(chars[a..b].iter().collect())
        }
        "split" => {
            let sep = arg(0)?;
            let parts: Vec<Val> = if sep.is_empty() {
                chars.iter().map(|c| Val::Str(c.to_string())).collect()
            } else {
                s.split(sep.as_str())
                    .map(|p| Val::Str(p.to_string()))
                    .collect()
            };
            Val::Array(Rc::new(parts))
        }
        "startsWith" => Val::Bool(s.starts_with(arg(0)?.as_str())),
        "endsWith" => Val::Bool(s.ends_with(arg(0)?.as_str())),
        "includes" => Val::Bool(s.contains(arg(0)?.as_str())),
        "indexOf" => Val::Num(
            s.find(arg(0)?.as_str())
                .map_or(-1.0, |b| s[..b].chars().count() as f64),
        ),
        "repeat" => Val::Str(s.repeat(num(args, 0)?.max(0.0) as usize)),
        "concat" => Val::Str(
            args.iter()
                .map(to_js_string)
                .collect::<Option<Vec<_>>>()?
                .iter()
                .fold(s.to_string(), |a, b| a + b),
        ),
        "padStart" | "padEnd" => {
            let width = num(args, 0)? as usize;
            let fill = arg(1).unwrap_or_else(|| " ".into());
            if chars.len() >= width || fill.is_empty() {
                Val::Str(s.to_string())
            } else {
                let pad: String = fill.chars().cycle().take(width - chars.len()).collect();
                Val::Str(if method == "padStart" {
                    pad + s
                } else {
                    s.to_string() + &pad
                })
            }
        }
        "charAt" | "at" => {
            let i = num(args, 0).unwrap_or(0.0) as i64;
            let i = if method == "at" && i < 0 { len + i } else { i };
            Val::Str(
                chars
                    .get(usize::try_from(i).ok()?)
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            )
        }
        _ => return None,
    })
}

fn array(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    a: &Rc<Vec<Val>>,
    method: &str,
    args: &[Val],
    span: Span,
) -> Option<Result<Val>> {
    let callback = |ev: &mut Evaluator, item: &Val, i: usize| -> Result<Val> {
        match args.first() {
            Some(Val::Func(f)) => ev.invoke(f, vec![item.clone(), Val::Num(i as f64)]),
            _ => Err(err(ev, m, span, format!("`.{method}` needs a function"))),
        }
    };
    let result = (|| -> Result<Option<Val>> {
        Ok(Some(match method {
            "map" => {
                let mut out = vec![];
                for (i, item) in a.iter().enumerate() {
                    out.push(callback(ev, item, i)?);
                }
                Val::Array(Rc::new(out))
            }
            "filter" => {
                let mut out = vec![];
                for (i, item) in a.iter().enumerate() {
                    if callback(ev, item, i)?.truthy() {
                        out.push(item.clone());
                    }
                }
                Val::Array(Rc::new(out))
            }
            "find" => {
                for (i, item) in a.iter().enumerate() {
                    if callback(ev, item, i)?.truthy() {
                        return Ok(Some(item.clone()));
                    }
                }
                Val::Undefined
            }
            "flat" => {
                let mut out = vec![];
                for item in a.iter() {
                    match item {
                        Val::Array(inner) => out.extend(inner.iter().cloned()),
                        v => out.push(v.clone()),
                    }
                }
                Val::Array(Rc::new(out))
            }
            "concat" => {
                let mut out: Vec<Val> = a.to_vec();
                for x in args {
                    match x {
                        Val::Array(inner) => out.extend(inner.iter().cloned()),
                        v => out.push(v.clone()),
                    }
                }
                Val::Array(Rc::new(out))
            }
            "join" => {
                let sep = args
                    .first()
                    .and_then(to_js_string)
                    .unwrap_or_else(|| ",".into());
                let parts: Option<Vec<String>> = a
                    .iter()
                    .map(|v| {
                        if matches!(v, Val::Undefined | Val::Null) {
                            Some(String::new())
                        } else {
                            to_js_string(v)
                        }
                    })
                    .collect();
                match parts {
                    Some(p) => Val::Str(p.join(&sep)),
                    None => return Ok(None),
                }
            }
            "includes" | "indexOf" => {
                let needle = args.first().cloned().unwrap_or(Val::Undefined);
                let found = a.iter().position(|v| same(v, &needle));
                if method == "includes" {
                    Val::Bool(found.is_some())
                } else {
                    Val::Num(found.map_or(-1.0, |i| i as f64))
                }
            }
            "slice" => {
                let len = a.len() as i64;
                let at = |v: Option<f64>, d: i64| {
                    let i = v.map_or(d, |n| n as i64);
                    (if i < 0 { (len + i).max(0) } else { i.min(len) }) as usize
                };
                let (s, e) = (at(num(args, 0), 0), at(num(args, 1), len));
                Val::Array(Rc::new(if s < e { a[s..e].to_vec() } else { vec![] }))
            }
            "reverse" | "toReversed" => Val::Array(Rc::new(a.iter().rev().cloned().collect())),
            _ => return Ok(None),
        }))
    })();
    match result {
        Ok(Some(v)) => Some(Ok(v)),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

/// `===` on primitives.
fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Null, Val::Null) | (Val::Undefined, Val::Undefined) => true,
        _ => false,
    }
}
