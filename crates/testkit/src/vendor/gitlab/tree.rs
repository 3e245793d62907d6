//! The GitLab namespace tree the simulator derives from the upstream registry's repositories,
//! and the JSON GitLab's API gives for each object (docs.gitlab.com/api: groups, projects,
//! users, container_registry).
//!
//! Each upstream repository with at least two path segments is the root registry repository of
//! one project whose full path is the repository's name: `acme/platform/team/api` is project
//! `api` in subgroup `acme/platform/team` of subgroup `acme/platform` of top-level group `acme`.
//! A top-level namespace named like one of [`USERS`] is that user's personal namespace instead
//! of a group. One-segment repositories have no GitLab equivalent and are not served.

use super::super::{Upstream, UpstreamImage};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The simulator's users: (id, username). The first owns every token.
pub(crate) const USERS: &[(u64, &str)] = &[(1, "crow"), (2, "jay")];

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) id: u64,
    pub(crate) full_path: String,
    pub(crate) parent: Option<u64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub(crate) id: u64,
    pub(crate) full_path: String,
    /// The group (or the user, for a personal project) the project sits in.
    pub(crate) namespace: Namespace,
    /// The registry repository's ID (one per project: its root repository).
    pub(crate) repository_id: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Namespace {
    Group(u64),
    User(u64),
}

/// Groups, projects and their tags, with stable IDs (sorted by path).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    pub(crate) groups: Vec<Group>,
    pub(crate) projects: Vec<Project>,
    /// Per project ID, its tags sorted by name.
    pub(crate) tags: BTreeMap<u64, Vec<UpstreamImage>>,
}

impl Tree {
    pub(crate) fn of(upstream: &Upstream) -> Tree {
        let mut tree = Tree::default();
        let mut group_ids: BTreeMap<String, u64> = BTreeMap::new();
        for repo in upstream.repositories() {
            let parts: Vec<&str> = repo.split('/').collect();
            if parts.len() < 2 {
                continue;
            }
            let user = USERS.iter().find(|(_, name)| *name == parts[0]);
            let namespace = match user {
                Some((id, _)) if parts.len() == 2 => Namespace::User(*id),
                // Groups cannot sit in a personal namespace.
                Some(_) => continue,
                None => {
                    let mut parent = None;
                    for depth in 1..parts.len() {
                        let path = parts[..depth].join("/");
                        let next = 100 + group_ids.len() as u64;
                        let id = *group_ids.entry(path.clone()).or_insert_with(|| {
                            tree.groups.push(Group {
                                id: next,
                                full_path: path,
                                parent,
                            });
                            next
                        });
                        parent = Some(id);
                    }
                    Namespace::Group(parent.unwrap_or_default())
                }
            };
            let id = 1000 + tree.projects.len() as u64;
            tree.projects.push(Project {
                id,
                full_path: repo.to_string(),
                namespace,
                repository_id: 5000 + tree.projects.len() as u64,
            });
            tree.tags
                .insert(id, upstream.tags_of(repo).cloned().collect::<Vec<_>>());
        }
        tree
    }

