//! JSON text exactly as JavaScript's `JSON.stringify` writes it, which is what drizzle-kit's
//! files contain; and JavaScript's clock (`Date.now()`, `toISOString`), which they and the
//! platform's records use.

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

/// ISO 8601 dates (`2024-01-02`, `2024-01-02T03:04:05.678Z`) as epoch milliseconds (UTC).
pub fn parse_date(s: &str) -> Option<f64> {
    let (date, time) = s.split_once('T').unwrap_or((s, "00:00:00Z"));
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [y, mo, day] = d[..] else { return None };
    let time = time.trim_end_matches('Z');
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<i64> = hms
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (h, mi, sec) = (
        t.first().copied()?,
        t.get(1).copied().unwrap_or(0),
        t.get(2).copied().unwrap_or(0),
    );
    let ms: i64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((((days * 24 + h) * 60 + mi) * 60 + sec) as f64 * 1000.0 + ms as f64)
}

/// `Date.now()`: milliseconds since 1970 (0 on a clock set before it).
pub fn date_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A time in milliseconds since 1970 as JavaScript's `Date.prototype.toISOString` writes it
/// (UTC, milliseconds, `Z`).
pub fn iso_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        ms.rem_euclid(1000)
    )
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

    #[test]
    fn iso_dates_as_javascript_writes_them() {
        assert_eq!(iso_date(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_date(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
    }
}
