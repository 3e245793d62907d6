"""python-gitlab (GitLab's client library from PyPI) against Crowsnest's GitLab simulator.

Run by crates/registry/tests/tests/sim_gitlab.rs with one JSON argument naming the simulator's
URL, its tokens and what it must serve. Every call here is the library's own: the simulator is
faithful when the library reads it without complaint and gets what GitLab would give. Prints
one line per check and exits non-zero on the first failure.
"""

import json
import sys

import gitlab
from gitlab import exceptions

args = json.loads(sys.argv[1])
url = args["url"]
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAILED: {what}")
        sys.exit(1)
    checks += 1
    print(f"ok: {what}")


# per_page=2 against a simulator paging two at a time: every list below spans pages, and
# get_all follows GitLab's Link header to the end.
gl = gitlab.Gitlab(url, private_token=args["token"], per_page=2)
gl.auth()
check(gl.user.username == "crow", "auth() reads the token's user from /user")

group = gl.groups.get(args["acme_group"])
check(group.full_path == "acme", "groups.get by ID")
repos = sorted(r.path for r in group.registry_repositories.list(get_all=True))
check(repos == sorted(args["acme_repos"]), f"group registry repositories, subgroups included: {repos}")
sub = gl.groups.get("acme/platform")
check(sub.parent_id == group.id, "groups.get by URL-encoded full path; parent_id links subgroups")
projects = sorted(p.path_with_namespace for p in group.projects.list(get_all=True, include_subgroups=True))
check(projects == sorted(args["acme_repos"]), "group projects with include_subgroups")

project = gl.projects.get(args["api_project"])
check(project.path_with_namespace == "acme/platform/team/api", "projects.get")
[repo] = project.repositories.list(get_all=True)
check(repo.path == "acme/platform/team/api" and repo.name == "", "the project's root repository")
tags = repo.tags.list(get_all=True)
check(sorted(t.name for t in tags) == sorted(args["api_tags"]), f"all {len(tags)} tags over pages of 2")
first_page = repo.tags.list(get_all=False)
check(len(first_page) == 2, "one page holds per_page tags")
pages = repo.tags.list(iterator=True)
check(pages.total == len(args["api_tags"]) and pages.total_pages == 13, "X-Total and X-Total-Pages")
detail = repo.tags.get(id="v25")
check(detail.digest == args["v25_digest"], "tag details carry the manifest digest")
check(detail.created_at.startswith("2024-01-25"), "tag details carry created_at")

mine = gl.users.get(1).projects.list(get_all=True)
check([p.path_with_namespace for p in mine] == ["crow/personal"], "a user's own projects")

try:
    gl.groups.get(424242)
    check(False, "an unknown group is refused")
except exceptions.GitlabGetError as e:
    check(e.response_code == 404 and "404 Group Not Found" in str(e), f"unknown group: {e}")

for token, code, what in [
    (args["wrong"], 401, "a wrong token"),
    (args["expired"], 401, "an expired token"),
]:
    try:
        gitlab.Gitlab(url, private_token=token).auth()
        check(False, f"{what} is refused")
    except exceptions.GitlabAuthenticationError as e:
        check(e.response_code == code, f"{what}: {e}")

try:
    gitlab.Gitlab(url, private_token=args["registry_only"]).groups.get(args["acme_group"])
    check(False, "a token without read_api is refused")
except exceptions.GitlabGetError as e:
    check(e.response_code == 403 and "insufficient_scope" in str(e), f"no read_api: {e}")

print(f"{checks} checks passed")
