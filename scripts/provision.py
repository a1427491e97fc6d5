"""Provision on the local stack what infra/ declares for a real AWS account.

Creates, on moto: an IAM user with an access key that everything after provisioning
signs with (moto enforces IAM after its first INITIAL_NO_AUTH_ACTION_COUNT requests, the
three that make this user), the user pool (password policy), the app client (no secret;
SRP and refresh flows), the groups `admins` and `staff`, the admin user with a temporary
password, the bucket, the identity pool, and its IAM roles with the policies rendered from
infra/modules/storage (infra/tests/policies.py, the same renderer the policy evaluation
test uses): one per group, chosen by the pool's rules on `cognito:groups`, the pool's
default role without permissions, and the daemon's role; and the shared photo index table
(docs/index.md; its name is `moto.index_table` in stack.json). On Garage the bucket and key
already exist (scripts/stack.sh). Writes to the state dir:

  stack.json     endpoints, keys and ids, read by the Rust test fixture
  aws/config     AWS profiles `lightbox-garage` and `lightbox-moto` (with endpoint_url),
  aws/credentials  usable by aws-cli and aws-sdk alike
  lightbox.toml  the config `lightbox` reads on the local stack (bucket in Garage)
  lightbox-index.toml  the same with `[index]`: the shared index table in moto (docs/index.md)
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
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra" / "tests"))
from policies import cognito_policies, index_policies, storage_policies  # noqa: E402 (infra/tests is not a package)

REGION = "us-east-1"
# moto's account. The roles' policies are rendered for every bucket ("*"): each test makes
# its own bucket; the prefixes, actions and conditions are those of a real studio bucket.
ACCOUNT = "123456789012"
POLICY_BUCKET = "*"
STACK_ADMIN = "lightbox-stack-admin"

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
    # The groups whose role may manage the team (infra/modules/cognito's `user_admin`
    # policy, merged into the admins' role by examples/studio): the Cognito admin actions
    # on this pool only.
    "team_managers": ["admins"],
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
    # The shared photo index (docs/index.md, infra/modules/index). GSI key attributes
    # exist only while a photo is live, so the indexes are sparse.
    "index_table": {
        "name": "lightbox-index",
        "enabled": True,
        "billing_mode": "PAY_PER_REQUEST",
        "hash_key": "pk",
        "attribute_types": {
            "pk": "S", "g_month": "S", "g_day": "S", "g_name1": "S", "g_name": "S", "g_shard": "S", "g_rnd": "S",
        },
        "indexes": {
            "by_day": ["g_month", "g_day"],
            "by_name": ["g_name1", "g_name"],
            "by_random": ["g_shard", "g_rnd"],
        },
        "projection": "INCLUDE",
        # What a gallery card shows, projected into every index.
        "card_attributes": [
            "key", "size", "content_type", "captured", "uploaded_at", "uploader_id", "uploader_name",
            "station", "camera_make", "camera_model", "camera_serial", "original_name", "width",
            "height", "thumb_key", "screen_key", "deleted_at",
        ],
        # The staff and daemon policy's dynamodb:Attributes: everything but the deletion marks.
        "writer_attributes": [
            "pk", "key", "sha256", "size", "content_type", "captured", "uploaded_at", "uploader_id",
            "uploader_name", "station", "camera_make", "camera_model", "camera_serial",
            "original_name", "width", "height", "thumb_key", "screen_key", "state", "reserved_at",
            "reservation", "rnd", "g_month", "g_day", "g_name1", "g_name", "g_shard", "g_rnd",
        ],
        # Partition key prefixes: content items and key items (dynamodb:LeadingKeys).
        "item_kinds": ["C#", "K#"],
        "point_in_time_recovery": True,
        "deletion_protection": True,
        "encryption": "aws-managed-kms",
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
    # spec["tls_only"] and infra's whole bucket policy (no SSE-C, delete only by admins) are
    # not applied here: moto evaluates a bucket policy without its conditions, so each of
    # its conditional Deny statements would deny everyone (and the stack speaks plain HTTP).
    # infra/tests/test_policy_evaluation.py evaluates that policy with a real evaluator.
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


def create_index_table(dynamodb, spec: dict) -> str:
    """The index table infra/modules/index declares, as far as moto models it (key schema,
    GSIs, billing mode, encryption, deletion protection, point-in-time recovery)."""
    dynamodb.create_table(
        TableName=spec["name"],
        BillingMode=spec["billing_mode"],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in spec["attribute_types"].items()],
        KeySchema=[{"AttributeName": spec["hash_key"], "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": name,
            "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"}, {"AttributeName": range_key, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": spec["projection"], "NonKeyAttributes": spec["card_attributes"]},
        } for name, (hash_key, range_key) in spec["indexes"].items()],
        # "aws-managed-kms": KMS with the AWS managed key aws/dynamodb (no KMSMasterKeyId).
        SSESpecification={"Enabled": True, "SSEType": "KMS"},
        DeletionProtectionEnabled=spec["deletion_protection"],
        Tags=[{"Key": "Project", "Value": "lightbox"}],
    )
    dynamodb.update_continuous_backups(
        TableName=spec["name"],
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": spec["point_in_time_recovery"]},
    )
    return spec["name"]


def stack_admin_key(moto: str) -> tuple[str, str]:
    """The IAM user the stack's own tools sign with, made in moto's first unchecked requests:
    exactly three (CreateUser, PutUserPolicy, CreateAccessKey; MOTO_NO_AUTH_REQUESTS in
    scripts/common.sh), so every later request must be signed with a key IAM knows."""
    iam = boto3.client("iam", endpoint_url=moto, region_name=REGION,
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName=STACK_ADMIN)
    iam.put_user_policy(UserName=STACK_ADMIN, PolicyName="everything", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName=STACK_ADMIN)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def trust_identity_pool(pool_id: str) -> str:
    """infra/modules/identity's trust policy: this pool's authenticated identities only."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }],
    })


