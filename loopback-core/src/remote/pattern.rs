//! Remote hook patterns: method names split on `.`, where `*` is exactly one segment and `**`
//! one or more.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Exact(String),
    One,
    Many,
}

/// A remote hook pattern (`Car.revEngine`, `Car.*`, `Car.prototype.*`, `*.find`, `**`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(Vec<Seg>);

impl Pattern {
    /// Reads a pattern; partial-segment globs (`save*`) are literal, as in LB3.
    pub(crate) fn new(pattern: &str) -> Self {
        Pattern(
            pattern
                .split('.')
                .map(|s| match s {
                    "*" => Seg::One,
                    "**" => Seg::Many,
                    other => Seg::Exact(other.to_owned()),
                })
                .collect(),
        )
    }

    /// Whether the pattern has no wildcard segment.
    #[cfg(feature = "rest")]
    pub(crate) fn is_exact(&self) -> bool {
        self.0.iter().all(|s| matches!(s, Seg::Exact(_)))
    }

    /// Whether the pattern matches the method name `segs`.
    pub(crate) fn matches(&self, segs: &[&str]) -> bool {
        matches(&self.0, segs)
    }

    /// `None` when the pattern does not match the method name `segs`; else its place in
    /// LB3's order (strong-remoting walks its listener tree depth-first, an exact segment
    /// before `*` before `**`): smaller runs first.
    pub(crate) fn rank(&self, segs: &[&str]) -> Option<Vec<u8>> {
        self.matches(segs).then(|| {
            self.0
                .iter()
                .map(|s| match s {
                    Seg::Exact(_) => 0,
                    Seg::One => 1,
                    Seg::Many => 2,
                })
                .collect()
        })
    }
}

fn matches(pattern: &[Seg], segs: &[&str]) -> bool {
    match (pattern.first(), segs.first()) {
        (None, None) => true,
        (None, Some(_)) | (Some(_), None) => false,
        (Some(Seg::Exact(p)), Some(s)) => p == s && matches(&pattern[1..], &segs[1..]),
        (Some(Seg::One), Some(_)) => matches(&pattern[1..], &segs[1..]),
        (Some(Seg::Many), Some(_)) => (1..=segs.len()).any(|n| matches(&pattern[1..], &segs[n..])),
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match s {
                Seg::Exact(e) => f.write_str(e)?,
                Seg::One => f.write_str("*")?,
                Seg::Many => f.write_str("**")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, name: &str) -> bool {
        Pattern::new(p)
            .rank(&name.split('.').collect::<Vec<_>>())
            .is_some()
    }

    #[test]
    fn segments_match_as_lb3_documents() {
        assert!(m("Customer.revEngine", "Customer.revEngine"));
        assert!(m("Customer.*", "Customer.find"));
        assert!(!m("Customer.*", "Customer.prototype.save"));
        assert!(m("Customer.prototype.*", "Customer.prototype.save"));
        assert!(m("Customer.*.save", "Customer.prototype.save"));
        assert!(m("Customer.**", "Customer.find"));
        assert!(m("Customer.**", "Customer.prototype.__get__books"));
        assert!(!m("Customer.**", "Customer"));
        assert!(m("**", "Car.revEngine"));
        assert!(m("*.*", "Car.revEngine"));
        assert!(!m("*.*", "Car.prototype.speak"));
        assert!(!m("Customer.save*", "Customer.saveAll"));
        assert!(!m("Other.*", "Customer.find"));
    }
}
