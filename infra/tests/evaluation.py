"""Requests as AWS would see them, evaluated against infra/'s rendered policies.

`CASES` are the requests a staff member, the daemon, an admin and strangers make, each
with the request context AWS builds for it: the principal (an assumed-role session), the
`aws:PrincipalArn` of its role, TLS, and the S3 keys of the request (`s3:if-none-match`
when the If-None-Match header is sent, `s3:ObjectCreationOperation` true for PutObject,
CopyObject and CompleteMultipartUpload, false for CreateMultipartUpload and UploadPart,
`s3:x-amz-server-side-encryption-customer-algorithm` for SSE-C). `evaluate` renders the
policies from infra/ (policies.py) and runs every case through @cloud-copilot/iam-simulate
(node, infra/tests/iam). An overwrite cannot be told from a new object by IAM, which sees
no bucket contents: an overwrite is a PUT without If-None-Match (IAM denies it) or with it
(IAM allows it and S3 answers 412 Precondition Failed because the key exists).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from policies import COGNITO, STORAGE, cognito_policies, storage_policies

IAM_DIR = Path(__file__).resolve().parent / "iam"
ACCOUNT = "111122223333"
BUCKET = "acme-studio-photos"
# As examples/studio names them: the identity pool is "lightbox_studio", its group roles
# "<pool>-<group>"; the daemon's role is "<name>-daemon".
ROLES = {
    "staff": "lightbox_studio-staff",
    "admin": "lightbox_studio-admins",
    "daemon": "lightbox-studio-daemon",
    "signed-in, no group": "lightbox_studio-signed-in",
}
POOL_ARN = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_AbCdEf123"
OTHER_POOL_ARN = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Other0000"
ORIGINAL = "originals/2026/12/03/DSC_0001.NEF"
PREVIEW = "previews/thumb/2026/12/03/DSC_0001.NEF.jpg"

ALLOWED = "Allowed"
DENIED = "denied"  # implicitly or explicitly
EXPLICIT = "ExplicitlyDenied"


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # a key of ROLES, or "anonymous"
    action: str
    key: str | None  # None: the bucket itself
    expected: str  # ALLOWED, DENIED, or EXPLICIT (a Deny statement must say no)
    headers: dict[str, str] = field(default_factory=dict)
    creates_object: bool | None = None  # s3:ObjectCreationOperation, for s3:PutObject
    tls: bool = True
    extra_identity_policy: dict | None = None
    arn: str | None = None  # a non-S3 resource (the user pool); `key` is then unused


def _widened() -> dict:
    """A staff policy someone widened by mistake: s3:* on the bucket."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]}]}


