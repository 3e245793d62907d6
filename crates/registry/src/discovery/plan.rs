//! One repository's tag plan: which of its listed tags discovery will resolve, built name by name
//! while the tag list's pages arrive, so memory holds only the tags that can still be chosen.
//!
//! - With `versionPattern`: tags that match, ordered by their [`TagKey`]; with `cap` only the
//!   `cap` highest are kept (nothing else is ever fetched).
//! - Without it and with `cap`: the creation date decides, which costs a manifest and a config
//!   per tag. The plan keeps at most [`DiscoveryLimits::date_cap_candidates`] (or `cap`, if
//!   larger) tags, the highest in [natural version order](super::name_order). A repository
//!   with no more selected tags than that keeps them all and is capped exactly, as before; a
//!   larger one is capped among those candidates ([`TagPlan::narrowed`]).
//! - Without a cap: every selected tag, up to [`DiscoveryLimits::max_tags_per_repository`].
//!
//! When the listing gives the vendor's push date ([`ListedTag::pushed`]), a date cap ranks by
//! it instead of by name: when every selected tag is dated the plan keeps exactly the `cap`
//! newest and nothing else is read for ordering. Tags the listing (or cosign's tag naming)
//! marks as non-image artifacts are set aside as skipped, never resolved.

use super::name_order::Natural;
use super::{DiscoveryLimits, ListedTag, MAX_SKIPPED_NOTED, TagKey, VersionPattern};
use crate::{ArtifactKind, RegistryError, classify_tag};
use crowsnest_model::pattern::Selection;
use jiff::Timestamp;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// No order needed (no cap, no pattern): every tag is kept, so only the name counts.
    Any,
    Pattern(TagKey),
    Name(Natural),
    /// The vendor's push date: any dated tag ranks above every undated one (which the final
    /// order puts last too); ties by name.
    Pushed(Timestamp, Natural),
}

/// A tag the plan chose, with the vendor's push date when the listing gave one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PlannedTag {
    pub(crate) name: String,
    pub(crate) pushed: Option<Timestamp>,
}

/// The tags of one repository worth resolving, chosen as names arrive.
#[derive(Debug)]
pub(crate) struct TagPlan<'a> {
    repo: &'a str,
    selection: &'a Selection,
    pattern: Option<&'a VersionPattern>,
    /// Candidates, unordered; pruned to the `bound` highest whenever it doubles (a selection
    /// instead of a sorted structure, so a tag costs a comparison or two, not a tree descent).
    kept: Vec<(Rank, PlannedTag)>,
    /// The tags in `kept`, so that a tag a registry lists twice takes one place.
    names: HashSet<String>,
    /// After a prune: the lowest rank still kept. Anything not above it can never be chosen.
    floor: Option<Rank>,
    bound: usize,
    /// Past `bound`: drop the lowest (a cap chooses) or fail (every tag was asked for).
    drop_lowest: bool,
    /// The `cap` of a date cap (0 otherwise): with every tag dated, exactly that many are kept.
    date_cap: usize,
    /// Whether a selected tag came without a push date.
    undated: bool,
    /// Selected tags holding no image (the first [`MAX_SKIPPED_NOTED`]), and how many in all.
    skipped: Vec<(String, ArtifactKind)>,
    skipped_total: u64,
}

