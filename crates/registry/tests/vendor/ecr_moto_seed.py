"""Seeds a `moto` server (an independent ECR implementation) with repositories and images
through boto3, and prints what an `aws` specification covering all of it must discover:
[{"repo", "tag", "digest"}]. Run by the Rust test `sim_ecr::our_client_against_moto`.

argv: MOTO_URL
"""
import hashlib
import json
import sys

import boto3

ecr = boto3.client("ecr", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="AKIAMOTO", aws_secret_access_key="moto-secret")
images = []
for repo, tags in [("team/api", ["1.0", "1.1", "latest"]), ("web", ["2.0"]), ("tools/x", ["a", "b"])]:
    ecr.create_repository(repositoryName=repo)
    for n, tag in enumerate(tags):
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": 7, "digest": "sha256:" + hashlib.sha256(f"{repo}{tag}".encode()).hexdigest()},
            "layers": [],
        })
        put = ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag,
                            imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json")
        images.append({"repo": repo, "tag": tag, "digest": put["image"]["imageId"]["imageDigest"]})
print(json.dumps(images))
