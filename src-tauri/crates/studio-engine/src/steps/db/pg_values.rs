//! PostgreSQL values to JSON and back, in the binary format tokio-postgres speaks.
//!
//! Read: booleans, integers and finite floats as JSON numbers and booleans; text types, enums
//! and `xml` as strings; `json`/`jsonb` as JSON values; `bytea` as base64; `numeric` as its exact
//! decimal text; `uuid`, `inet`/`cidr`, dates, times and timestamps (ISO 8601; `timestamptz` in
//! UTC with `Z`) and intervals (ISO 8601 durations) as text; arrays as lists; domains as their
//! base type. Any other type is refused with a hint to cast it to text in the query.
//!
//! Written (bound parameters): each JSON value converted to the type PostgreSQL inferred for its
//! placeholder; a string is parsed for numeric, boolean, uuid and date/time placeholders.

use base64::Engine as _;
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::{json, Value};
use std::error::Error;
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type};

type BoxError = Box<dyn Error + Sync + Send>;

/// One cell of a result row, as JSON.
pub(crate) struct Cell(pub Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        decode(ty, raw).map(Cell)
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Cell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn is_text_type(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::XML
    ) || matches!(ty.kind(), Kind::Enum(_))
        || matches!(ty.name(), "citext" | "ltree" | "lquery")
}

fn decode(ty: &Type, raw: &[u8]) -> Result<Value, BoxError> {
    if is_text_type(ty) {
        return Ok(Value::String(std::str::from_utf8(raw)?.to_string()));
    }
    match ty.kind() {
        Kind::Domain(base) => return decode(base, raw),
        Kind::Array(element) => return decode_array(element, raw),
        _ => {}
    }
    Ok(match *ty {
        Type::BOOL => json!(bool::from_sql(ty, raw)?),
        Type::INT2 => json!(i16::from_sql(ty, raw)?),
        Type::INT4 => json!(i32::from_sql(ty, raw)?),
        Type::INT8 => json!(i64::from_sql(ty, raw)?),
        Type::OID => json!(u32::from_sql(ty, raw)?),
        Type::FLOAT4 => float(f64::from(f32::from_sql(ty, raw)?)),
        Type::FLOAT8 => float(f64::from_sql(ty, raw)?),
        Type::NUMERIC => Value::String(numeric_to_text(raw)?),
        Type::CHAR => Value::String(char::from(*raw.first().unwrap_or(&0)).to_string()),
        Type::BYTEA => Value::String(base64::engine::general_purpose::STANDARD.encode(raw)),
        Type::JSON => serde_json::from_slice(raw)?,
        Type::JSONB => match raw.split_first() {
            Some((1, doc)) => serde_json::from_slice(doc)?,
            _ => return Err("unsupported jsonb version".into()),
        },
        Type::UUID => {
            let bytes: [u8; 16] = raw.try_into().map_err(|_| "a uuid has 16 bytes")?;
            Value::String(uuid::Uuid::from_bytes(bytes).hyphenated().to_string())
        }
        Type::DATE => match i32::from_sql(&Type::INT4, raw)? {
            i32::MAX => json!("infinity"),
            i32::MIN => json!("-infinity"),
            _ => json!(NaiveDate::from_sql(ty, raw)?.format("%Y-%m-%d").to_string()),
        },
        Type::TIME => json!(NaiveTime::from_sql(ty, raw)?.format("%H:%M:%S%.f").to_string()),
        Type::TIMESTAMP => match i64::from_sql(&Type::INT8, raw)? {
            i64::MAX => json!("infinity"),
            i64::MIN => json!("-infinity"),
            _ => json!(NaiveDateTime::from_sql(ty, raw)?
                .format("%Y-%m-%dT%H:%M:%S%.f")
                .to_string()),
        },
        Type::TIMESTAMPTZ => match i64::from_sql(&Type::INT8, raw)? {
            i64::MAX => json!("infinity"),
            i64::MIN => json!("-infinity"),
            _ => json!(DateTime::<Utc>::from_sql(ty, raw)?
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        },
        Type::INTERVAL => Value::String(interval_to_text(raw)?),
        Type::INET | Type::CIDR => Value::String(inet_to_text(raw)?),
        _ => {
            return Err(format!(
                "values of type `{}` are not read by sql_query; cast the column to text in the query (`column::text`)",
                ty.name()
            )
            .into())
        }
    })
}

/// A float as a JSON number, or its name when JSON has none (`NaN`, `Infinity`).
fn float(f: f64) -> Value {
    if f.is_finite() {
        json!(f)
    } else if f.is_nan() {
        json!("NaN")
    } else if f > 0.0 {
        json!("Infinity")
    } else {
        json!("-Infinity")
    }
}

fn take<'a>(raw: &mut &'a [u8], n: usize) -> Result<&'a [u8], BoxError> {
    if raw.len() < n {
        return Err("the value is shorter than its type says".into());
    }
    let (head, tail) = raw.split_at(n);
    *raw = tail;
    Ok(head)
}