    /// A group by numeric ID or full path.
    pub(crate) fn group(&self, id: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.id.to_string() == id || g.full_path == id)
    }

    /// A project by numeric ID or full path.
    pub(crate) fn project(&self, id: &str) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| p.id.to_string() == id || p.full_path == id)
    }

    /// A user by numeric ID or username.
    pub(crate) fn user(&self, id: &str) -> Option<(u64, &'static str)> {
        USERS
            .iter()
            .find(|(n, name)| n.to_string() == id || *name == id)
            .copied()
    }

    /// The projects in `group` and all its subgroups.
    pub(crate) fn projects_under(&self, group: &Group) -> Vec<&Project> {
        let prefix = format!("{}/", group.full_path);
        self.projects
            .iter()
            .filter(|p| p.full_path.starts_with(&prefix))
            .collect()
    }

    /// Every image a spec over all projects discovers.
    pub(crate) fn images(&self) -> Vec<UpstreamImage> {
        let mut all: Vec<UpstreamImage> = self.tags.values().flatten().cloned().collect();
        all.sort_by(|a, b| (&a.repo, &a.tag).cmp(&(&b.repo, &b.tag)));
        all
    }

    pub(crate) fn group_json(&self, g: &Group, base: &str) -> Value {
        let path = g.full_path.rsplit('/').next().unwrap_or_default();
        json!({
            "id": g.id, "web_url": format!("{base}/groups/{}", g.full_path), "name": path,
            "path": path, "description": "", "visibility": "private",
            "full_name": g.full_path.replace('/', " / "), "full_path": g.full_path,
            "parent_id": g.parent, "created_at": "2024-01-01T00:00:00.000Z",
        })
    }

    pub(crate) fn project_json(&self, p: &Project, base: &str) -> Value {
        let (ns_path, name) = p.full_path.rsplit_once('/').unwrap_or(("", &p.full_path));
        let namespace = match p.namespace {
            Namespace::Group(id) => json!({
                "id": id, "name": ns_path.rsplit('/').next(), "path": ns_path.rsplit('/').next(),
                "kind": "group", "full_path": ns_path,
                "parent_id": self.groups.iter().find(|g| g.id == id).and_then(|g| g.parent),
            }),
            Namespace::User(id) => json!({
                "id": id, "name": ns_path, "path": ns_path, "kind": "user",
                "full_path": ns_path, "parent_id": null,
            }),
        };
        json!({
            "id": p.id, "description": null, "name": name, "name_with_namespace":
            p.full_path.replace('/', " / "), "path": name, "path_with_namespace": p.full_path,
            "created_at": "2024-01-01T00:00:00.000Z", "default_branch": "main",
            "web_url": format!("{base}/{}", p.full_path), "namespace": namespace,
            "container_registry_enabled": true,
        })
    }

    pub(crate) fn user_json(id: u64, username: &str, base: &str) -> Value {
        json!({
            "id": id, "username": username, "name": username, "state": "active",
            "locked": false, "avatar_url": null, "web_url": format!("{base}/{username}"),
        })
    }

    /// A registry repository (`GET …/registry/repositories`); `tags` adds the tag list and
    /// `tags_count` its length, as the `tags` and `tags_count` parameters ask.
    pub(crate) fn repository_json(
        &self,
        p: &Project,
        host: &str,
        tags: bool,
        tags_count: bool,
    ) -> Value {
        let mut v = json!({
            "id": p.repository_id, "name": "", "path": p.full_path, "project_id": p.id,
            "location": format!("{host}/{}", p.full_path),
            "created_at": "2024-01-01T00:00:00.000Z",
            "cleanup_policy_started_at": null, "status": null,
        });
        let list = self.tags.get(&p.id).map(Vec::as_slice).unwrap_or_default();
        if tags {
            v["tags"] = list.iter().map(|t| tag_json(t, host)).collect();
        }
        if tags_count {
            v["tags_count"] = json!(list.len());
        }
        v
    }
}

/// A tag as the tag list gives it: name, path and location only.
pub(crate) fn tag_json(t: &UpstreamImage, host: &str) -> Value {
    json!({
        "name": t.tag, "path": format!("{}:{}", t.repo, t.tag),
        "location": format!("{host}/{}:{}", t.repo, t.tag),
    })
}

/// A tag's details (`GET …/tags/:tag_name`): its digest, and `created_at`, the date the
/// discovery orders a `cap` by (here the image config's `created`).
pub(crate) fn tag_detail_json(t: &UpstreamImage, host: &str) -> Value {
    let revision = t.digest.trim_start_matches("sha256:");
    let mut v = tag_json(t, host);
    v["revision"] = json!(revision);
    v["short_revision"] = json!(revision.get(..9).unwrap_or(revision));
    v["digest"] = json!(t.digest);
    v["created_at"] = json!(t.created);
    // Not computed: the simulator does not sum layer sizes.
    v["total_size"] = json!(0);
    v
}
