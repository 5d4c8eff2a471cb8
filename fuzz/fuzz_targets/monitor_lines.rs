//! Any bytes, as lines of any format: the monitor reads them without panicking, counts every
//! line, and what it hands out stays within its caps (evidence lines cut to their length).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_core::monitor::Site;
use mamori_monitor::{EVIDENCE_CHARS, Format, Monitor};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[usize::from(selector) % Format::ALL.len()];
    let mut monitor = Monitor::new(&Site::default());
    let mut lines = 0u64;
    for line in data.split(|&b| b == b'\n') {
        monitor.feed(format, line);
        lines += 1;
    }
    assert_eq!(monitor.summary().lines, lines);
    let (alerts, _) = monitor.take();
    for alert in alerts {
        for line in &alert.evidence {
            assert!(line.chars().count() <= EVIDENCE_CHARS, "{line}");
        }
    }
});
