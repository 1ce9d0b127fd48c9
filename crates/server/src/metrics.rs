//! Prometheus metrics in the text exposition format: request counts by status class and
//! objects accepted and refused by POSTs.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters, updated without locks.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; 5],
    objects_added: AtomicU64,
    objects_refused: AtomicU64,
}

impl Metrics {
    /// Counts a response by its status class (1xx to 5xx).
    pub fn response(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the outcome of a POST.
    pub fn objects(&self, added: u64, refused: u64) {
        self.objects_added.fetch_add(added, Ordering::Relaxed);
        self.objects_refused.fetch_add(refused, Ordering::Relaxed);
    }

    /// The metrics as Prometheus text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP meridian_http_responses_total HTTP responses by status class.\n");
        out.push_str("# TYPE meridian_http_responses_total counter\n");
        for (i, counter) in self.requests.iter().enumerate() {
            let _ = writeln!(
                out,
                "meridian_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP meridian_objects_added_total STIX objects stored by TAXII POSTs.\n");
        out.push_str("# TYPE meridian_objects_added_total counter\n");
        let _ = writeln!(
            out,
            "meridian_objects_added_total {}",
            self.objects_added.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP meridian_objects_refused_total STIX objects refused by TAXII POSTs.\n",
        );
        out.push_str("# TYPE meridian_objects_refused_total counter\n");
        let _ = writeln!(
            out,
            "meridian_objects_refused_total {}",
            self.objects_refused.load(Ordering::Relaxed)
        );
        out
    }
}
