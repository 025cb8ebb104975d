//! Pure formatting helpers shared by the pages.

/// "1 h 05 min", "4 min 09 s", "12 s": how long until something happens.
pub fn remaining(ms: f64) -> String {
    let secs = (ms / 1000.0).max(0.0).floor() as u64;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

/// Game time as the gateway sends it (RFC 3339), shown without the T and Z noise.
pub fn game_time(rfc3339: &str) -> String {
    match rfc3339.split_once('T') {
        Some((date, time)) => format!(
            "{date} {} UTC",
            time.trim_end_matches('Z').split('.').next().unwrap_or(time)
        ),
        None => rfc3339.to_owned(),
    }
}

/// Thousands separated by thin spaces, which read well in dense tables.
pub fn integer(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_picks_the_two_largest_units() {
        assert_eq!(remaining(3_900_000.0), "1 h 05 min");
        assert_eq!(remaining(249_000.0), "4 min 09 s");
        assert_eq!(remaining(12_500.0), "12 s");
        assert_eq!(remaining(-5.0), "0 s");
    }

    #[test]
    fn game_time_is_readable() {
        assert_eq!(game_time("2000-01-01T12:00:42Z"), "2000-01-01 12:00:42 UTC");
        assert_eq!(game_time("garbage"), "garbage");
    }

    #[test]
    fn integers_are_grouped() {
        assert_eq!(integer(1234567), "1\u{2009}234\u{2009}567");
        assert_eq!(integer(999), "999");
    }
}
