//! The one time format of the trail: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (RFC 3339, UTC, always six
//! fractional digits). Fixed width, so stored times sort and compare as plain strings.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// UTC, truncated to the microsecond, so a time survives a round trip through its text form.
pub fn normalize(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let micros = t.microsecond();
    t.replace_nanosecond(micros * 1000).unwrap_or(t)
}

/// Formats `t` in the trail's format.
pub fn format(t: OffsetDateTime) -> String {
    let t = normalize(t);
    // Written digit by digit: this runs for every record on the commit path, and the generic
    // formatter costs several times more. Same text as `FORMAT` for years 0..=9999.
    if let Ok(year) = u32::try_from(t.year()) {
        if year <= 9999 {
            let mut out = String::with_capacity(27);
            push_digits(&mut out, year, 4);
            out.push('-');
            push_digits(&mut out, u32::from(u8::from(t.month())), 2);
            out.push('-');
            push_digits(&mut out, u32::from(t.day()), 2);
            out.push('T');
            push_digits(&mut out, u32::from(t.hour()), 2);
            out.push(':');
            push_digits(&mut out, u32::from(t.minute()), 2);
            out.push(':');
            push_digits(&mut out, u32::from(t.second()), 2);
            out.push('.');
            push_digits(&mut out, t.microsecond(), 6);
            out.push('Z');
            return out;
        }
    }
    // Outside 0..=9999 the fixed description cannot format: RFC 3339 rather than a panic.
    t.format(FORMAT)
        .or_else(|_| t.format(&time::format_description::well_known::Rfc3339))
        .unwrap_or_default()
}

/// Appends `v` as exactly `width` decimal digits (zero-padded; higher digits dropped).
fn push_digits(out: &mut String, v: u32, width: u32) {
    let mut div = 10u32.pow(width.saturating_sub(1));
    while div > 0 {
        out.push(char::from(b'0' + ((v / div) % 10) as u8));
        div /= 10;
    }
}

/// Parses the trail's format, or any RFC 3339 date-time (normalized to UTC).
pub fn parse(s: &str) -> Result<OffsetDateTime, time::error::Parse> {
    match PrimitiveDateTime::parse(s, FORMAT) {
        Ok(p) => Ok(p.assume_utc()),
        Err(_) => {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map(normalize)
        }
    }
}

pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*t))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    let s = String::deserialize(d)?;
    parse(&s).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn digit_formatter_matches_the_format_description() {
        // Spread over years 0..=9999 and every field's range.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 315_537_897_600) as i64 - 62_167_219_200; // 0000-01-01 ..= 9999-12-31
            let nanos = (x >> 20) % 1_000_000_000;
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap()
                + time::Duration::nanoseconds(nanos as i64);
            let want = normalize(t).format(FORMAT).unwrap();
            assert_eq!(format(t), want);
        }
    }

    #[test]
    fn fixed_width_utc_micros() {
        let t = datetime!(2026-11-21 17:09:05.123456789 +02:00);
        assert_eq!(format(t), "2026-11-21T15:09:05.123456Z");
        assert_eq!(
            format(datetime!(2026-01-02 03:04:05 UTC)),
            "2026-01-02T03:04:05.000000Z"
        );
        assert_eq!(parse("2026-11-21T15:09:05.123456Z").unwrap(), normalize(t));
        assert_eq!(
            format(datetime!(0001-12-31 23:59:59.000001 UTC)),
            "0001-12-31T23:59:59.000001Z"
        );
        assert_eq!(
            parse("2026-11-21T17:09:05.5+02:00").unwrap(),
            datetime!(2026-11-21 15:09:05.5 UTC)
        );
    }
}
