//! The Prometheus text exposition format (version 0.0.4), as much of it as mamori's `/metrics`
//! writes: counters and gauges of whole numbers, and histograms with fixed buckets. The web
//! application and the gateway each keep a few atomics; a metrics framework would add more than
//! it saves. Metric and label names are ours and written as given; label values and help texts
//! are escaped as the format asks.

use std::fmt::Write;

/// The labels of a sample that has none: `[(NO_LABELS, value)]`.
pub const NO_LABELS: [(&str, &str); 0] = [];

/// A counter: its `# HELP` and `# TYPE` lines, then one line per sample. A sample's labels are
/// name–value pairs in order (`[("class", "2xx")]`), none for a metric without labels.
pub fn counter<'a, L>(
    out: &mut String,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, u64)>,
) where
    L: AsRef<[(&'a str, &'a str)]>,
{
    family(out, name, help, "counter", samples);
}

/// A gauge, written as [`counter`] writes a counter.
pub fn gauge<'a, L>(
    out: &mut String,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, u64)>,
) where
    L: AsRef<[(&'a str, &'a str)]>,
{
    family(out, name, help, "gauge", samples);
}

/// What a histogram has counted.
#[derive(Debug, Clone, Copy)]
pub struct Histogram<'a> {
    /// Upper bounds of the buckets, ascending; `+Inf` follows them.
    pub bounds: &'a [f64],
    /// Observations that fell in each bucket (each bucket on its own, not cumulative), one per
    /// bound.
    pub buckets: &'a [u64],
    /// Every observation, those above the last bound included.
    pub count: u64,
    /// The sum of every observation.
    pub sum: f64,
}

/// A histogram without labels: cumulative `_bucket` lines up to `+Inf`, then `_sum` and `_count`.
pub fn histogram(out: &mut String, name: &str, help: &str, histogram: &Histogram<'_>) {
    header(out, name, help, "histogram");
    let bucket = format!("{name}_bucket");
    let mut cumulative = 0;
    for (bound, n) in histogram.bounds.iter().zip(histogram.buckets) {
        cumulative += n;
        sample(out, &bucket, &[("le", &bound.to_string())], cumulative);
    }
    sample(out, &bucket, &[("le", "+Inf")], histogram.count);
    sample(out, &format!("{name}_sum"), &[], histogram.sum);
    sample(out, &format!("{name}_count"), &[], histogram.count);
}

fn family<'a, L>(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &str,
    samples: impl IntoIterator<Item = (L, u64)>,
) where
    L: AsRef<[(&'a str, &'a str)]>,
{
    header(out, name, help, kind);
    for (labels, value) in samples {
        sample(out, name, labels.as_ref(), value);
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    escape(out, help, false);
    out.push('\n');
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            escape(out, value, true);
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// A backslash and a line feed are escaped in help texts and label values alike; a double quote
/// only in label values, where it would end the value.
fn escape(out: &mut String, text: &str, quote: bool) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_with_and_without_labels() {
        let mut out = String::new();
        counter(
            &mut out,
            "mamori_things_total",
            "Things seen.",
            [(NO_LABELS, 3)],
        );
        counter(
            &mut out,
            "mamori_replies_total",
            "Replies, by class.",
            [([("class", "2xx")], 1), ([("class", "5xx")], 0)],
        );
        gauge(
            &mut out,
            "mamori_queue_messages",
            "Messages, by state and direction.",
            [([("state", "queued"), ("direction", "inbound")], 7)],
        );
        assert_eq!(
            out,
            "# HELP mamori_things_total Things seen.\n\
             # TYPE mamori_things_total counter\n\
             mamori_things_total 3\n\
             # HELP mamori_replies_total Replies, by class.\n\
             # TYPE mamori_replies_total counter\n\
             mamori_replies_total{class=\"2xx\"} 1\n\
             mamori_replies_total{class=\"5xx\"} 0\n\
             # HELP mamori_queue_messages Messages, by state and direction.\n\
             # TYPE mamori_queue_messages gauge\n\
             mamori_queue_messages{state=\"queued\",direction=\"inbound\"} 7\n"
        );
    }

    #[test]
    fn label_values_escape_backslash_quote_and_line_feed() {
        let mut out = String::new();
        counter(
            &mut out,
            "mamori_odd_total",
            "A \"quoted\" help\\text\nover two lines.",
            [([("path", "C:\\spool\\\"q\"\nnext")], 1)],
        );
        assert_eq!(
            out,
            "# HELP mamori_odd_total A \"quoted\" help\\\\text\\nover two lines.\n\
             # TYPE mamori_odd_total counter\n\
             mamori_odd_total{path=\"C:\\\\spool\\\\\\\"q\\\"\\nnext\"} 1\n"
        );
        assert_eq!(
            out.lines().count(),
            3,
            "a line feed never ends a line early"
        );
    }

    #[test]
    fn non_ascii_label_values_pass_through() {
        let mut out = String::new();
        gauge(&mut out, "m", "h", [([("segment", "LGWAN接続系")], 1)]);
        assert!(out.ends_with("m{segment=\"LGWAN接続系\"} 1\n"), "{out}");
    }

    #[test]
    fn a_histogram_is_cumulative_up_to_inf() {
        let mut out = String::new();
        histogram(
            &mut out,
            "mamori_latency_seconds",
            "Latency.",
            &Histogram {
                bounds: &[0.005, 0.5, 1.0, 3600.0],
                buckets: &[1, 0, 2, 1],
                // One observation above the last bound.
                count: 5,
                sum: 7200.03,
            },
        );
        assert_eq!(
            out,
            "# HELP mamori_latency_seconds Latency.\n\
             # TYPE mamori_latency_seconds histogram\n\
             mamori_latency_seconds_bucket{le=\"0.005\"} 1\n\
             mamori_latency_seconds_bucket{le=\"0.5\"} 1\n\
             mamori_latency_seconds_bucket{le=\"1\"} 3\n\
             mamori_latency_seconds_bucket{le=\"3600\"} 4\n\
             mamori_latency_seconds_bucket{le=\"+Inf\"} 5\n\
             mamori_latency_seconds_sum 7200.03\n\
             mamori_latency_seconds_count 5\n"
        );
    }

    #[test]
    fn an_empty_histogram_has_zero_everywhere() {
        let mut out = String::new();
        histogram(
            &mut out,
            "h",
            "Empty.",
            &Histogram {
                bounds: &[1.0],
                buckets: &[0],
                count: 0,
                sum: 0.0,
            },
        );
        assert!(
            out.ends_with("h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"),
            "{out}"
        );
    }
}
