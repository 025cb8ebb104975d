//! Pure formatting helpers shared by the pages.

use crate::infra::time::civil_from_days;
pub use crate::infra::time::parse_rfc3339;

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

/// `unix_secs` as wall-clock time `offset_minutes` east of UTC, with that offset named.
pub fn wall_clock(unix_secs: i64, offset_minutes: i64) -> String {
    let local = unix_secs + offset_minutes * 60;
    let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let zone = match offset_minutes {
        0 => "UTC".to_owned(),
        o => format!(
            "UTC{}{:02}:{:02}",
            if o < 0 { '-' } else { '+' },
            o.abs() / 60,
            o.abs() % 60
        ),
    };
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} {zone}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The operator's offset from UTC at that moment (daylight saving included).
#[cfg(target_arch = "wasm32")]
pub fn local_offset_minutes(unix_secs: i64) -> i64 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_secs as f64 * 1000.0));
    -(date.get_timezone_offset() as i64)
}

#[cfg(not(target_arch = "wasm32"))]
pub fn local_offset_minutes(_unix_secs: i64) -> i64 {
    0
}

/// A timestamp from the gateway in the operator's local time, with the zone
/// named; text that is not RFC 3339 is shown as it came.
pub fn timestamp(rfc3339: &str) -> String {
    parse_rfc3339(rfc3339).map_or_else(|| rfc3339.to_owned(), local_time)
}

/// Seconds since the Unix epoch in the operator's local time, with the zone named.
pub fn local_time(unix_secs: i64) -> String {
    wall_clock(unix_secs, local_offset_minutes(unix_secs))
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

/// Copying from the page gives numbers as numbers: the thin spaces that group
/// their digits on screen are left out of what reaches the clipboard.
pub fn copy_plain_numbers() {
    let _ = leptos::prelude::window_event_listener(leptos::ev::copy, |ev| {
        let Some(text) = leptos::prelude::window()
            .get_selection()
            .ok()
            .flatten()
            .map(|s| String::from(s.to_string()))
            .filter(|t| t.contains('\u{2009}'))
        else {
            return;
        };
        if let Some(clipboard) = ev.clipboard_data() {
            if clipboard.set_data("text/plain", &plain(&text)).is_ok() {
                ev.prevent_default();
            }
        }
    });
}

/// `text` without the thin spaces that group digits.
pub fn plain(text: &str) -> String {
    text.replace('\u{2009}', "")
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
    fn timestamps_honour_their_offset() {
        let noon = parse_rfc3339("2000-01-01T12:00:42Z").unwrap();
        assert_eq!(noon, 946_728_042);
        for same in [
            "2000-01-01T12:00:42+00:00",
            "2000-01-01T14:00:42+02:00",
            "2000-01-01T06:30:42.123456-05:30",
            "2000-01-01t12:00:42.5z",
        ] {
            assert_eq!(parse_rfc3339(same), Some(noon), "{same}");
        }
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        for bad in [
            "garbage",
            "2000-01-01",
            "2000-01-01T12:00:42",
            "2000-13-01T00:00:00Z",
            "2000-01-01T12:00:42.Z",
            "2000-01-01T12:00:42+0200",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_show_local_time_with_its_zone_never_a_mixed_label() {
        let secs = parse_rfc3339("2000-01-01T14:00:42+02:00").unwrap();
        assert_eq!(wall_clock(secs, 0), "2000-01-01 12:00:42 UTC");
        assert_eq!(wall_clock(secs, 60), "2000-01-01 13:00:42 UTC+01:00");
        assert_eq!(wall_clock(secs, -330), "2000-01-01 06:30:42 UTC-05:30");
        assert_eq!(wall_clock(secs, -13 * 60), "1999-12-31 23:00:42 UTC-13:00");
        assert_eq!(wall_clock(1_709_164_800, 0), "2024-02-29 00:00:00 UTC");
        // Native tests run as UTC; the browser supplies the operator's offset.
        assert_eq!(
            timestamp("2000-01-01T14:00:42+02:00"),
            "2000-01-01 12:00:42 UTC"
        );
        assert_eq!(timestamp("garbage"), "garbage");
    }

    #[test]
    fn fixed_rounds_the_scaled_value_half_away_from_zero() {
        assert_eq!(fixed(1.0, 2), "1.00");
        // 0.995 is stored as 0.99499…, which the exact formatter shows as 0.99; scaled
        // by 100 it is 99.5, so this shows what the operator typed, rounded as taught.
        assert_eq!(fixed(0.995, 2), "1.00");
        assert_eq!(format!("{:.2}", 0.995), "0.99");
        assert_eq!(fixed(12.345, 1), "12.3");
        assert_eq!(fixed(-2.5, 2), "-2.50");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(7.6, 0), "8");
        // Where no such representation edge is involved, both agree.
        for x in [0.1, 1.26, 3.3333, 99.99, 100.0] {
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
        assert_eq!(plain(&format!("Tick {}", integer(1234567))), "Tick 1234567");
        assert_eq!(integer(999), "999");
    }

    /// `fixed` against core's own formatting (which the bundle leaves out), over the
    /// values the console shows. The one intended difference: an exact tie (0.125 to two
    /// decimals) rounds half away from zero here, as people round, half to even there.
    mod against_core_formatting {
        use super::*;
        use proptest::prelude::*;

        /// Whether `value` lies exactly halfway between two `decimals`-place numbers.
        fn exact_tie(value: f64, decimals: u32) -> bool {
            let scaled = value.abs() * 10f64.powi(decimals as i32);
            // Exact: a product this small in these ranges is representable, and a tie's
            // fractional part is exactly one half.
            scaled.fract() == 0.5 && scaled / 10f64.powi(decimals as i32) == value.abs()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(20000))]

            #[test]
            fn fixed_rounds_as_core_does(
                value in prop_oneof![
                    -1.0e6f64..1.0e6,
                    // Short decimals, as operators type them and KiB come out: 0.545, 12.05.
                    (-100_000i64..100_000, 1u32..5).prop_map(|(n, k)| n as f64 / 10f64.powi(k as i32)),
                ],
                decimals in 0u32..4,
            ) {
                let ours = fixed(value, decimals);
                let core = format!("{value:.*}", decimals as usize);
                // core writes "-0.00" for a negative value that rounds to zero; so do people not.
                let core = if core.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
                    core.trim_start_matches('-').to_owned()
                } else {
                    core
                };
                if !exact_tie(value, decimals) {
                    prop_assert_eq!(ours, core, "{} to {} decimals", value, decimals);
                }
            }
        }

        #[test]
        fn ties_round_half_away_from_zero() {
            assert_eq!(fixed(0.125, 2), "0.13");
            assert_eq!(fixed(-0.125, 2), "-0.13");
            assert_eq!(fixed(2.5, 0), "3");
        }
    }
}