fn read_i32(raw: &mut &[u8]) -> Result<i32, BoxError> {
    Ok(i32::from_be_bytes(take(raw, 4)?.try_into()?))
}

fn read_i16(raw: &mut &[u8]) -> Result<i16, BoxError> {
    Ok(i16::from_be_bytes(take(raw, 2)?.try_into()?))
}

/// Binary array: dimensions, a null flag, the element type, each dimension's length and lower
/// bound, then each element (a length, -1 for null, and its bytes) in row-major order.
fn decode_array(element: &Type, mut raw: &[u8]) -> Result<Value, BoxError> {
    let dimensions = read_i32(&mut raw)?;
    let _has_nulls = read_i32(&mut raw)?;
    let _element_oid = read_i32(&mut raw)?;
    let mut lengths = Vec::new();
    for _ in 0..dimensions.max(0) {
        lengths.push(usize::try_from(read_i32(&mut raw)?)?);
        let _lower_bound = read_i32(&mut raw)?;
    }
    let count: usize = if lengths.is_empty() {
        0
    } else {
        lengths.iter().product()
    };
    let mut flat = Vec::with_capacity(count.min(1 << 16));
    for _ in 0..count {
        let len = read_i32(&mut raw)?;
        flat.push(if len < 0 {
            Value::Null
        } else {
            decode(element, take(&mut raw, usize::try_from(len)?)?)?
        });
    }
    if lengths.is_empty() {
        return Ok(json!([]));
    }
    // Fold the flat list into nested lists, innermost dimension first.
    let mut values = flat;
    for len in lengths.iter().skip(1).rev() {
        values = values
            .chunks(*len)
            .map(|chunk| Value::Array(chunk.to_vec()))
            .collect();
    }
    Ok(Value::Array(values))
}

/// Binary numeric: digit count, weight (of the first base-10000 digit), sign, display scale,
/// then the base-10000 digits.
pub(crate) fn numeric_to_text(mut raw: &[u8]) -> Result<String, BoxError> {
    let ndigits = usize::try_from(read_i16(&mut raw)?)?;
    let weight = i32::from(read_i16(&mut raw)?);
    let sign = u16::from_be_bytes(take(&mut raw, 2)?.try_into()?);
    let dscale = usize::from(u16::from_be_bytes(take(&mut raw, 2)?.try_into()?));
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        0x0000 | 0x4000 => {}
        _ => return Err("invalid numeric sign".into()),
    }
    let mut digits = Vec::with_capacity(ndigits);
    for _ in 0..ndigits {
        digits.push(read_i16(&mut raw)?);
    }
    let digit = |i: i32| -> i16 {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(0)
    };
    let mut text = String::new();
    if sign == 0x4000 {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        text.push_str(&digit(0).to_string());
        for i in 1..=weight {
            text.push_str(&format!("{:04}", digit(i)));
        }
    }
    if dscale > 0 {
        text.push('.');
        let mut fraction = String::new();
        let mut i = weight + 1;
        while fraction.len() < dscale {
            fraction.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        fraction.truncate(dscale);
        text.push_str(&fraction);
    }
    Ok(text)
}

/// A decimal (`-12.50`, `1e3`, `NaN`, `Infinity`) in the binary numeric format.
pub(crate) fn text_to_numeric(text: &str, out: &mut BytesMut) -> Result<(), BoxError> {
    let t = text.trim();
    let special = match t.to_ascii_lowercase().as_str() {
        "nan" => Some(0xC000u16),
        "infinity" | "+infinity" | "inf" => Some(0xD000),
        "-infinity" | "-inf" => Some(0xF000),
        _ => None,
    };
    if let Some(sign) = special {
        out.put_i16(0);
        out.put_i16(0);
        out.put_u16(sign);
        out.put_u16(0);
        return Ok(());
    }
    let invalid = || -> BoxError { format!("`{text}` is not a decimal number").into() };
    let (negative, unsigned) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (
            &unsigned[..i],
            unsigned[i + 1..].parse::<i32>().map_err(|_| invalid())?,
        ),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    // All digits, and where the decimal point falls among them.
    let mut all: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let point = i64::try_from(int_part.len())? + i64::from(exponent);
    let scale = (i64::try_from(all.len())? - point).max(0);
    if point > 4 * 32767 || scale > 16383 {
        return Err(format!("`{text}` is out of the numeric range").into());
    }
    // Pad so that the point falls on a base-10000 boundary and the digits fill whole groups.
    let mut point = point;
    if point < 0 {
        all.splice(0..0, std::iter::repeat_n(0, usize::try_from(-point)?));
        point = 0;
    }
    while point % 4 != 0 {
        all.insert(0, 0);
        point += 1;
    }
    let int_len = usize::try_from(point)?;
    while all.len() < int_len || !(all.len() - int_len).is_multiple_of(4) {
        all.push(0);
    }
    let mut groups: Vec<i16> = all
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + i16::from(*d)))
        .collect();
    let mut weight = i32::try_from(int_len / 4)? - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    out.put_i16(i16::try_from(groups.len())?);
    out.put_i16(i16::try_from(weight)?);
    out.put_u16(if negative && !groups.is_empty() {
        0x4000
    } else {
        0
    });
    out.put_u16(u16::try_from(scale)?);
    for g in groups {
        out.put_i16(g);
    }
    Ok(())
}

