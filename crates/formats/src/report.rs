//! What an import produced and what it could not use: counts, and each rejection with its
//! reason and location in the source (a line number or a JSON path).

use std::fmt;

/// The result of converting one input to STIX: the objects, and the report.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// The STIX objects, deduplicated by id, marking definitions and identities included.
    pub objects: Vec<stix::Object>,
    /// What was created, rejected and ignored.
    pub report: Report,
}

/// Counts and reasons for one import.
///
/// `created` counts the indicators, observed data and other content objects made from the input
/// (not the SCOs, identities and marking definitions that come with them). Whether an object is
/// new, an update of a stored version or unchanged is for the store to say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Content objects made.
    pub created: usize,
    /// Records that could not be converted, with the reason. A rejected record never becomes
    /// an object.
    pub rejected: Vec<Problem>,
    /// Records that were skipped on purpose (deleted in MISP, on a warninglist, duplicates).
    pub ignored: Vec<Problem>,
}

/// One record that was rejected or ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the input: `line 12`, `line 3, column 2`, or a JSON path such as
    /// `$.Event.Attribute[4]`.
    pub location: String,
    /// Why, for a person.
    pub reason: String,
}

impl Report {
    pub(crate) fn reject(&mut self, location: impl Into<String>, reason: impl Into<String>) {
        self.rejected.push(Problem { location: location.into(), reason: reason.into() });
    }

    pub(crate) fn ignore(&mut self, location: impl Into<String>, reason: impl Into<String>) {
        self.ignored.push(Problem { location: location.into(), reason: reason.into() });
    }

    /// Adds another report's counts and problems to this one, prefixing their locations with
    /// `source` (e.g. a file name inside a feed).
    pub fn merge(&mut self, source: &str, other: Report) {
        self.created += other.created;
        let prefix = |p: Problem| Problem { location: format!("{source}: {}", p.location), ..p };
        self.rejected.extend(other.rejected.into_iter().map(prefix));
        self.ignored.extend(other.ignored.into_iter().map(prefix));
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}
