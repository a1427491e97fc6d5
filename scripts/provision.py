"""Provision on the local stack what infra/ declares for a real AWS account.

Creates, on moto: the user pool (password policy), the app client (no secret;
SRP, password and refresh flows), the groups `admins` and `staff`, the admin user
with a temporary password, the bucket, the IAM roles and the identity pool. On
Garage the bucket and key already exist (scripts/stack.sh). Writes to the state dir:

  stack.json     endpoints, keys and ids, read by the Rust test fixture
  aws/config     AWS profiles `lightbox-garage` and `lightbox-moto` (with endpoint_url),
  aws/credentials  usable by aws-cli and aws-sdk alike
  lightbox.toml  the config `lightbox` reads on the local stack (bucket in Garage)
  desktop.toml   the desktop app's config on the local stack (bucket in moto, Cognito credentials)
  stack.env      `export` lines pointing AWS_CONFIG_FILE etc. at the files above

SPEC below is the single statement of what is provisioned; the infra parity test
(infra/tests/test_parity.py, run by scripts/check-infra.sh) compares it with
infra/ and fails when the two drift apart. It reads SPEC with `ast`, so SPEC must
stay a literal.
"""

import argparse
import json
import os
import secrets
import string
from pathlib import Path

import boto3

REGION = "us-east-1"
# Local-only credentials: moto accepts any.
MOTO_KEY = "local-moto-key"
MOTO_SECRET = "local-moto-secret"

SPEC = {
    "user_pool": {
        "name": "lightbox-studio",
        "password_policy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": True,
            "TemporaryPasswordValidityDays": 7,
        },
        "admin_create_user_only": True,
        "username_case_sensitive": False,
    },
    "client": {
        "name": "lightbox-desktop",
        "generate_secret": False,
        # moto does not enforce ExplicitAuthFlows: tests that need moto to check a password
        # still sign in with USER_PASSWORD_AUTH against this client.
        "explicit_auth_flows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        "access_token_validity_minutes": 60,
        "id_token_validity_minutes": 60,
        "refresh_token_validity_days": 30,
        "prevent_user_existence_errors": "ENABLED",
        "enable_token_revocation": True,
    },
    "groups": {
        "admins": "Review and delete photos in the gallery",
        "staff": "Upload and view photos",
    },
    "admin_user": {"username": "admin", "email": "admin@studio.local", "group": "admins"},
    "bucket": {
        "name": "lightbox-dev",
        "block_public_access": True,
        "object_ownership": "BucketOwnerEnforced",
        "encryption": "AES256",
        "tls_only": True,
        "versioning": True,
        "noncurrent_version_expiration_days": 30,
        "abort_incomplete_multipart_days": 7,
    },
    "identity_pool": {
        "name": "lightbox_studio",
        "allow_unauthenticated": False,
        # Rules on cognito:groups in SPEC["groups"] order; no match: no credentials.
        "group_claim_match": "Equals",
        "ambiguous_role_resolution": "Deny",
    },
}


def temporary_password(length: int = 16) -> str:
    """A password that satisfies SPEC's policy: every character class, then random."""
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, "!@#%^*-_=+"]
    chars = [secrets.choice(c) for c in classes]
    alphabet = "".join(classes)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def configure_bucket(s3, bucket: str, spec: dict) -> None:
    """The bucket settings infra/modules/storage declares, as far as SPEC states them."""
    block = spec["block_public_access"]
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": block, "IgnorePublicAcls": block, "BlockPublicPolicy": block, "RestrictPublicBuckets": block,
    })
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": spec["object_ownership"]}]})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": spec["encryption"]}}],
    })
    if spec["versioning"]:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    # spec["tls_only"] is infra's TLS-only bucket policy (the parity test checks it), not
    # applied here: the local stack speaks plain HTTP on 127.0.0.1, and moto enforces
    # bucket policies for non-root callers, so it would deny every identity-pool upload.
    rules = [{
        "ID": "abort-incomplete-multipart-uploads", "Status": "Enabled", "Filter": {},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": spec["abort_incomplete_multipart_days"]},
    }]
    if spec["versioning"]:
        rules.append({
            "ID": "expire-noncurrent-versions", "Status": "Enabled", "Filter": {},
            "NoncurrentVersionExpiration": {"NoncurrentDays": spec["noncurrent_version_expiration_days"]},
        })
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


