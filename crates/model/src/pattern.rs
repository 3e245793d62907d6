//! Prisma's name patterns (api-reference §2.3), used for repositories, tags, exclusions and
//! collection scopes: a leading `*` means ends-with, a trailing `*` starts-with, both contains,
//! none an exact match; always case-insensitive. An empty pattern or a lone `*` matches all.

/// A compiled pattern. Construction cannot fail: every string is a valid pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern {
    kind: Kind,
    /// Lower-cased text between the stars.
    needle: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Any,
    Exact,
    Prefix,
    Suffix,
    Contains,
}

impl NamePattern {
    pub fn new(pattern: &str) -> NamePattern {
        let p = pattern.trim();
        let lead = p.starts_with('*');
        let trail = p.len() > 1 && p.ends_with('*');
        let needle = p.trim_matches('*').to_lowercase();
        let kind = if needle.is_empty() {
            Kind::Any
        } else {
            match (lead, trail) {
                (false, false) => Kind::Exact,
                (false, true) => Kind::Prefix,
                (true, false) => Kind::Suffix,
                (true, true) => Kind::Contains,
            }
        };
        NamePattern { kind, needle }
    }

    pub fn matches(&self, name: &str) -> bool {
        if self.kind == Kind::Any {
            return true;
        }
        let name = name.to_lowercase();
        match self.kind {
            Kind::Any => true,
            Kind::Exact => name == self.needle,
            Kind::Prefix => name.starts_with(&self.needle),
            Kind::Suffix => name.ends_with(&self.needle),
            Kind::Contains => name.contains(&self.needle),
        }
    }

    /// True when the pattern names exactly one value (no wildcard), so a caller can skip listing.
    pub fn exact(&self) -> Option<&str> {
        (self.kind == Kind::Exact).then_some(self.needle.as_str())
    }

    /// The lower-cased text every match starts with, for exact and starts-with patterns, so a
    /// caller can narrow a listing (Harbor's `project/*` lists one project's repositories).
    pub fn literal_prefix(&self) -> Option<&str> {
        matches!(self.kind, Kind::Exact | Kind::Prefix).then_some(self.needle.as_str())
    }
}

/// An include pattern with a list of exclusions: a name is selected when the include matches and
/// no exclusion does.
#[derive(Debug, Clone)]
pub struct Selection {
    include: NamePattern,
    exclude: Vec<NamePattern>,
}

impl Selection {
    pub fn new(include: &str, exclude: &[String]) -> Selection {
        Selection {
            include: NamePattern::new(include),
            exclude: exclude.iter().map(|e| NamePattern::new(e)).collect(),
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        self.include.matches(name) && !self.exclude.iter().any(|e| e.matches(name))
    }

    pub fn include(&self) -> &NamePattern {
        &self.include
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_forms_and_case() {
        assert!(NamePattern::new("library/alpine").matches("Library/Alpine"));
        assert!(!NamePattern::new("library/alpine").matches("library/alpine2"));
        assert!(NamePattern::new("onescience*").matches("onescience/tool"));
        assert!(!NamePattern::new("onescience*").matches("x/onescience"));
        assert!(NamePattern::new("*/ubuntu").matches("docker.io/library/ubuntu"));
        assert!(NamePattern::new("*sci*").matches("onescience"));
        assert!(NamePattern::new("").matches("anything"));
        assert!(NamePattern::new("*").matches("anything"));
        assert_eq!(NamePattern::new("Team/*").literal_prefix(), Some("team/"));
        assert_eq!(
            NamePattern::new("team/api").literal_prefix(),
            Some("team/api")
        );
        assert_eq!(NamePattern::new("*/api").literal_prefix(), None);
    }

    #[test]
    fn exclusions_win() {
        let s = Selection::new("app*", &["*-test".to_string()]);
        assert!(s.matches("app/web"));
        assert!(!s.matches("app/web-test"));
        assert!(!s.matches("other"));
    }
}
