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

/// A timestamp as the gateway sends it (RFC 3339), shown without the T and Z noise.
pub fn timestamp(rfc3339: &str) -> String {
    match rfc3339.split_once('T') {
        Some((date, time)) => format!(
            "{date} {} UTC",
            time.trim_end_matches('Z').split('.').next().unwrap_or(time)
        ),
        None => rfc3339.to_owned(),
    }
}

/// `value` with a fixed number of decimals. Integer arithmetic on purpose: the
/// standard exact-float formatter costs several KB of wasm for this one job.
pub fn fixed(value: f64, decimals: u32) -> String {
    let scale = 10u64.pow(decimals);
    let scaled = (value.abs() * scale as f64).round() as u64;
    let sign = if value < 0.0 && scaled != 0 { "-" } else { "" };
    if decimals == 0 {
        return format!("{sign}{scaled}");
    }
    format!(
        "{sign}{}.{:0width$}",
        scaled / scale,
        scaled % scale,
        width = decimals as usize
    )
}

/// A number as a person writes it: up to three decimals, no trailing zeros.
pub fn decimal(value: f64) -> String {
    let text = fixed(value, 3);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Bytes in the largest unit that keeps the number readable.
pub fn bytes(n: u64) -> String {
    match n {
        0..1_024 => format!("{n} B"),
        1_024..1_048_576 => format!("{} KiB", fixed(n as f64 / 1024.0, 1)),
        _ => format!("{} MiB", fixed(n as f64 / 1_048_576.0, 1)),
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
    fn timestamps_are_readable() {
        assert_eq!(timestamp("2000-01-01T12:00:42Z"), "2000-01-01 12:00:42 UTC");
        assert_eq!(timestamp("garbage"), "garbage");
    }

    #[test]
    fn fixed_rounds_like_the_formatter() {
        assert_eq!(fixed(1.0, 2), "1.00");
        assert_eq!(fixed(0.995, 2), "1.00");
        assert_eq!(fixed(12.345, 1), "12.3");
        assert_eq!(fixed(-2.5, 2), "-2.50");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(7.6, 0), "8");
        for x in [0.1, 1.25, 3.3333, 99.99, 100.0] {
            assert_eq!(fixed(x, 2), format!("{x:.2}"), "{x}");
        }
    }

    #[test]
    fn decimals_drop_trailing_zeros() {
        assert_eq!(decimal(0.1), "0.1");
        assert_eq!(decimal(100.0), "100");
        assert_eq!(decimal(-0.25), "-0.25");
        assert_eq!(decimal(0.0), "0");
    }

    #[test]
    fn bytes_pick_a_unit() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(176_128), "172.0 KiB");
        assert_eq!(bytes(5 * 1_048_576), "5.0 MiB");
    }

    #[test]
    fn integers_are_grouped() {
        assert_eq!(integer(1234567), "1\u{2009}234\u{2009}567");
        assert_eq!(integer(999), "999");
    }
}
