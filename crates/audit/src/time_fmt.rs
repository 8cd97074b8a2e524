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
    // Formatting a UTC time with a fixed description cannot fail for years 0..=9999; fall
    // back to RFC 3339 rather than panic outside that range.
    let t = normalize(t);
    t.format(FORMAT)
        .or_else(|_| t.format(&time::format_description::well_known::Rfc3339))
        .unwrap_or_default()
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
    fn fixed_width_utc_micros() {
        let t = datetime!(2026-11-21 17:09:05.123456789 +02:00);
        assert_eq!(format(t), "2026-11-21T15:09:05.123456Z");
        assert_eq!(
            format(datetime!(2026-01-02 03:04:05 UTC)),
            "2026-01-02T03:04:05.000000Z"
        );
        assert_eq!(parse("2026-11-21T15:09:05.123456Z").unwrap(), normalize(t));
        assert_eq!(
            parse("2026-11-21T17:09:05.5+02:00").unwrap(),
            datetime!(2026-11-21 15:09:05.5 UTC)
        );
    }
}