/// Binary interval: microseconds, days, months → an ISO 8601 duration (`P1Y2M3DT4H5M6.5S`).
fn interval_to_text(mut raw: &[u8]) -> Result<String, BoxError> {
    let micros = i64::from_be_bytes(take(&mut raw, 8)?.try_into()?);
    let days = read_i32(&mut raw)?;
    let months = read_i32(&mut raw)?;
    let mut text = String::from("P");
    let (years, months) = (months / 12, months % 12);
    for (n, unit) in [(years, 'Y'), (months, 'M'), (days, 'D')] {
        if n != 0 {
            text.push_str(&format!("{n}{unit}"));
        }
    }
    if micros != 0 {
        text.push('T');
        let (hours, rest) = (micros / 3_600_000_000, micros % 3_600_000_000);
        let (minutes, rest) = (rest / 60_000_000, rest % 60_000_000);
        if hours != 0 {
            text.push_str(&format!("{hours}H"));
        }
        if minutes != 0 {
            text.push_str(&format!("{minutes}M"));
        }
        if rest != 0 {
            let seconds = format!("{}", rest as f64 / 1e6);
            text.push_str(&format!("{seconds}S"));
        }
    }
    if text == "P" {
        text.push_str("T0S");
    }
    Ok(text)
}

/// Binary inet/cidr: family, prefix bits, is-cidr, address length, address.
fn inet_to_text(mut raw: &[u8]) -> Result<String, BoxError> {
    let head = take(&mut raw, 4)?;
    let (bits, len) = (head[1], usize::from(head[3]));
    let addr = take(&mut raw, len)?;
    let ip: std::net::IpAddr = match len {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(addr)?).into(),
        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(addr)?).into(),
        _ => return Err("invalid inet address length".into()),
    };
    let full = if ip.is_ipv4() { 32 } else { 128 };
    Ok(if bits == full && head[2] == 0 {
        ip.to_string()
    } else {
        format!("{ip}/{bits}")
    })
}

