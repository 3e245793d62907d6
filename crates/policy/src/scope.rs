//! Which collections an image belongs to.
//!
//! An [`ImageScope`] (registry, repository, tag, labels, the scanning host) is matched field by
//! field against a [`Collection`]: fields combine with AND, patterns within a field with OR, and a
//! leading `-` marks an exclusion that is checked first (api-reference §2.3, §8). Image patterns are
//! compared with the canonical full name `registry/repo:tag`, Docker Hub short names being spelled
//! `docker.io/library/…` on both sides. Only the filters Prisma applies to registry images count
//! (images, hosts, labels, account IDs); the container, function, namespace, cluster, app and
//! code-repo filters describe running workloads, which a registry image is not.

use crate::collection::Collection;
use crowsnest_model::RegistryAddress;
use crowsnest_model::address::DOCKER_HUB_NAME as DOCKER_HUB;
use crowsnest_model::pattern::NamePattern;

/// What collections see of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageScope {
    /// Registry as results key it (`""` for Docker Hub; any spelling
    /// [`RegistryAddress`] reads is accepted).
    pub registry: String,
    pub repo: String,
    pub tag: String,
    /// `key:value` strings: image labels, plus `osDistro:<id>` and `osVersion:<v>`.
    pub labels: Vec<String>,
    /// The scanning host(s).
    pub hosts: Vec<String>,
    /// Cloud account IDs of the registry, when known.
    pub account_ids: Vec<String>,
}

impl ImageScope {
    pub fn new(registry: &str, repo: &str, tag: &str) -> ImageScope {
        ImageScope {
            registry: registry.to_string(),
            repo: repo.to_string(),
            tag: tag.to_string(),
            ..ImageScope::default()
        }
    }

    pub fn with_label(mut self, key: &str, value: &str) -> ImageScope {
        self.labels.push(format!("{key}:{value}"));
        self
    }

    /// Adds every config label and the OS pseudo-labels Prisma exposes to collections.
    pub fn with_config_labels<'a>(
        mut self,
        labels: impl IntoIterator<Item = (&'a String, &'a String)>,
        os_distro: &str,
        os_version: &str,
    ) -> ImageScope {
        for (k, v) in labels {
            self.labels.push(format!("{k}:{v}"));
        }
        if !os_distro.is_empty() {
            self.labels.push(format!("osDistro:{os_distro}"));
        }
        if !os_version.is_empty() {
            self.labels.push(format!("osVersion:{os_version}"));
        }
        self
    }

    pub fn with_host(mut self, host: &str) -> ImageScope {
        self.hosts.push(host.to_string());
        self
    }

    /// `registry/repo:tag` with Docker Hub canonicalised (`docker.io/library/alpine:3.19`).
    pub fn full_name(&self) -> String {
        let (registry, repo) = canonical_parts(&self.registry, &self.repo);
        if self.tag.is_empty() {
            format!("{registry}/{repo}")
        } else {
            format!("{registry}/{repo}:{}", self.tag)
        }
    }

    fn name_without_tag(&self) -> String {
        let (registry, repo) = canonical_parts(&self.registry, &self.repo);
        format!("{registry}/{repo}")
    }
}

/// True for the names Docker Hub goes by ([`RegistryAddress::is_docker_hub`]).
pub fn is_docker_hub(registry: &str) -> bool {
    RegistryAddress::parse(registry).is_docker_hub()
}

fn canonical_parts(registry: &str, repo: &str) -> (String, String) {
    let repo = repo.trim_matches('/');
    let address = RegistryAddress::parse(registry);
    if address.is_docker_hub() && !repo.contains('/') {
        (address.name().to_string(), format!("library/{repo}"))
    } else {
        (address.name().to_string(), repo.to_string())
    }
}

/// Spells an image pattern the way full names are spelled: a pattern that does not start with a
/// registry host (nor with `*`) names a Docker Hub image, so `ubuntu:*` becomes
/// `docker.io/library/ubuntu:*`.
fn canonical_image_pattern(pattern: &str) -> String {
    if pattern.starts_with('*') {
        return pattern.to_string();
    }
    let first = pattern.split('/').next().unwrap_or("");
    let has_host = pattern.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_host {
        return pattern.to_string();
    }
    if pattern.contains('/') {
        format!("{DOCKER_HUB}/{pattern}")
    } else {
        format!("{DOCKER_HUB}/library/{pattern}")
    }
}

