//! JSON text exactly as JavaScript's `JSON.stringify` writes it, which is what drizzle-kit's
//! files contain.

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{PrettyFormatter, Serializer};

/// `JSON.stringify(v, null, 2)`: two-space indent, `{}`/`[]` for empty containers.
pub fn stringify_pretty(v: &Value) -> String {
    let mut out = Vec::with_capacity(4096);
    let mut ser = Serializer::with_formatter(&mut out, PrettyFormatter::with_indent(b"  "));
    v.serialize(&mut ser)
        .expect("serializing a JSON value to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// `JSON.stringify(v)`: compact.
pub fn stringify(v: &Value) -> String {
    serde_json::to_string(v).expect("serializing a JSON value to memory cannot fail")
}

/// A JavaScript number as `String(n)` prints it (`1e+21`, `0.1`, `-0` → `0`).
pub fn js_number_text(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    let mut buf = ryu_js::Buffer::new();
    buf.format(n).to_string()
}

/// A JSON number value carrying JavaScript's text for `n`.
pub fn js_number(n: f64) -> Value {
    let text = js_number_text(n);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pretty_matches_json_stringify() {
        let v = json!({"a": [], "b": {}, "c": [1, "x"], "d": {"e": true}});
        assert_eq!(
            stringify_pretty(&v),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    \"x\"\n  ],\n  \"d\": {\n    \"e\": true\n  }\n}"
        );
    }

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(js_number_text(1e21), "1e+21");
        assert_eq!(js_number_text(1.5), "1.5");
        assert_eq!(js_number_text(100.0), "100");
        assert_eq!(js_number_text(-0.0), "0");
        assert_eq!(js_number_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(stringify(&js_number(2.0)), "2");
    }

    #[test]
    fn control_characters_escape_like_javascript() {
        assert_eq!(stringify(&json!("a'\"\u{1}\n")), "\"a'\\\"\\u0001\\n\"");
    }
}