def provision_moto(moto: str) -> dict:
    kw = {"endpoint_url": moto, "region_name": REGION, "aws_access_key_id": MOTO_KEY, "aws_secret_access_key": MOTO_SECRET}
    idp = boto3.client("cognito-idp", **kw)
    identity = boto3.client("cognito-identity", **kw)
    iam = boto3.client("iam", **kw)
    s3 = boto3.client("s3", **kw)

    up = SPEC["user_pool"]
    pool = idp.create_user_pool(
        PoolName=up["name"],
        Policies={"PasswordPolicy": up["password_policy"]},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": up["admin_create_user_only"]},
        UsernameConfiguration={"CaseSensitive": up["username_case_sensitive"]},
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="OFF",
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    )["UserPool"]
    pool_id = pool["Id"]

    c = SPEC["client"]
    client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=c["name"],
        GenerateSecret=c["generate_secret"],
        ExplicitAuthFlows=c["explicit_auth_flows"],
        AccessTokenValidity=c["access_token_validity_minutes"],
        IdTokenValidity=c["id_token_validity_minutes"],
        RefreshTokenValidity=c["refresh_token_validity_days"],
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        PreventUserExistenceErrors=c["prevent_user_existence_errors"],
        EnableTokenRevocation=c["enable_token_revocation"],
    )["UserPoolClient"]
    client_id = client["ClientId"]

    for name, description in SPEC["groups"].items():
        idp.create_group(UserPoolId=pool_id, GroupName=name, Description=description)

    admin = SPEC["admin_user"]
    password = temporary_password()
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=admin["username"],
        TemporaryPassword=password,
        UserAttributes=[{"Name": "email", "Value": admin["email"]}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=admin["username"], GroupName=admin["group"])

    bucket = SPEC["bucket"]["name"]
    s3.create_bucket(Bucket=bucket)
    configure_bucket(s3, bucket, SPEC["bucket"])

    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    ip = SPEC["identity_pool"]
    identity_pool = identity.create_identity_pool(
        IdentityPoolName=ip["name"],
        AllowUnauthenticatedIdentities=ip["allow_unauthenticated"],
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client_id, "ServerSideTokenCheck": False}],
    )
    roles = {}
    for group in SPEC["groups"]:
        trust = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool["IdentityPoolId"]}},
            }],
        }
        role = iam.create_role(RoleName=f"lightbox-{group}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        roles[group] = role["Arn"]
    # moto answers SetIdentityPoolRoles with 500 (not implemented), so the
    # group-to-role mapping lives in infra/ and in stack.json only.

    return {
        "endpoint": moto,
        "access_key_id": MOTO_KEY,
        "secret_access_key": MOTO_SECRET,
        "bucket": bucket,
        "cognito": {
            "region": REGION,
            "user_pool_id": pool_id,
            "client_id": client_id,
            "identity_pool_id": identity_pool["IdentityPoolId"],
            "issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
            "jwks_url": f"{moto}/{pool_id}/.well-known/jwks.json",
            "admin_username": admin["username"],
            "admin_temporary_password": password,
            "roles": roles,
        },
    }


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--state-dir", required=True, type=Path)
    ap.add_argument("--moto", required=True)
    ap.add_argument("--garage", required=True)
    ap.add_argument("--garage-key-id", required=True)
    ap.add_argument("--garage-secret", required=True)
    ap.add_argument("--garage-bucket", required=True)
    a = ap.parse_args()
    d: Path = a.state_dir

    moto = provision_moto(a.moto)
    garage = {
        "endpoint": a.garage,
        "access_key_id": a.garage_key_id,
        "secret_access_key": a.garage_secret,
        "bucket": a.garage_bucket,
        "config": str(d / "garage" / "garage.toml"),
    }
    state = {"region": REGION, "moto": moto, "garage": garage}
    write_private(d / "stack.json", json.dumps(state, indent=2) + "\n")

    write_private(d / "aws" / "credentials", (
        f"[lightbox-garage]\naws_access_key_id = {garage['access_key_id']}\naws_secret_access_key = {garage['secret_access_key']}\n\n"
        f"[lightbox-moto]\naws_access_key_id = {MOTO_KEY}\naws_secret_access_key = {MOTO_SECRET}\n"
    ))
    write_private(d / "aws" / "config", (
        f"[profile lightbox-garage]\nregion = {REGION}\nendpoint_url = {garage['endpoint']}\ns3 =\n  addressing_style = path\n\n"
        f"[profile lightbox-moto]\nregion = {REGION}\nendpoint_url = {moto['endpoint']}\ns3 =\n  addressing_style = path\n"
    ))
    cog = moto["cognito"]
    write_private(d / "lightbox.toml", (
        "# Written by scripts/provision.py for the local stack; rewritten on every `stack.sh up`.\n"
        "[storage]\n"
        f'bucket = "{garage["bucket"]}"\nregion = "{REGION}"\nendpoint = "{garage["endpoint"]}"\nforce_path_style = true\n\n'
        "[auth]\ncredentials = \"default-chain\"\nprofile = \"lightbox-garage\"\n\n"
        "[auth.cognito]\n"
        f'region = "{REGION}"\nuser_pool_id = "{cog["user_pool_id"]}"\nclient_id = "{cog["client_id"]}"\n'
        f'identity_pool_id = "{cog["identity_pool_id"]}"\nidp_endpoint = "{moto["endpoint"]}"\n'
        f'identity_endpoint = "{moto["endpoint"]}"\njwks_url = "{cog["jwks_url"]}"\n'
    ))
    # The desktop app always uses the signed-in user's identity-pool credentials, which only
    # moto's S3 accepts (Garage checks signatures against its own keys): its config points the
    # bucket at moto (docs/desktop.md, "Against the local stack").
    write_private(d / "desktop.toml", (
        "# Written by scripts/provision.py for the desktop app on the local stack.\n"
        "[storage]\n"
        f'bucket = "{moto["bucket"]}"\nregion = "{REGION}"\nendpoint = "{moto["endpoint"]}"\nforce_path_style = true\n\n'
        "[auth]\ncredentials = \"cognito\"\n\n"
        "[auth.cognito]\n"
        f'region = "{REGION}"\nuser_pool_id = "{cog["user_pool_id"]}"\nclient_id = "{cog["client_id"]}"\n'
        f'identity_pool_id = "{cog["identity_pool_id"]}"\nidp_endpoint = "{moto["endpoint"]}"\n'
        f'identity_endpoint = "{moto["endpoint"]}"\njwks_url = "{cog["jwks_url"]}"\n'
        'refresh_token_store = "file"\n'
    ))
    write_private(d / "stack.env", (
        f"export AWS_CONFIG_FILE={d / 'aws' / 'config'}\n"
        f"export AWS_SHARED_CREDENTIALS_FILE={d / 'aws' / 'credentials'}\n"
        f"export LIGHTBOX_CONFIG={d / 'lightbox.toml'}\n"
    ))


if __name__ == "__main__":
    main()
