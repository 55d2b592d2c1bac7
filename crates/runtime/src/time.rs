//! Conversions between wire types (google.protobuf.Timestamp, aduan.common.v1.Date) and jiff.

use aduan_proto::common::v1 as pb;
use jiff::Timestamp;
use jiff::civil::Date;

/// A wire timestamp from a jiff timestamp.
pub fn to_proto(t: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.as_second(),
        nanos: t.subsec_nanosecond(),
    }
}

/// A jiff timestamp from a wire timestamp; None when out of range.
pub fn from_proto(t: &prost_types::Timestamp) -> Option<Timestamp> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    Timestamp::new(t.seconds, t.nanos).ok()
}

/// A wire date from a civil date.
pub fn date_to_proto(d: Date) -> pb::Date {
    pb::Date {
        year: d.year() as i32,
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// A civil date from a wire date; None when the date does not exist (30 February) or is out of range.
pub fn date_from_proto(d: &pb::Date) -> Option<Date> {
    let y = i16::try_from(d.year).ok()?;
    let m = i8::try_from(d.month).ok()?;
    let day = i8::try_from(d.day).ok()?;
    Date::new(y, m, day).ok()
}

/// Microseconds since the epoch (the storage form of time in both backends).
pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// Now, in microseconds since the epoch.
pub fn now_micros() -> i64 {
    to_micros(Timestamp::now())
}

/// A timestamp from microseconds since the epoch.
pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_dates_are_none() {
        assert!(
            date_from_proto(&pb::Date {
                year: 2026,
                month: 2,
                day: 30
            })
            .is_none()
        );
        assert!(
            date_from_proto(&pb::Date {
                year: 2024,
                month: 2,
                day: 29
            })
            .is_some()
        );
        assert!(
            date_from_proto(&pb::Date {
                year: 70000,
                month: 1,
                day: 1
            })
            .is_none()
        );
        assert!(
            from_proto(&prost_types::Timestamp {
                seconds: 0,
                nanos: -1
            })
            .is_none()
        );
        assert!(
            from_proto(&prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0
            })
            .is_none()
        );
    }
}