/// A bound parameter: a JSON value sent as the placeholder's type.
#[derive(Debug)]
pub(crate) struct Param<'a>(pub &'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        encode(self.0, ty, out)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// The value as text: strings as they are, anything else as JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn encode(v: &Value, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if v.is_null() {
        return Ok(IsNull::Yes);
    }
    if is_text_type(ty) {
        out.put_slice(text_of(v).as_bytes());
        return Ok(IsNull::No);
    }
    match ty.kind() {
        Kind::Domain(base) => return encode(v, base, out),
        Kind::Array(element) => return encode_array(v, element, out),
        _ => {}
    }
    let wrong =
        || -> BoxError { format!("{} cannot be sent as `{}`", describe(v), ty.name()).into() };
    match *ty {
        Type::BOOL => match v {
            Value::Bool(b) => b.to_sql(ty, out),
            Value::String(s) if matches!(s.as_str(), "true" | "false") => (s == "true").to_sql(ty, out),
            _ => Err(wrong()),
        },
        Type::INT2 => fits::<i16>(v, ty)?.to_sql(ty, out),
        Type::INT4 => fits::<i32>(v, ty)?.to_sql(ty, out),
        Type::INT8 => fits::<i64>(v, ty)?.to_sql(ty, out),
        Type::OID => fits::<u32>(v, ty)?.to_sql(ty, out),
        Type::FLOAT4 => (number(v).ok_or_else(wrong)? as f32).to_sql(ty, out),
        Type::FLOAT8 => number(v).ok_or_else(wrong)?.to_sql(ty, out),
        Type::NUMERIC => match v {
            Value::Number(_) | Value::String(_) => {
                text_to_numeric(&text_of(v), out)?;
                Ok(IsNull::No)
            }
            _ => Err(wrong()),
        },
        Type::BYTEA => {
            out.put_slice(text_of(v).as_bytes());
            Ok(IsNull::No)
        }
        Type::JSON | Type::JSONB => {
            let doc = match v {
                Value::String(s) => {
                    serde_json::from_str::<Value>(s)
                        .map_err(|e| format!("the text for `{}` is not JSON: {e}", ty.name()))?;
                    s.clone()
                }
                other => other.to_string(),
            };
            if *ty == Type::JSONB {
                out.put_u8(1);
            }
            out.put_slice(doc.as_bytes());
            Ok(IsNull::No)
        }
        Type::UUID => {
            let id = uuid::Uuid::parse_str(v.as_str().ok_or_else(wrong)?)?;
            out.put_slice(id.as_bytes());
            Ok(IsNull::No)
        }
        Type::DATE => parse_date(v.as_str().ok_or_else(wrong)?)?.to_sql(ty, out),
        Type::TIME => NaiveTime::parse_from_str(v.as_str().ok_or_else(wrong)?, "%H:%M:%S%.f")?
            .to_sql(ty, out),
        Type::TIMESTAMP => parse_timestamp(v.as_str().ok_or_else(wrong)?)?.to_sql(ty, out),
        Type::TIMESTAMPTZ => parse_timestamptz(v.as_str().ok_or_else(wrong)?)?.to_sql(ty, out),
        _ => Err(format!(
            "placeholders of type `{}` are not sent by sql_query; cast the placeholder in the query (`$n::text::{}`)",
            ty.name(),
            ty.name()
        )
        .into()),
    }
}

fn encode_array(v: &Value, element: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    let Value::Array(items) = v else {
        return Err(format!(
            "{} cannot be sent as an array of `{}`",
            describe(v),
            element.name()
        )
        .into());
    };
    out.put_i32(1);
    out.put_i32(i32::from(items.iter().any(Value::is_null)));
    out.put_u32(element.oid());
    out.put_i32(i32::try_from(items.len())?);
    out.put_i32(1);
    for item in items {
        let at = out.len();
        out.put_i32(0);
        match encode(item, element, out)? {
            IsNull::Yes => out[at..at + 4].copy_from_slice(&(-1i32).to_be_bytes()),
            IsNull::No => {
                let len = i32::try_from(out.len() - at - 4)?;
                out[at..at + 4].copy_from_slice(&len.to_be_bytes());
            }
        }
    }
    Ok(IsNull::No)
}

/// A whole number for an integer placeholder, refused when it is not one or does not fit.
fn fits<T: TryFrom<i64>>(v: &Value, ty: &Type) -> Result<T, BoxError> {
    let n = integer(v).ok_or_else(|| -> BoxError {
        format!(
            "{} cannot be sent as `{}` (a whole number)",
            describe(v),
            ty.name()
        )
        .into()
    })?;
    T::try_from(n).map_err(|_| format!("{n} does not fit in `{}`", ty.name()).into())
}

fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, BoxError> {
    Ok(NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")?)
}

fn parse_timestamp(s: &str) -> Result<NaiveDateTime, BoxError> {
    let s = s.trim();
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t);
        }
    }
    Ok(parse_date(s)?.and_time(NaiveTime::MIN))
}

fn parse_timestamptz(s: &str) -> Result<DateTime<Utc>, BoxError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Ok(t.with_timezone(&Utc));
    }
    // Without an offset: taken as UTC.
    Ok(parse_timestamp(s)?.and_utc())
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let mut buf = BytesMut::new();
        text_to_numeric(text, &mut buf).unwrap();
        numeric_to_text(&buf).unwrap()
    }

    #[test]
    fn numerics_round_trip_exactly() {
        for (given, back) in [
            ("0", "0"),
            ("12.50", "12.50"),
            ("-12.5", "-12.5"),
            ("123456789.000123", "123456789.000123"),
            ("0.0001", "0.0001"),
            ("0.00001", "0.00001"),
            ("10000", "10000"),
            ("1e3", "1000"),
            ("1.5E-3", "0.0015"),
            ("-0.000", "0.000"),
            ("99999999999999999999.99", "99999999999999999999.99"),
            ("NaN", "NaN"),
            ("-Infinity", "-Infinity"),
        ] {
            assert_eq!(round_trip(given), back, "{given}");
        }
        assert!(text_to_numeric("12a", &mut BytesMut::new()).is_err());
        assert!(text_to_numeric("", &mut BytesMut::new()).is_err());
        assert!(text_to_numeric(".", &mut BytesMut::new()).is_err());
    }
}