INM = {"s3:if-none-match": "*"}
CASES = [
    Case("staff PutObject of a new original with If-None-Match", "staff", "s3:PutObject", ORIGINAL, ALLOWED,
         INM, creates_object=True),
    Case("staff PutObject of an original without If-None-Match", "staff", "s3:PutObject", ORIGINAL, DENIED,
         creates_object=True),
    Case("staff overwrite of an existing original (If-Match, no If-None-Match)", "staff", "s3:PutObject", ORIGINAL,
         DENIED, {"s3:if-match": '"5d41402abc4b2a76b9719d911017c592"'}, creates_object=True),
    Case("staff CreateMultipartUpload / UploadPart of an original", "staff", "s3:PutObject", ORIGINAL, ALLOWED,
         creates_object=False),
    Case("staff CompleteMultipartUpload with If-None-Match", "staff", "s3:PutObject", ORIGINAL, ALLOWED,
         INM, creates_object=True),
    Case("staff CompleteMultipartUpload without If-None-Match", "staff", "s3:PutObject", ORIGINAL, DENIED,
         creates_object=True),
    Case("staff CopyObject onto an original", "staff", "s3:PutObject", ORIGINAL, DENIED,
         {"s3:x-amz-copy-source": f"{BUCKET}/originals/2026/12/01/other.NEF"}, creates_object=True),
    Case("staff PutObject of a new preview with If-None-Match", "staff", "s3:PutObject", PREVIEW, ALLOWED,
         INM, creates_object=True),
    Case("staff PutObject of a preview without If-None-Match (replacing one)", "staff", "s3:PutObject", PREVIEW,
         DENIED, creates_object=True),
    Case("staff PutObject under another prefix (trash/)", "staff", "s3:PutObject", "trash/x.jpg", DENIED,
         INM, creates_object=True),
    Case("staff PutObject at the bucket's top level", "staff", "s3:PutObject", "x.jpg", DENIED,
         INM, creates_object=True),
    Case("staff PutObject with SSE-C", "staff", "s3:PutObject", ORIGINAL, EXPLICIT,
         {**INM, "s3:x-amz-server-side-encryption-customer-algorithm": "AES256"}, creates_object=True),
    Case("staff DeleteObject of an original", "staff", "s3:DeleteObject", ORIGINAL, DENIED),
    Case("staff DeleteObjectVersion", "staff", "s3:DeleteObjectVersion", ORIGINAL, DENIED),
    Case("staff DeleteObject with s3:* added to its role by mistake", "staff", "s3:DeleteObject", ORIGINAL, EXPLICIT,
         extra_identity_policy=_widened()),
    Case("staff GetObject of an original (gallery)", "staff", "s3:GetObject", ORIGINAL, ALLOWED),
    Case("staff GetObject of a preview (gallery)", "staff", "s3:GetObject", PREVIEW, ALLOWED),
    Case("staff ListBucket (gallery)", "staff", "s3:ListBucket", None, ALLOWED),
    Case("staff ListBucketVersions", "staff", "s3:ListBucketVersions", None, DENIED),
    Case("daemon PutObject of a new original with If-None-Match", "daemon", "s3:PutObject", ORIGINAL, ALLOWED,
         INM, creates_object=True),
    Case("daemon PutObject of an original without If-None-Match", "daemon", "s3:PutObject", ORIGINAL, DENIED,
         creates_object=True),
    Case("daemon GetObject of an original (verify)", "daemon", "s3:GetObject", ORIGINAL, ALLOWED),
    Case("daemon GetObject of a preview", "daemon", "s3:GetObject", PREVIEW, DENIED),
    Case("daemon GetObject under another prefix", "daemon", "s3:GetObject", "trash/probe", DENIED),
    Case("daemon DeleteObject", "daemon", "s3:DeleteObject", ORIGINAL, DENIED),
    Case("admin DeleteObject of an original", "admin", "s3:DeleteObject", ORIGINAL, ALLOWED),
    Case("admin DeleteObject of a preview", "admin", "s3:DeleteObject", PREVIEW, ALLOWED),
    Case("admin undo: DeleteObjectVersion of the delete marker", "admin", "s3:DeleteObjectVersion", ORIGINAL, ALLOWED),
    Case("admin restore: ListBucketVersions", "admin", "s3:ListBucketVersions", None, ALLOWED),
    Case("admin restore: GetObjectVersion", "admin", "s3:GetObjectVersion", ORIGINAL, ALLOWED),
    Case("admin GetBucketVersioning (is undo possible?)", "admin", "s3:GetBucketVersioning", None, ALLOWED),
    Case("admin PutObject of an original without If-None-Match", "admin", "s3:PutObject", ORIGINAL, DENIED,
         creates_object=True),
    Case("admin DeleteObject over plain HTTP", "admin", "s3:DeleteObject", ORIGINAL, EXPLICIT, tls=False),
    Case("unauthenticated GetObject", "anonymous", "s3:GetObject", ORIGINAL, DENIED),
    Case("unauthenticated PutObject with If-None-Match", "anonymous", "s3:PutObject", ORIGINAL, DENIED,
         INM, creates_object=True),
    Case("signed in, in no group (the pool's default role) GetObject", "signed-in, no group", "s3:GetObject",
         ORIGINAL, DENIED),
    # The team (the app's Team screen, `lightbox users`): Cognito admin actions, admins only,
    # on the studio's own pool only.
    Case("admin AdminCreateUser (invite) in the studio's pool", "admin", "cognito-idp:AdminCreateUser", None,
         ALLOWED, arn=POOL_ARN),
    Case("admin AdminDisableUser in the studio's pool", "admin", "cognito-idp:AdminDisableUser", None,
         ALLOWED, arn=POOL_ARN),
    Case("admin ListUsers of the studio's pool", "admin", "cognito-idp:ListUsers", None, ALLOWED, arn=POOL_ARN),
    Case("admin AdminCreateUser in another pool", "admin", "cognito-idp:AdminCreateUser", None, DENIED,
         arn=OTHER_POOL_ARN),
    Case("admin DeleteUserPool", "admin", "cognito-idp:DeleteUserPool", None, DENIED, arn=POOL_ARN),
    Case("admin UpdateUserPool (policy, MFA)", "admin", "cognito-idp:UpdateUserPool", None, DENIED, arn=POOL_ARN),
    Case("staff AdminCreateUser (invite)", "staff", "cognito-idp:AdminCreateUser", None, DENIED, arn=POOL_ARN),
    Case("staff AdminAddUserToGroup (promote themselves)", "staff", "cognito-idp:AdminAddUserToGroup", None, DENIED,
         arn=POOL_ARN),
    Case("daemon ListUsers", "daemon", "cognito-idp:ListUsers", None, DENIED, arn=POOL_ARN),
]


