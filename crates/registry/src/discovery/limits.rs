//! The documented bounds of discovery, so that no registry can make a scan hold or fetch an
//! unbounded amount (issue 21: an endless catalog took a Console to 5.8 GB; a repository of a
//! million tags cost a manifest request per tag even with `cap`).
//!
//! Reading is bounded by the client ([`ClientOptions::max_page_bytes`] per page,
//! [`ClientOptions::max_list_entries`] names per listing); what discovery keeps is bounded here.
//! A limit that a repository passes is an error for that repository only; one that the whole
//! registry passes (its catalog) stops that registry's discovery. Both name the registry or
//! repository and the limit.
//!
//! [`ClientOptions::max_page_bytes`]: crate::ClientOptions::max_page_bytes
//! [`ClientOptions::max_list_entries`]: crate::ClientOptions::max_list_entries

/// Bounds on what discovery keeps in memory and resolves. The defaults suit any registry we
/// know of; tests lower them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryLimits {
    /// Repositories the specification's `repository` selection may pick in one registry. One
    /// more stops the registry's discovery: which repositories to leave out would be arbitrary.
    pub max_repositories: usize,
    /// Tags one repository may have to resolve (after the tag selection, `versionPattern` and
    /// `cap`). Only reachable without a cap; one more is an error for that repository.
    pub max_tags_per_repository: usize,
    /// Images one registry specification may have to resolve, all repositories together; a
    /// repository that would pass it is an error for that repository.
    pub max_images: usize,
    /// `cap` without `versionPattern` orders by the config's `created` date, which costs a
    /// manifest and a config per tag. A repository with at most this many selected tags (or
    /// `cap`, if larger) is capped exactly; a larger one is capped among this many candidates:
    /// the tags ranking highest in natural version order (see [`name_order`](super::name_order)).
    pub date_cap_candidates: usize,
}

/// Default of [`DiscoveryLimits::max_repositories`].
pub const MAX_REPOSITORIES: usize = 20_000;
/// Default of [`DiscoveryLimits::max_tags_per_repository`].
pub const MAX_TAGS_PER_REPOSITORY: usize = 100_000;
/// Default of [`DiscoveryLimits::max_images`].
pub const MAX_IMAGES: usize = 200_000;
/// Default of [`DiscoveryLimits::date_cap_candidates`].
pub const DATE_CAP_CANDIDATES: usize = 1_000;

impl Default for DiscoveryLimits {
    fn default() -> DiscoveryLimits {
        DiscoveryLimits {
            max_repositories: MAX_REPOSITORIES,
            max_tags_per_repository: MAX_TAGS_PER_REPOSITORY,
            max_images: MAX_IMAGES,
            date_cap_candidates: DATE_CAP_CANDIDATES,
        }
    }
}

impl DiscoveryLimits {
    /// No limit at all: main's behaviour before issue 21, for benchmarks that measure it.
    pub fn unbounded() -> DiscoveryLimits {
        DiscoveryLimits {
            max_repositories: usize::MAX,
            max_tags_per_repository: usize::MAX,
            max_images: usize::MAX,
            date_cap_candidates: usize::MAX,
        }
    }
}
