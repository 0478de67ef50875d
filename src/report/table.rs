//! The region × type text table the sync, plan and audit summaries share: a header, one row per
//! group, a `total` row — region and type left-aligned, every other column right-aligned to its
//! width. Text only; the numbers are the caller's.

use std::fmt::Write as _;

/// A table with these columns after region and type: `(header, width)` each.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    pub columns: &'a [(&'a str, usize)],
}

impl Table<'_> {
    /// The header line.
    pub fn header(&self, s: &mut String) {
        let cells: Vec<String> = self.columns.iter().map(|(h, _)| h.to_string()).collect();
        self.line(s, "region", "type", &cells);
    }

    /// One row: `cells` in column order (as many as there are columns).
    pub fn row(&self, s: &mut String, region: &str, object_type: &str, cells: &[u64]) {
        let cells: Vec<String> = cells.iter().map(u64::to_string).collect();
        self.line(s, region, object_type, &cells);
    }

    fn line(&self, s: &mut String, region: &str, object_type: &str, cells: &[String]) {
        let _ = write!(s, "{region:<10} {object_type:<22}");
        for ((_, width), cell) in self.columns.iter().zip(cells) {
            let _ = write!(s, " {cell:>width$}");
        }
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_their_headers() {
        let t = Table {
            columns: &[("found", 8), ("bytes", 12)],
        };
        let mut s = String::new();
        t.header(&mut s);
        t.row(&mut s, "uk", "voicemail", &[3, 1234]);
        t.row(&mut s, "total", "", &[3, 1234]);
        assert_eq!(
            s,
            "region     type                      found        bytes\n\
             uk         voicemail                     3         1234\n\
             total                                    3         1234\n"
        );
    }
}
