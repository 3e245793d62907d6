"""Drives the Harbor simulator with `harborapi` (PyPI), an independent Harbor v2.0 client whose
pydantic models are generated from Harbor's swagger: every listing is parsed and validated by
them, its `Link` paging followed, repository names encoded by it (twice), and its exceptions
read Harbor's error body. Prints one JSON object for the Rust test to check.

usage: harbor_client.py URL USER SECRET
"""

import asyncio
import json
import sys

from harborapi import HarborAsyncClient
from harborapi.exceptions import Forbidden, Unauthorized


async def main(url: str, user: str, secret: str) -> dict:
    client = HarborAsyncClient(url=f"{url}/api/v2.0", username=user, secret=secret, timeout=20)
    out: dict = {"projects": [], "artifacts": {}}
    for project in await client.get_projects(page_size=2):
        out["projects"].append(project.name)
        for repo in await client.get_repositories(project.name, page_size=2):
            # harborapi wants the name without the project and encodes it itself.
            name = repo.name.split("/", 1)[1]
            arts = await client.get_artifacts(project.name, name, page_size=2, with_tag=True)
            out["artifacts"][repo.name] = [
                {
                    "digest": a.digest,
                    "type": a.type,
                    "tags": sorted(t.name for t in (a.tags or [])),
                    "push_time": a.push_time.isoformat() if a.push_time else None,
                }
                for a in arts
            ]
    wrong = HarborAsyncClient(url=f"{url}/api/v2.0", username=user, secret="wrong", timeout=20)
    try:
        await wrong.get_projects()
        out["wrong_secret"] = "accepted"
    except Unauthorized as e:
        out["wrong_secret"] = [err.code for err in e.errors]
    nolist = HarborAsyncClient(
        url=f"{url}/api/v2.0", username="robot$nolist", secret="nolist-secret", timeout=20
    )
    try:
        await nolist.get_repositories("team")
        out["nolist"] = "accepted"
    except Forbidden as e:
        out["nolist"] = [err.code for err in e.errors]
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:4]))))
