//! Durations for people: three significant digits and a unit.

use std::time::Duration;

/// A duration for people, with three significant digits: `350µs`, `41.2ms`, `1.00s`.
pub fn fmt_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        return format!("{us}µs");
    }
    // `value` counts thousandths of `unit`, and is at least 1000.
    let (value, unit) = if us < 1_000_000 {
        (us, "ms")
    } else {
        (us / 1000, "s")
    };
    let decimals: u32 = if value < 10_000 {
        2
    } else if value < 100_000 {
        1
    } else {
        0
    };
    let scale = 10u128.pow(3 - decimals);
    let rounded = (value + scale / 2) / scale;
    if decimals == 0 {
        format!("{rounded}{unit}")
    } else {
        let ten = 10u128.pow(decimals);
        format!(
            "{}.{:0width$}{unit}",
            rounded / ten,
            rounded % ten,
            width = decimals as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::fmt_duration;

    #[test]
    fn three_significant_digits() {
        assert_eq!(fmt_duration(Duration::from_micros(350)), "350µs");
        assert_eq!(fmt_duration(Duration::from_micros(41_234)), "41.2ms");
        assert_eq!(fmt_duration(Duration::from_micros(1_234)), "1.23ms");
        assert_eq!(fmt_duration(Duration::from_millis(1000)), "1.00s");
        assert_eq!(fmt_duration(Duration::from_secs(250)), "250s");
    }
}