impl<'a> TagPlan<'a> {
    pub(crate) fn new(
        repo: &'a str,
        selection: &'a Selection,
        pattern: Option<&'a VersionPattern>,
        cap: usize,
        limits: &DiscoveryLimits,
    ) -> TagPlan<'a> {
        let window = match pattern {
            _ if cap == 0 => usize::MAX,
            Some(_) => cap,
            None => limits.date_cap_candidates.max(cap),
        };
        let (bound, drop_lowest) = if window > limits.max_tags_per_repository {
            (limits.max_tags_per_repository, false)
        } else {
            (window, true)
        };
        TagPlan {
            repo,
            selection,
            pattern,
            kept: Vec::new(),
            names: HashSet::new(),
            floor: None,
            bound,
            drop_lowest,
            date_cap: if pattern.is_none() { cap } else { 0 },
            undated: false,
            skipped: Vec::new(),
            skipped_total: 0,
        }
    }

    /// Considers one listed tag.
    pub(crate) fn offer(&mut self, listed: ListedTag<'_>) -> Result<(), RegistryError> {
        let tag = listed.name;
        if !self.selection.matches(tag) {
            return Ok(());
        }
        if let Some(kind) = listed.artifact.or_else(|| classify_tag(tag)) {
            self.skip(tag, kind);
            return Ok(());
        }
        let rank = match self.pattern {
            Some(p) => match p.key(tag) {
                Some(k) => Rank::Pattern(k),
                None => return Ok(()),
            },
            None if self.bound == usize::MAX || !self.drop_lowest => Rank::Any,
            None => match listed.pushed {
                Some(at) => Rank::Pushed(at, Natural::new(tag)),
                None => Rank::Name(Natural::new(tag)),
            },
        };
        self.undated |= listed.pushed.is_none();
        if self.floor.as_ref().is_some_and(|floor| rank <= *floor) || self.names.contains(tag) {
            return Ok(());
        }
        self.names.insert(tag.to_string());
        let planned = PlannedTag {
            name: tag.to_string(),
            pushed: listed.pushed,
        };
        self.kept.push((rank, planned));
        if !self.drop_lowest {
            if self.kept.len() > self.bound {
                return Err(RegistryError::TooMany {
                    what: format!("tags of {}", self.repo),
                    limit: self.bound as u64,
                    items: "tags to resolve",
                    hint: "set a cap, a versionPattern or a narrower tag pattern",
                });
            }
        } else if self.kept.len() >= self.bound.saturating_mul(2).max(self.bound + 1) {
            self.prune();
        }
        Ok(())
    }

    /// Keeps the `bound` highest candidates: a linear-time selection, not a sort.
    fn prune(&mut self) {
        if self.kept.len() > self.bound {
            self.kept
                .select_nth_unstable_by(self.bound - 1, |a, b| b.cmp(a));
            for (_, dropped) in self.kept.drain(self.bound..) {
                self.names.remove(&dropped.name);
            }
            self.floor = self.kept.iter().map(|(r, _)| r).min().cloned();
        }
    }

    /// A selected tag that holds no image.
    pub(crate) fn skip(&mut self, tag: &str, kind: ArtifactKind) {
        self.skipped_total += 1;
        if self.skipped.len() < MAX_SKIPPED_NOTED {
            self.skipped.push((tag.to_string(), kind));
        }
    }

    /// True when a date cap had more candidates than it resolves (the cap is then taken among
    /// the tags ranking highest by name, not among all). Never with push dates for every tag:
    /// those rank exactly.
    pub(crate) fn narrowed(&self) -> bool {
        self.floor.is_some() && self.pattern.is_none() && self.undated
    }

    /// The skipped artifacts (at most [`MAX_SKIPPED_NOTED`]) and how many there were.
    pub(crate) fn skipped(&self) -> (&[(String, ArtifactKind)], u64) {
        (&self.skipped, self.skipped_total)
    }

    /// The chosen tags, highest rank first. With a date cap and a push date on every tag,
    /// only the `cap` newest: nothing more needs resolving to order them.
    pub(crate) fn into_tags(mut self) -> Vec<PlannedTag> {
        self.prune();
        self.kept.sort_unstable_by(|a, b| b.cmp(a));
        if self.date_cap > 0 && !self.undated && self.drop_lowest {
            self.kept.truncate(self.date_cap);
        }
        self.kept.into_iter().map(|(_, t)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(tags: &[&str], pattern: Option<&str>, cap: usize, candidates: usize) -> Vec<String> {
        let selection = Selection::new("", &[]);
        let pattern = pattern.map(|p| VersionPattern::parse(p).unwrap());
        let limits = DiscoveryLimits {
            date_cap_candidates: candidates,
            max_tags_per_repository: 10,
            ..DiscoveryLimits::default()
        };
        let mut p = TagPlan::new("r", &selection, pattern.as_ref(), cap, &limits);
        for t in tags {
            p.offer(ListedTag::named(t)).unwrap();
        }
        p.into_tags().into_iter().map(|t| t.name).collect()
    }

    #[test]
    fn what_each_mode_keeps() {
        let tags = ["1.9", "1.10", "x", "1.2", "1.10"];
        assert_eq!(plan(&tags, Some("%d.%d"), 2, 0), ["1.10", "1.9"]);
        assert_eq!(plan(&tags, Some("%d.%d"), 0, 0), ["1.10", "1.9", "1.2"]);
        // A date cap within the candidate window keeps every tag (exact).
        assert_eq!(plan(&tags, None, 1, 10), ["x", "1.10", "1.9", "1.2"]);
        // A narrower window keeps the highest by name; the cap itself widens it.
        assert_eq!(plan(&tags, None, 1, 2), ["x", "1.10"]);
        assert_eq!(plan(&tags, None, 3, 2), ["x", "1.10", "1.9"]);
        // Past the tag limit a cap is not taken by date at all: every tag is kept (in name
        // order, since no order is needed), and one more than the limit is an error.
        assert_eq!(plan(&tags, None, 11, 2), ["x", "1.9", "1.2", "1.10"]);
        let many: Vec<String> = (0..100).map(|i| format!("1.{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(plan(&many, None, 1, 3), ["1.99", "1.98", "1.97"]);
        assert_eq!(plan(&many, Some("%d.%d"), 2, 0), ["1.99", "1.98"]);
    }

    #[test]
    fn without_a_cap_too_many_tags_is_an_error() {
        let selection = Selection::new("", &["skip*".to_string()]);
        let limits = DiscoveryLimits {
            max_tags_per_repository: 2,
            ..DiscoveryLimits::default()
        };
        let mut p = TagPlan::new("big/app", &selection, None, 0, &limits);
        for t in ["a", "b", "skip1", "skip2", "a"] {
            p.offer(ListedTag::named(t)).unwrap();
        }
        let e = p.offer(ListedTag::named("c")).unwrap_err().to_string();
        assert_eq!(
            e,
            "tags of big/app: more than 2 tags to resolve; set a cap, a versionPattern or a \
             narrower tag pattern"
        );
    }

    #[test]
    fn push_dates_cap_exactly_and_artifacts_are_set_aside() {
        let selection = Selection::new("", &[]);
        // A candidate window of 2, below the 5 tags: by name it would narrow; by date it is exact.
        let limits = DiscoveryLimits {
            date_cap_candidates: 2,
            max_tags_per_repository: 10,
            ..DiscoveryLimits::default()
        };
        let at = |s: &str| Some(s.parse::<Timestamp>().unwrap());
        let sig = format!("sha256-{}.sig", "0".repeat(64));
        let mut p = TagPlan::new("r", &selection, None, 2, &limits);
        let listed = [
            ListedTag::pushed("old", at("2020-01-01T00:00:00Z")),
            ListedTag::pushed("newest", at("2024-06-01T00:00:00Z")),
            ListedTag::pushed("zzz", at("2021-01-01T00:00:00Z")),
            ListedTag::pushed("second", at("2024-01-01T00:00:00Z")),
            ListedTag::pushed(&sig, at("2025-01-01T00:00:00Z")),
            ListedTag {
                artifact: Some(ArtifactKind::HelmChart),
                ..ListedTag::pushed("chart", at("2025-02-01T00:00:00Z"))
            },
        ];
        for t in listed {
            p.offer(t).unwrap();
        }
        assert!(!p.narrowed());
        let (skipped, total) = p.skipped();
        assert_eq!(total, 2);
        assert_eq!(skipped[0], (sig.clone(), ArtifactKind::Signature));
        assert_eq!(skipped[1], ("chart".to_string(), ArtifactKind::HelmChart));
        let tags = p.into_tags();
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["newest", "second"]);
        assert_eq!(tags[0].pushed, at("2024-06-01T00:00:00Z"));

        // One undated tag: the cap can no longer be taken by listing dates alone, so every
        // candidate is resolved (and the undated one ranks below the dated).
        let mut p = TagPlan::new("r", &selection, None, 1, &limits);
        p.offer(ListedTag::pushed("a", at("2020-01-01T00:00:00Z")))
            .unwrap();
        p.offer(ListedTag::named("b")).unwrap();
        let names: Vec<String> = p.into_tags().into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
