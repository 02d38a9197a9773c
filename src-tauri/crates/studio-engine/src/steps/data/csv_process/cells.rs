//! Reading and writing single cells: numbers, dates, booleans, plain numbers from formatted
//! ones, snake_case column names.

use serde_json::Value;

/// A cell as a number, when it reads as one (spaces around it ignored; no infinities).
pub(super) fn number(cell: &str) -> Option<f64> {
    let t = cell.trim();
    if t.is_empty() || !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(super) fn is_integer(cell: &str) -> bool {
    cell.trim().parse::<i64>().is_ok()
}

/// `YYYY-MM-DD`, a real calendar day.
pub(super) fn is_date(cell: &str) -> bool {
    let t = cell.trim();
    let b = t.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()
}

/// RFC 3339 (`2024-05-01T10:00:00Z`) or `YYYY-MM-DD HH:MM[:SS[.f]]` (also with `T`).
pub(super) fn is_datetime(cell: &str) -> bool {
    let t = cell.trim();
    if t.len() < 16 || !t.get(..10).is_some_and(is_date) {
        return false;
    }
    chrono::DateTime::parse_from_rfc3339(t).is_ok()
        || [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .any(|f| chrono::NaiveDateTime::parse_from_str(t, f).is_ok())
}

/// true/false/yes/no/1/0 in any case.
pub(super) fn is_boolean(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "1" | "0"
    )
}

/// true/false/yes/no in any case (what `statistics` infers as boolean: 1 and 0 are integers).
pub(super) fn is_boolean_word(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no"
    )
}

/// Rounds away floating-point noise (10 decimals) for results computed from cells.
fn tidy(x: f64) -> f64 {
    if x.abs() < 1e15 {
        let r = (x * 1e10).round() / 1e10;
        if r == 0.0 {
            0.0
        } else {
            r
        }
    } else {
        x
    }
}

/// A computed number as a cell: no trailing `.0`, no noise (`30.3`, not `30.299999999999997`).
pub(super) fn format_number(x: f64) -> String {
    let x = tidy(x);
    if x.fract() == 0.0 && x.abs() < 9.007e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A computed number as JSON: a whole number when it is one.
pub(super) fn json_number(x: f64) -> Value {
    let x = tidy(x);
    if x.fract() == 0.0 && x.abs() < 9.007e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

const CURRENCIES: &[char] = &['$', '€', '£', '¥'];

/// A number written with thousands separators, a currency sign or accounting parentheses, as a
/// plain number (`1,234.50` → `1234.50`, `(€12)` → `-12`); `None` for any other cell (plain
/// numbers included: they are left as written).
pub(super) fn plain_number(cell: &str) -> Option<String> {
    let mut s = cell.trim();
    let mut negative = false;
    let mut marked = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        marked = true;
        s = inner.trim();
    }
    let sign = |s: &mut &str, negative: &mut bool| -> bool {
        if let Some(rest) = s.strip_prefix('-') {
            if *negative {
                return false;
            }
            *negative = true;
            *s = rest;
        } else if let Some(rest) = s.strip_prefix('+') {
            *s = rest;
        }
        true
    };
    if !sign(&mut s, &mut negative) {
        return None;
    }
    let mut currency = false;
    if let Some(rest) = s.strip_prefix(CURRENCIES) {
        s = rest.trim_start();
        currency = true;
        if !sign(&mut s, &mut negative) {
            return None;
        }
    } else if let Some(rest) = s.strip_suffix(CURRENCIES) {
        s = rest.trim_end();
        currency = true;
    }
    marked |= currency;
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let digits: String = if int.contains(',') {
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or_default();
        if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut digits = first.to_string();
        for g in groups {
            if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.push_str(g);
        }
        marked = true;
        digits
    } else {
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        int.to_string()
    };
    if !marked {
        return None;
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&digits);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

/// A column name in snake_case: lower case, `camelCase` split, every run of characters other
/// than letters and digits one `_`, none at either end (`Unit Price (EUR)` → `unit_price_eur`).
pub(super) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    let mut gap = false;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            gap = true;
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                gap = true;
            }
        }
        if gap && !out.is_empty() {
            out.push('_');
        }
        gap = false;
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dates_and_booleans_are_recognised() {
        assert_eq!(number(" 12.5 "), Some(12.5));
        assert_eq!(number("-3"), Some(-3.0));
        assert_eq!(number("1e3"), Some(1000.0));
        for not in ["", "abc", "inf", "NaN", "1,234", "12 kg"] {
            assert_eq!(number(not), None, "{not}");
        }
        assert!(is_integer("42") && !is_integer("4.2"));
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2024-2-1"));
        assert!(is_datetime("2024-05-01T10:00:00Z"));
        assert!(is_datetime("2024-05-01 10:00"));
        assert!(is_datetime("2024-05-01T10:00:00.250"));
        assert!(!is_datetime("2024-05-01") && !is_datetime("2024-05-01 25:00"));
        assert!(is_boolean("Yes") && is_boolean("0") && !is_boolean("maybe"));
        assert!(is_boolean_word("FALSE") && !is_boolean_word("1"));
    }

    #[test]
    fn computed_numbers_have_no_noise() {
        assert_eq!(format_number(10.1 + 20.2), "30.3");
        assert_eq!(format_number(300.0), "300");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(json_number(2.0), serde_json::json!(2));
        assert_eq!(json_number(0.1 + 0.2), serde_json::json!(0.3));
    }

    #[test]
    fn formatted_numbers_become_plain() {
        for (cell, plain) in [
            ("1,234.50", "1234.50"),
            ("$1,234", "1234"),
            ("€ 12", "12"),
            ("12€", "12"),
            ("(1,000.25)", "-1000.25"),
            ("(€12)", "-12"),
            ("-$5.00", "-5.00"),
            ("$-5", "-5"),
            ("1,234,567", "1234567"),
        ] {
            assert_eq!(plain_number(cell).as_deref(), Some(plain), "{cell}");
        }
        for cell in [
            "1234.50", "12,34", "1,2345", "abc", "", "$", "1,234.", "--5", "007",
        ] {
            assert_eq!(plain_number(cell), None, "{cell}");
        }
    }

    #[test]
    fn column_names_become_snake_case() {
        for (name, snake) in [
            ("Unit Price (EUR)", "unit_price_eur"),
            ("orderId", "order_id"),
            ("OrderID", "order_id"),
            ("HTTPServer", "http_server"),
            ("Q1Revenue", "q1_revenue"),
            ("  first-name ", "first_name"),
            ("already_snake", "already_snake"),
            ("address2", "address2"),
            ("Émission", "émission"),
            ("%%", ""),
        ] {
            assert_eq!(snake_case(name), snake, "{name}");
        }
    }
}
