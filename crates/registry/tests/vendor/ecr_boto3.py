"""boto3 (AWS's own SDK) against the ECR simulator of crowsnest-testkit: proves the simulator
answers as AWS does. Run by the Rust test `sim_ecr::boto3_speaks_to_the_simulator`.

argv: SIM_INFO_JSON (the `registry-sim` line). Prints "ok" and exits 0, or raises.
"""
import base64
import json
import os
import tempfile
import sys
import urllib.request

import boto3
from botocore.exceptions import ClientError

info = json.loads(sys.argv[1])
url = info["env"]["AWS_ENDPOINT_URL_ECR"]
region = info["env"]["AWS_REGION"]
reader_key = info["credential"]["accountID"]
reader_secret = info["credential"]["secret"]["plain"]
consts = json.loads(sys.argv[2])


def client(service, key, secret, token=None):
    return boto3.client(service, endpoint_url=url, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        aws_session_token=token)


def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], \
            e.response["Error"].get("Message", "")
    raise AssertionError("expected an error")


ecr = client("ecr", reader_key, reader_secret)

# Every repository and every tagged image, through boto3's own paginators (the simulator pages
# by 2, so several pages each).
repos = []
pages = 0
for page in ecr.get_paginator("describe_repositories").paginate():
    pages += 1
    repos += [r["repositoryName"] for r in page["repositories"]]
found = []
for repo in repos:
    for page in ecr.get_paginator("describe_images").paginate(
            repositoryName=repo, filter={"tagStatus": "TAGGED"}):
        pages += 1
        for d in page["imageDetails"]:
            assert d["imagePushedAt"].tzinfo is not None  # parsed as a timestamp
            for t in d["imageTags"]:
                found.append({"repo": repo, "tag": t, "digest": d["imageDigest"]})
    ids = [i for page in ecr.get_paginator("list_images").paginate(repositoryName=repo)
           for i in page["imageIds"]]
    assert len(ids) == len([f for f in found if f["repo"] == repo]), ids
assert pages > len(repos) + 1, pages  # some listing needed a second page
key = lambda i: (i["repo"], i["tag"])
assert sorted(found, key=key) == sorted(info["images"], key=key), (found, info["images"])

# The v2 login: Basic AWS:<password> opens the real registry behind.
auth = ecr.get_authorization_token()["authorizationData"][0]
user, password = base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)
assert user == "AWS" and auth["expiresAt"].tzinfo is not None
first = info["images"][0]
req = urllib.request.Request(
    f"{auth['proxyEndpoint']}/v2/{first['repo']}/manifests/{first['tag']}",
    headers={"Authorization": "Basic " + auth["authorizationToken"],
             "Accept": "application/vnd.oci.image.manifest.v1+json, "
                       "application/vnd.docker.distribution.manifest.v2+json"})
with urllib.request.urlopen(req) as resp:
    assert resp.headers["Docker-Content-Digest"] == first["digest"]

# AWS's refusals, as botocore reads them.
code = error_code(lambda: client("ecr", reader_key, "wrong").describe_repositories())
assert code[:2] == ("InvalidSignatureException", 403), code
code = error_code(lambda: client("ecr", "AKIAUNKNOWN000000000", "x").describe_repositories())
assert code[:2] == ("UnrecognizedClientException", 403), code
nodesc = client("ecr", *consts["no_describe"])
nodesc.describe_repositories()
code = error_code(lambda: nodesc.describe_images(repositoryName=repos[0]))
assert code[0] == "AccessDeniedException" and "ecr:DescribeImages" in code[2], code
code = error_code(lambda: client("ecr", *consts["expired"]).describe_repositories())
assert code[:2] == ("ExpiredTokenException", 403), code
code = error_code(lambda: ecr.describe_images(repositoryName=repos[0], nextToken="bogus"))
assert code[0] == "InvalidParameterException", code
code = error_code(lambda: ecr.describe_images(repositoryName="no/such"))
assert code[0] == "RepositoryNotFoundException", code

# STS: the role, with and without its external ID.
sts = boto3.client("sts", endpoint_url=info["env"]["AWS_ENDPOINT_URL_STS"], region_name=region,
                   aws_access_key_id=reader_key, aws_secret_access_key=reader_secret)
code = error_code(lambda: sts.assume_role(RoleArn=consts["role_arn"], RoleSessionName="boto3-test"))
assert code[0] == "AccessDenied", code
creds = sts.assume_role(RoleArn=consts["role_arn"], RoleSessionName="boto3-test",
                        ExternalId=consts["external_id"])["Credentials"]
assumed = client("ecr", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
assert assumed.describe_repositories()["repositories"]

# Without keys: boto3's own credential chain finds the instance role through IMDSv2, then a
# pod's web identity through STS (both served by the simulator).
for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]:
    os.environ.pop(k, None)
os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent"
os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = url
session = boto3.session.Session(region_name=region)
assert session.get_credentials().method == "iam-role", session.get_credentials().method
assert session.client("ecr", endpoint_url=url).describe_repositories()["repositories"]
with tempfile.NamedTemporaryFile("w", suffix=".token") as f:
    f.write(consts["web_identity_token"])
    f.flush()
    os.environ["AWS_WEB_IDENTITY_TOKEN_FILE"] = f.name
    os.environ["AWS_ROLE_ARN"] = consts["role_arn"]
    os.environ["AWS_ENDPOINT_URL_STS"] = info["env"]["AWS_ENDPOINT_URL_STS"]
    session = boto3.session.Session(region_name=region)
    assert session.get_credentials().method == "assume-role-with-web-identity"
    assert session.client("ecr", endpoint_url=url).describe_repositories()["repositories"]
print("ok")