def _role_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role}"


def request(case: Case, policies: dict[str, dict]) -> dict:
    """The evaluator's input for one case: the request context AWS would build."""
    resource = case.arn or f"arn:aws:s3:::{BUCKET}" + (f"/{case.key}" if case.key is not None else "")
    context: dict[str, str] = {"aws:SecureTransport": "true" if case.tls else "false"}
    identity: list[dict] = []
    principal = None
    if case.who != "anonymous":
        role = ROLES[case.who]
        principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session-1"
        context |= {"aws:PrincipalArn": _role_arn(role), "aws:PrincipalAccount": ACCOUNT}
        by_role = {"staff": "staff", "admin": "admin", "daemon": "daemon"}
        if case.who in by_role:
            identity.append(policies[by_role[case.who]])
        if case.who == "admin":  # examples/studio merges the team policy into the admins' role
            identity.append(policies["user_admin"])
    if case.extra_identity_policy:
        identity.append(case.extra_identity_policy)
    if case.creates_object is not None:
        context["s3:ObjectCreationOperation"] = "true" if case.creates_object else "false"
    context |= case.headers
    # The bucket policy is the bucket's; a user pool has no resource policy.
    resource_policy = policies["bucket"] if case.action.startswith("s3:") else None
    return {"name": case.name, "principal": principal, "action": case.action, "resource": resource,
            "context": context, "identityPolicies": identity, "resourcePolicy": resource_policy}


def evaluate(cases: list[Case] = CASES, storage: Path = STORAGE, cognito: Path = COGNITO) -> list[dict]:
    """Each case with its expected and actual result, policies rendered from `storage` and
    `cognito`."""
    policies = storage_policies(BUCKET, [_role_arn(ROLES["admin"])], module_dir=storage)
    policies |= cognito_policies(POOL_ARN, module_dir=cognito)
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH: scripts/install-system.sh installs it")
    if not (IAM_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise RuntimeError(f"{IAM_DIR}/node_modules is missing: run scripts/install-infra-tools.sh")
    payload = json.dumps({"accountId": ACCOUNT, "cases": [request(c, policies) for c in cases]})
    out = subprocess.run([node, str(IAM_DIR / "evaluate.mjs")], input=payload, capture_output=True,
                         text=True, check=True, cwd=IAM_DIR)
    results = {r["name"]: r for r in json.loads(out.stdout)}
    rows = []
    for c in cases:
        r = results[c.name]
        ok = (r["result"] == ALLOWED) if c.expected == ALLOWED else (
            r["result"] == EXPLICIT if c.expected == EXPLICIT else r["result"] in ("ImplicitlyDenied", EXPLICIT))
        rows.append({"case": c.name, "expected": c.expected, "result": r["result"], "ok": ok,
                     "ignored": r.get("ignoredContextKeys", [])})
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table (case, expected, result)."""
    lines = ["| case | expected | result | |", "|---|---|---|---|"]
    lines += [f"| {r['case']} | {r['expected']} | {r['result']} | {'ok' if r['ok'] else 'WRONG'} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    found = evaluate()
    print(table(found))
    failed = sum(not r["ok"] for r in found)
    print(f"{len(found) - failed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)