/// A filter list compiled: includes and exclusions.
struct PatternSet {
    include: Vec<NamePattern>,
    exclude: Vec<NamePattern>,
    /// No includes, or one that is `*`: every value is in unless excluded.
    everything: bool,
}

impl PatternSet {
    fn compile(list: &[String], canonical: fn(&str) -> String) -> PatternSet {
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        let mut everything = false;
        for raw in list {
            let p = raw.trim();
            if let Some(ex) = p.strip_prefix('-') {
                exclude.push(NamePattern::new(&canonical(ex.trim())));
            } else if p.is_empty() || p.trim_matches('*').is_empty() {
                everything = true;
            } else {
                include.push(NamePattern::new(&canonical(p)));
            }
        }
        if include.is_empty() {
            everything = true;
        }
        PatternSet {
            include,
            exclude,
            everything,
        }
    }

    /// True when some value is selected: exclusions first, then includes. A resource with no
    /// value for the field is selected only by a field that selects everything.
    fn selects(&self, values: &[String]) -> bool {
        if values.is_empty() {
            return self.everything;
        }
        values
            .iter()
            .any(|v| self.selects_one(std::slice::from_ref(v)))
    }

    /// One value seen under several spellings; any spelling may match, none may be excluded.
    fn selects_one(&self, spellings: &[String]) -> bool {
        if spellings
            .iter()
            .any(|s| self.exclude.iter().any(|e| e.matches(s)))
        {
            return false;
        }
        self.everything
            || spellings
                .iter()
                .any(|s| self.include.iter().any(|i| i.matches(s)))
    }
}

fn same(p: &str) -> String {
    p.to_string()
}

/// The image's names as image patterns see them, computed once per evaluation.
pub(crate) struct Subject<'a> {
    image: &'a ImageScope,
    names: [String; 2],
}

