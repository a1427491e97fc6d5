"""The local stack enforces the roles: signed-in users' own identity-pool credentials,
used with boto3 and aws-cli, are refused what their group may not do.

Run by scripts/test-iam-enforcement.sh (a step of scripts/test.sh) against a running stack
(`scripts/stack.sh up`), with the project venv's Python. Each case prints as a row of
case, expected, result; the last line is "N passed, N failed".

moto enforces the actions and resources of a role's policy but skips condition keys
(docs/local-stack.md). The rows marked "evaluator" are what AWS refuses through a
condition (an overwrite without If-None-Match) or through the bucket policy (SSE-C), which
the local stack cannot apply: they show what moto does and count neither way; those cases
rest on infra/tests/test_policy_evaluation.py, which evaluates them with a real IAM evaluator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

STATE = Path(os.environ.get("LIGHTBOX_STACK_DIR", Path.home() / ".cache" / "lightbox" / "stack")) / "stack.json"
PASSWORD = "Enforced-Pass-42"
EXISTING = "originals/2026/12/07/existing.jpg"
AWS_CLI = Path(sys.executable).with_name("aws")


@dataclass
class Row:
    case: str
    expected: str
    result: str
    counts: bool = True

    @property
    def ok(self) -> bool:
        return self.result == self.expected


def code(call) -> str:  # noqa: ANN001
    """"ok", or the S3/Cognito error code a call fails with."""
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


class Stack:
    def __init__(self) -> None:
        info = json.loads(STATE.read_text(encoding="utf-8"))
        self.moto = info["moto"]
        self.endpoint = self.moto["endpoint"]
        self.region = info["region"]
        self.cognito = self.moto["cognito"]
        admin = {"aws_access_key_id": self.moto["access_key_id"], "aws_secret_access_key": self.moto["secret_access_key"]}
        self.admin_kw = {"endpoint_url": self.endpoint, "region_name": self.region, **admin}
        self.idp = boto3.client("cognito-idp", **self.admin_kw)
        unsigned = Config(signature_version=botocore.UNSIGNED)
        self.public_idp = boto3.client("cognito-idp", endpoint_url=self.endpoint, region_name=self.region, config=unsigned)
        self.public_identity = boto3.client("cognito-identity", endpoint_url=self.endpoint, region_name=self.region,
                                            config=unsigned)

    def s3(self, creds: dict, signature: str = "s3v4") -> object:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=self.region,
                            config=Config(s3={"addressing_style": "path"}, signature_version=signature), **creds)

    def user(self, *groups: str) -> str:
        name = f"iam-{'-'.join(groups) or 'nogroup'}-{uuid.uuid4().hex[:8]}"
        pool = self.cognito["user_pool_id"]
        self.idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS",
                                   UserAttributes=[{"Name": "email", "Value": f"{name}@studio.local"}])
        self.idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
        for group in groups:
            self.idp.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName=group)
        return name

    def identity_credentials(self, username: str) -> dict:
        """What the app does: sign in, then the identity pool's GetId and GetCredentialsForIdentity."""
        auth = self.public_idp.initiate_auth(ClientId=self.cognito["client_id"], AuthFlow="USER_PASSWORD_AUTH",
                                             AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})
        token = auth["AuthenticationResult"]["IdToken"]
        logins = {self.cognito["issuer"].removeprefix("https://"): token}
        identity_id = self.public_identity.get_id(IdentityPoolId=self.cognito["identity_pool_id"], Logins=logins)["IdentityId"]
        creds = self.public_identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
        return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretKey"],
                "aws_session_token": creds["SessionToken"]}

    def daemon_credentials(self) -> dict:
        """The daemon's role policy (as provisioned from infra/) on a role this check may assume."""
        iam = boto3.client("iam", **self.admin_kw)
        policy = iam.get_role_policy(RoleName="lightbox-studio-daemon", PolicyName="bucket-access")["PolicyDocument"]
        name = f"daemon-check-{uuid.uuid4().hex[:8]}"
        me = boto3.client("sts", **self.admin_kw).get_caller_identity()["Arn"]
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": me}, "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName=name, PolicyName="bucket-access",
                            PolicyDocument=policy if isinstance(policy, str) else json.dumps(policy))
        role = boto3.client("sts", **self.admin_kw).assume_role(RoleArn=f"arn:aws:iam::123456789012:role/{name}",
                                                                RoleSessionName="daemon")["Credentials"]
        return {"aws_access_key_id": role["AccessKeyId"], "aws_secret_access_key": role["SecretAccessKey"],
                "aws_session_token": role["SessionToken"]}


