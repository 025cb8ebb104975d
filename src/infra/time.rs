//! Calendar arithmetic for the gateway's RFC 3339 times, in integers: no
//! date crate, and no float formatting, in the bundle. A differential property
//! test holds it to the `time` crate (a dev-dependency).

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// How many days month `m` of year `y` has (February 29 in leap years).
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date of a day count from 1970-01-01: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the Unix epoch of an RFC 3339 timestamp, whatever its offset
/// (`Z`, `+00:00`, `+02:00`); fractions of a second are dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')))
    };
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if b.len() < 20 || seps.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let o = &rest.as_bytes()[1..];
            let digit = |i: usize| o[i].is_ascii_digit().then(|| i64::from(o[i] - b'0'));
            let (hours, minutes) = (digit(0)? * 10 + digit(1)?, digit(3)? * 10 + digit(4)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let minutes = hours * 60 + minutes;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60)
}

/// Seconds since the Unix epoch as RFC 3339 in UTC (`1970-01-01T00:00:00Z`).
pub fn iso(unix_secs: i64) -> String {
    let (y, mo, d) = civil_from_days(unix_secs.div_euclid(86_400));
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_is_the_inverse_of_parsing() {
        for secs in [0, -1, 951_782_400, 1_709_164_800, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&iso(secs)), Some(secs), "{}", iso(secs));
        }
        assert_eq!(iso(1_709_164_800), "2024-02-29T00:00:00Z");
    }

    mod against_the_time_crate {
        use super::*;
        use proptest::prelude::*;
        use time::format_description::well_known::Rfc3339;
        use time::OffsetDateTime;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(5000))]

            // Leap seconds (:60), lower-case t and z and a space for T are left out: RFC 3339
            // allows them, the time crate reads them its own way, the gateway sends none.
            #[test]
            fn reads_rfc3339_as_it_does(
                text in "[0-9]{4}-(0[0-9]|1[0-3])-([0-2][0-9]|3[0-2])T([01][0-9]|2[0-4]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-4]):[0-6][0-9])"
            ) {
                let theirs = OffsetDateTime::parse(&text, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp);
                prop_assert_eq!(parse_rfc3339(&text), theirs, "{}", text);
            }

            #[test]
            fn writes_iso_as_it_does(secs in -62_135_596_800i64..253_402_300_800) {
                let theirs = OffsetDateTime::from_unix_timestamp(secs)
                    .unwrap()
                    .format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
                    .unwrap();
                prop_assert_eq!(iso(secs), theirs);
                prop_assert_eq!(parse_rfc3339(&iso(secs)), Some(secs));
            }
        }

        #[test]
        fn impossible_dates_and_offsets_are_refused() {
            for bad in [
                "2026-02-29T00:00:00Z",
                "2026-02-31T00:00:00Z",
                "2026-04-31T00:00:00Z",
                "2026-01-01T00:00:00+24:00",
                "2026-01-01T00:00:00+01:60",
            ] {
                assert_eq!(parse_rfc3339(bad), None, "{bad}");
            }
            assert!(
                parse_rfc3339("2024-02-29T00:00:00Z").is_some(),
                "a leap day"
            );
        }
    }
}