def provision_roles(iam, identity, pool_id: str, provider: str, client_id: str, user_pool_arn: str) -> dict:
    """The identity pool's roles and rules, and the daemon's role, as infra/ makes them."""
    ip = SPEC["identity_pool"]
    names = {group: f"{ip['name']}-{group}" for group in SPEC["groups"]}
    arns = {group: f"arn:aws:iam::{ACCOUNT}:role/{name}" for group, name in names.items()}
    policies = storage_policies(POLICY_BUCKET, [arns["admins"]])
    by_group = {"admins": policies["admin"], "staff": policies["staff"]}
    index = SPEC["index_table"]
    # The index table's policies, merged into each role as in infra/examples/studio.
    index_docs = index_policies(f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{index['name']}") if index["enabled"] else None
    index_by_role = {"admins": "admin", "staff": "writer", "daemon": "writer"}
    for group, name in names.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_identity_pool(pool_id))
        iam.put_role_policy(RoleName=name, PolicyName="bucket-access", PolicyDocument=json.dumps(by_group[group]))
        if index_docs:
            iam.put_role_policy(RoleName=name, PolicyName="index-access",
                                PolicyDocument=json.dumps(index_docs[index_by_role[group]]))
    team = cognito_policies(user_pool_arn)["user_admin"]
    for group in SPEC["team_managers"]:
        iam.put_role_policy(RoleName=names[group], PolicyName="team-access", PolicyDocument=json.dumps(team))
    signed_in = iam.create_role(RoleName=f"{ip['name']}-signed-in",
                                AssumeRolePolicyDocument=trust_identity_pool(pool_id))["Role"]["Arn"]
    identity.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": signed_in},
        RoleMappings={f"{provider}:{client_id}": {
            "Type": "Rules",
            "AmbiguousRoleResolution": ip["ambiguous_role_resolution"],
            "RulesConfiguration": {"Rules": [
                {"Claim": "cognito:groups", "MatchType": ip["group_claim_match"], "Value": group, "RoleARN": arns[group]}
                for group in SPEC["groups"]
            ]},
        }},
    )
    daemon = iam.create_role(RoleName="lightbox-studio-daemon", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    iam.put_role_policy(RoleName="lightbox-studio-daemon", PolicyName="bucket-access",
                        PolicyDocument=json.dumps(policies["daemon"]))
    if index_docs:
        iam.put_role_policy(RoleName="lightbox-studio-daemon", PolicyName="index-access",
                            PolicyDocument=json.dumps(index_docs[index_by_role["daemon"]]))
    return {**arns, "signed_in": signed_in, "daemon": daemon}


def provision_moto(moto: str) -> dict:
    key, secret = stack_admin_key(moto)
    kw = {"endpoint_url": moto, "region_name": REGION, "aws_access_key_id": key, "aws_secret_access_key": secret}
    idp = boto3.client("cognito-idp", **kw)
    identity = boto3.client("cognito-identity", **kw)
    iam = boto3.client("iam", **kw)
    s3 = boto3.client("s3", **kw)
    dynamodb = boto3.client("dynamodb", **kw)

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
    # SetIdentityPoolRoles and the group's role in GetCredentialsForIdentity come from the
    # launcher (scripts/moto_identity_pool.py).
    user_pool_arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}"
    roles = provision_roles(iam, identity, identity_pool["IdentityPoolId"], provider, client_id, user_pool_arn)

    index_table = create_index_table(dynamodb, SPEC["index_table"]) if SPEC["index_table"]["enabled"] else None

    return {
        "endpoint": moto,
        "access_key_id": key,
        "secret_access_key": secret,
        "iam_enforced": True,
        "bucket": bucket,
        "index_table": index_table,
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
        f"[lightbox-moto]\naws_access_key_id = {moto['access_key_id']}\naws_secret_access_key = {moto['secret_access_key']}\n"
    ))
    write_private(d / "aws" / "config", (
        f"[profile lightbox-garage]\nregion = {REGION}\nendpoint_url = {garage['endpoint']}\ns3 =\n  addressing_style = path\n\n"
        f"[profile lightbox-moto]\nregion = {REGION}\nendpoint_url = {moto['endpoint']}\ns3 =\n  addressing_style = path\n"
    ))
    cog = moto["cognito"]
    lightbox_toml = (
        "# Written by scripts/provision.py for the local stack; rewritten on every `stack.sh up`.\n"
        "[storage]\n"
        f'bucket = "{garage["bucket"]}"\nregion = "{REGION}"\nendpoint = "{garage["endpoint"]}"\nforce_path_style = true\n\n'
        "[auth]\ncredentials = \"default-chain\"\nprofile = \"lightbox-garage\"\n\n"
        "[auth.cognito]\n"
        f'region = "{REGION}"\nuser_pool_id = "{cog["user_pool_id"]}"\nclient_id = "{cog["client_id"]}"\n'
        f'identity_pool_id = "{cog["identity_pool_id"]}"\nidp_endpoint = "{moto["endpoint"]}"\n'
        f'identity_endpoint = "{moto["endpoint"]}"\njwks_url = "{cog["jwks_url"]}"\n'
    )
    write_private(d / "lightbox.toml", lightbox_toml)
    # The same station with the shared index on (docs/index.md): the table in moto's DynamoDB,
    # signed with moto's keys (the bucket's are Garage's). A config of its own, so everything
    # that runs with lightbox.toml keeps running without a table.
    if moto["index_table"]:
        write_private(d / "lightbox-index.toml", lightbox_toml + (
            "\n[index]\n"
            f'table = "{moto["index_table"]}"\nendpoint = "{moto["endpoint"]}"\n'
            'profile = "lightbox-moto"\n'
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
