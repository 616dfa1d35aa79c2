//! The city's district list (町字): the only names the public summary prints, so a child's
//! free-text district (`評価1-2-3 山田花子方`) can never reach an anonymous caller.

use std::collections::BTreeSet;

/// Where every district outside the list, and every record without one, is counted.
pub const OTHER: &str = "その他";

/// The districts a deployment publishes, from a text file: one name a line, `#` comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Districts {
    names: BTreeSet<String>,
}

/// Shiroi's 町字 (the demo city's), compiled in as the default list.
pub const SHIROI: &str = include_str!("../../fixtures/shiroi/districts.txt");

impl Districts {
    /// Reads the list; blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Self {
        let names =
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
        Self { names }
    }

    /// The demo city's list.
    pub fn shiroi() -> Self {
        Self::parse(SHIROI)
    }

    /// How many names the list holds.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the list is empty (then everything is counted under [`OTHER`]).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name a record's district is counted under: itself if listed, else [`OTHER`].
    pub fn bucket<'a>(&self, district: Option<&'a str>) -> &'a str {
        match district.map(str::trim) {
            Some(d) if self.names.contains(d) => d,
            _ => OTHER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_are_kept_and_anything_else_is_other() {
        let list = Districts::parse("# 白井市\n復\n\n白井\n");
        assert_eq!(list.len(), 2);
        assert_eq!(list.bucket(Some("復")), "復");
        assert_eq!(list.bucket(Some(" 白井 ")), "白井");
        assert_eq!(list.bucket(Some("評価1-2-3 山田花子方")), OTHER);
        assert_eq!(list.bucket(Some("# 白井市")), OTHER);
        assert_eq!(list.bucket(None), OTHER);
        assert!(Districts::shiroi().bucket(Some("七次台二丁目")) == "七次台二丁目");
    }
}
