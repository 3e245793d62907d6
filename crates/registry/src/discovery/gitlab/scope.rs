//! Which GitLab registries a `gitlabRegistrySpec` covers, by Prisma's precedence rules
//! (api-reference §10, from Prisma's scan-gitlab guide):
//!
//! | set                       | listed                                                    |
//! |---------------------------|-----------------------------------------------------------|
//! | user only                 | the registries of the user's own projects                 |
//! | user + project            | the projects (the user is ignored)                        |
//! | user + group              | the groups (the user is ignored)                          |
//! | project + group (± user)  | the projects that lie within one of the groups (AND)      |
//! | group                     | each group's registries, its subgroups' included          |
//!
//! `excludedGroupIDs` removes every repository of an excluded group and of its subgroups,
//! whatever listed it. Kept apart from the HTTP so the rules are tested as a table.

use crowsnest_model::spec::GitlabRegistrySpec;

/// Where the repositories come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listing {
    /// `GET /users/:id/projects`, then each project's registry. Only this user: never every
    /// visible user or project (NeuVector's walk of all of gitlab.com, neuvector#1366).
    User(String),
    /// `GET /projects/:id/registry/repositories` per project; when `within` names groups, only
    /// the repositories of projects inside one of them.
    Projects {
        ids: Vec<String>,
        within: Vec<String>,
    },
    /// `GET /groups/:id/registry/repositories` per group (GitLab includes subgroups).
    Groups(Vec<String>),
}

/// A spec's listing with its exclusions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    pub(crate) listing: Listing,
    pub(crate) excluded_groups: Vec<String>,
}

impl Scope {
    /// The scope of a cleaned spec (at least one of user, projects and groups is set: the
    /// model checks that when the specification is saved).
    pub(crate) fn of(spec: &GitlabRegistrySpec) -> Scope {
        let listing = match (spec.project_ids.is_empty(), spec.group_ids.is_empty()) {
            (false, false) => Listing::Projects {
                ids: spec.project_ids.clone(),
                within: spec.group_ids.clone(),
            },
            (false, true) => Listing::Projects {
                ids: spec.project_ids.clone(),
                within: Vec::new(),
            },
            (true, false) => Listing::Groups(spec.group_ids.clone()),
            (true, true) => Listing::User(spec.user_id.clone()),
        };
        Scope {
            listing,
            excluded_groups: spec.excluded_group_ids.clone(),
        }
    }
}

/// True when the repository at `path` (`group/sub/project[/name]`) lies in the group whose
/// full path is `group`, directly or in a subgroup.
pub(crate) fn within(path: &str, group: &str) -> bool {
    let group = group.trim_matches('/');
    !group.is_empty()
        && path
            .strip_prefix(group)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(user: &str, projects: &[&str], groups: &[&str]) -> GitlabRegistrySpec {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        GitlabRegistrySpec {
            user_id: user.into(),
            project_ids: v(projects),
            group_ids: v(groups),
            excluded_group_ids: vec!["9".into()],
            api_domain_name: String::new(),
        }
    }

    #[test]
    fn prisma_precedence() {
        let projects = |ids: &[&str], within: &[&str]| Listing::Projects {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            within: within.iter().map(|s| s.to_string()).collect(),
        };
        let table = [
            (spec("u", &[], &[]), Listing::User("u".into())),
            (spec("u", &["1"], &[]), projects(&["1"], &[])),
            (spec("u", &[], &["2"]), Listing::Groups(vec!["2".into()])),
            (spec("u", &["1"], &["2"]), projects(&["1"], &["2"])),
            (spec("", &["1", "3"], &["2"]), projects(&["1", "3"], &["2"])),
            (
                spec("", &[], &["2", "4"]),
                Listing::Groups(vec!["2".into(), "4".into()]),
            ),
        ];
        for (s, want) in table {
            let scope = Scope::of(&s);
            assert_eq!(scope.listing, want, "{s:?}");
            assert_eq!(scope.excluded_groups, ["9"]);
        }
    }

    #[test]
    fn subgroups_lie_within_their_group() {
        assert!(within("acme/platform/api", "acme"));
        assert!(within("acme/platform/api", "acme/platform/"));
        assert!(within("acme", "acme"));
        assert!(!within("acme-labs/api", "acme"));
        assert!(!within("other/acme/api", "acme"));
        assert!(!within("acme/api", ""));
    }
}