impl<'a> Subject<'a> {
    pub(crate) fn new(image: &'a ImageScope) -> Subject<'a> {
        Subject {
            image,
            names: [image.full_name(), image.name_without_tag()],
        }
    }
}

/// A list that selects everything needs no compiling (most lists of most collections).
fn selects_all(list: &[String]) -> bool {
    list.iter().all(|p| p.trim().trim_matches('*').is_empty())
}

fn field_selects(list: &[String], values: &[String]) -> bool {
    selects_all(list) || PatternSet::compile(list, same).selects(values)
}

fn selects(collection: &Collection, subject: &Subject<'_>) -> bool {
    if collection.is_all() {
        return true;
    }
    let image_ok = selects_all(&collection.images)
        || PatternSet::compile(&collection.images, canonical_image_pattern)
            .selects_one(&subject.names);
    image_ok
        && field_selects(&collection.labels, &subject.image.labels)
        && field_selects(&collection.hosts, &subject.image.hosts)
        && field_selects(&collection.account_ids, &subject.image.account_ids)
}

/// Whether the collection selects the image.
pub fn collection_matches(collection: &Collection, image: &ImageScope) -> bool {
    selects(collection, &Subject::new(image))
}

/// The current definition of a collection a rule names: the catalogue's when it has one (a rule
/// stores a copy, which goes stale when the collection is edited), else the rule's own copy.
pub(crate) fn resolve<'a>(wanted: &'a Collection, catalogue: &'a [Collection]) -> &'a Collection {
    catalogue
        .iter()
        .find(|c| c.name == wanted.name)
        .unwrap_or(wanted)
}

/// Whether any of a rule's collections selects the image (several collections are a union).
pub(crate) fn any_matches(
    wanted: &[Collection],
    catalogue: &[Collection],
    subject: &Subject<'_>,
) -> bool {
    wanted
        .iter()
        .any(|c| selects(resolve(c, catalogue), subject))
}

/// Names of the catalogue's collections (and `All`) that select the image, for the results'
/// `collections` field.
pub fn matching_collections(catalogue: &[Collection], image: &ImageScope) -> Vec<String> {
    let subject = Subject::new(image);
    let mut names = vec![crate::collection::ALL_COLLECTION.to_string()];
    names.extend(
        catalogue
            .iter()
            .filter(|c| !c.is_all() && selects(c, &subject))
            .map(|c| c.name.clone()),
    );
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(repo: &str, tag: &str) -> ImageScope {
        ImageScope::new("", repo, tag)
    }

    #[test]
    fn docker_hub_names_are_canonical() {
        assert_eq!(
            hub("ubuntu", "latest").full_name(),
            "docker.io/library/ubuntu:latest"
        );
        assert_eq!(
            ImageScope::new("index.docker.io", "bitnami/redis", "7").full_name(),
            "docker.io/bitnami/redis:7"
        );
        assert_eq!(
            ImageScope::new("https://reg.example:5000/", "team/app", "1").full_name(),
            "reg.example:5000/team/app:1"
        );
    }

    #[test]
    fn patterns_are_canonicalised_too() {
        assert_eq!(
            canonical_image_pattern("ubuntu:*"),
            "docker.io/library/ubuntu:*"
        );
        assert_eq!(canonical_image_pattern("bitnami/*"), "docker.io/bitnami/*");
        assert_eq!(
            canonical_image_pattern("reg.example:5000/team/*"),
            "reg.example:5000/team/*"
        );
        assert_eq!(
            canonical_image_pattern("*/ubuntu:latest"),
            "*/ubuntu:latest"
        );
    }

    #[test]
    fn image_patterns() {
        let c = Collection::named("u").with_images(&["*/ubuntu:latest"]);
        assert!(collection_matches(&c, &hub("ubuntu", "latest")));
        assert!(!collection_matches(&c, &hub("ubuntu", "22.04")));
        let c = Collection::named("u").with_images(&["ubuntu:*"]);
        assert!(collection_matches(&c, &hub("library/ubuntu", "22.04")));
        // A name without a tag selects every tag of the repository.
        let c = Collection::named("u").with_images(&["library/ubuntu"]);
        assert!(collection_matches(&c, &hub("ubuntu", "22.04")));
        let c = Collection::named("p").with_images(&["reg.example:5000/team/*"]);
        assert!(collection_matches(
            &c,
            &ImageScope::new("reg.example:5000", "team/api", "1")
        ));
        assert!(!collection_matches(&c, &hub("team/api", "1")));
    }

    #[test]
    fn exclusions_are_checked_first() {
        let c = Collection::named("n").with_images(&["nginx*", "-nginx:latest"]);
        assert!(collection_matches(&c, &hub("nginx", "1.25")));
        assert!(!collection_matches(&c, &hub("nginx", "latest")));
        // Only exclusions: everything else is in.
        let c = Collection::named("n").with_images(&["-*:dev"]);
        assert!(collection_matches(&c, &hub("nginx", "1.25")));
        assert!(!collection_matches(&c, &hub("nginx", "dev")));
    }

    #[test]
    fn fields_combine_with_and() {
        let c = Collection::named("prod")
            .with_images(&["nginx*"])
            .with_labels(&["env:prod"]);
        let img = hub("nginx", "1").with_label("env", "prod");
        assert!(collection_matches(&c, &img));
        assert!(!collection_matches(&c, &hub("nginx", "1")));
        assert!(!collection_matches(
            &c,
            &hub("nginx", "1").with_label("env", "dev")
        ));
        let c = Collection::named("h").with_hosts(&["scanner-*"]);
        assert!(collection_matches(
            &c,
            &hub("x", "1").with_host("scanner-2")
        ));
        assert!(!collection_matches(&c, &hub("x", "1")));
    }

    #[test]
    fn os_pseudo_labels() {
        let labels = std::collections::BTreeMap::new();
        let img = hub("debian", "12").with_config_labels(&labels, "debian", "12");
        let c = Collection::named("d").with_labels(&["osDistro:debian"]);
        assert!(collection_matches(&c, &img));
    }

    #[test]
    fn matching_names_start_with_all() {
        let cat = vec![
            Collection::named("web").with_images(&["nginx*"]),
            Collection::named("db").with_images(&["postgres*"]),
        ];
        assert_eq!(
            matching_collections(&cat, &hub("nginx", "1")),
            vec!["All", "web"]
        );
    }
}