def aws_cli(stack: Stack, creds: dict, *args: str) -> str:
    """aws-cli with a user's credentials in its environment: "ok" or the error code it prints."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"], "AWS_SESSION_TOKEN": creds["aws_session_token"],
           "AWS_DEFAULT_REGION": stack.region, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    done = subprocess.run([str(AWS_CLI), "--endpoint-url", stack.endpoint, *args], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode == 0:
        return "ok"
    for known in ("AccessDenied", "PreconditionFailed"):
        if known in done.stderr:
            return known
    return f"exit {done.returncode}: {done.stderr.strip()[-200:]}"


def main() -> int:
    stack = Stack()
    rows: list[Row] = []
    bucket = f"iam-enforcement-{uuid.uuid4().hex[:10]}"
    owner = stack.s3({k: stack.admin_kw[k] for k in ("aws_access_key_id", "aws_secret_access_key")})
    owner.create_bucket(Bucket=bucket)
    owner.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    owner.put_object(Bucket=bucket, Key=EXISTING, Body=b"the studio's photo", IfNoneMatch="*")

    staff = stack.identity_credentials(stack.user("staff"))
    s3 = stack.s3(staff)
    new_key = f"originals/2026/12/07/new-{uuid.uuid4().hex[:6]}.jpg"
    rows += [
        Row("staff PutObject of a new original with If-None-Match", "ok",
            code(lambda: s3.put_object(Bucket=bucket, Key=new_key, Body=b"new", IfNoneMatch="*"))),
        Row("staff PutObject onto an existing original with If-None-Match (S3 itself)", "PreconditionFailed",
            code(lambda: s3.put_object(Bucket=bucket, Key=EXISTING, Body=b"other", IfNoneMatch="*"))),
        Row("staff DeleteObject of an original", "AccessDenied",
            code(lambda: s3.delete_object(Bucket=bucket, Key=EXISTING))),
        Row("staff DeleteObjects (the gallery's batch delete)", "AccessDenied",
            _batch_delete(s3, bucket, [EXISTING])),
        Row("staff PutObject under another prefix (trash/)", "AccessDenied",
            code(lambda: s3.put_object(Bucket=bucket, Key="trash/x.jpg", Body=b"x", IfNoneMatch="*"))),
        Row("staff GetObject of an original", "ok", code(lambda: s3.get_object(Bucket=bucket, Key=EXISTING))),
        Row("staff presigned GET of an original, SigV4 (the gallery)", "200", _presigned_get(s3, bucket, EXISTING)),
        Row("staff presigned GET of an original, SigV2", "200", _presigned_get(stack.s3(staff, "s3"), bucket, EXISTING)),
        Row("staff presigned GET under another prefix", "403", _presigned_get(s3, bucket, "trash/x.jpg")),
        Row("staff multipart upload of a new original, If-None-Match on Complete", "ok",
            code(lambda: _multipart(s3, bucket, f"originals/2026/12/07/big-{uuid.uuid4().hex[:6]}.NEF"))),
        Row("staff overwrite without If-None-Match (AWS: denied by the condition)", "AccessDenied",
            code(lambda: s3.put_object(Bucket=bucket, Key=EXISTING, Body=b"overwrite")), counts=False),
        Row("staff PutObject with SSE-C (AWS: denied by the bucket policy)", "AccessDenied",
            code(lambda: s3.put_object(Bucket=bucket, Key=f"originals/2026/12/07/ssec-{uuid.uuid4().hex[:6]}.jpg",
                                       Body=b"x", IfNoneMatch="*", SSECustomerAlgorithm="AES256",
                                       SSECustomerKey="k" * 32)), counts=False),
        Row("aws-cli, staff credentials: delete-object", "AccessDenied",
            aws_cli(stack, staff, "s3api", "delete-object", "--bucket", bucket, "--key", EXISTING)),
        Row("aws-cli, staff credentials: put-object --if-none-match '*' onto an existing key", "PreconditionFailed",
            aws_cli(stack, staff, "s3api", "put-object", "--bucket", bucket, "--key", EXISTING,
                    "--if-none-match", "*", "--body", "/etc/hostname")),
    ]

    daemon = stack.s3(stack.daemon_credentials())
    owner.put_object(Bucket=bucket, Key="previews/thumb/2026/12/07/existing.jpg.jpg", Body=b"jpeg")
    owner.put_object(Bucket=bucket, Key="trash/probe", Body=b"probe")
    rows += [
        Row("daemon GetObject of an original", "ok", code(lambda: daemon.get_object(Bucket=bucket, Key=EXISTING))),
        Row("daemon GetObject of a preview", "AccessDenied",
            code(lambda: daemon.get_object(Bucket=bucket, Key="previews/thumb/2026/12/07/existing.jpg.jpg"))),
        Row("daemon GetObject under another prefix", "AccessDenied",
            code(lambda: daemon.get_object(Bucket=bucket, Key="trash/probe"))),
        Row("daemon DeleteObject", "AccessDenied", code(lambda: daemon.delete_object(Bucket=bucket, Key=EXISTING))),
    ]

    admin = stack.s3(stack.identity_credentials(stack.user("admins")))
    marker: dict = {}
    rows += [
        Row("admin DeleteObject of an original", "ok",
            code(lambda: marker.update(admin.delete_object(Bucket=bucket, Key=EXISTING)))),
        Row("admin ListObjectVersions", "ok", code(lambda: admin.list_object_versions(Bucket=bucket, Prefix="originals/"))),
        Row("admin undo: DeleteObject of the delete marker's version", "ok",
            code(lambda: admin.delete_object(Bucket=bucket, Key=EXISTING, VersionId=marker["VersionId"]))),
        Row("admin GetObject after the undo", "ok", code(lambda: admin.get_object(Bucket=bucket, Key=EXISTING))),
    ]

    nobody = stack.user()
    both = stack.user("admins", "staff")
    rows += [
        Row("signed in, in no group: GetCredentialsForIdentity", "NotAuthorizedException",
            code(lambda: stack.identity_credentials(nobody))),
        Row("signed in, in admins and staff (Equals matches neither): GetCredentialsForIdentity",
            "NotAuthorizedException", code(lambda: stack.identity_credentials(both))),
        Row("unsigned GET of an original", "403", str(requests.get(f"{stack.endpoint}/{bucket}/{EXISTING}", timeout=10).status_code)),
    ]

    print("| case | expected | result | |")
    print("|---|---|---|---|")
    for r in rows:
        verdict = ("ok" if r.ok else "WRONG") if r.counts else "evaluator (moto skips it)"
        print(f"| {r.case} | {r.expected} | {r.result} | {verdict} |")
    counted = [r for r in rows if r.counts]
    failed = sum(not r.ok for r in counted)
    print(f"{len(counted) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _presigned_get(s3, bucket: str, key: str) -> str:  # noqa: ANN001
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    return str(requests.get(url, timeout=10).status_code)


def _batch_delete(s3, bucket: str, keys: list[str]) -> str:  # noqa: ANN001
    reply = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    errors = {e["Code"] for e in reply.get("Errors", [])}
    return "ok" if not errors and reply.get("Deleted") else ",".join(sorted(errors))


def _multipart(s3, bucket: str, key: str) -> None:  # noqa: ANN001
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"p" * 1024)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, IfNoneMatch="*",
                                 MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})


if __name__ == "__main__":
    sys.exit(main())
