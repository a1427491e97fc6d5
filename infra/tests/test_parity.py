"""infra/ and the local provisioning (scripts/provision.py SPEC) state the same
pool, client, groups, admin, bucket, identity pool and index table; a change to
either side alone is reported as exactly that difference."""

import shutil
from pathlib import Path

import pytest

from parity import INFRA, PROVISION, differences


def test_infra_matches_local_provisioning():
    found = differences()
    assert found == [], "infra/ and SPEC must agree; change both sides together:\n" + "\n".join(found)


# (file under the copied tree, text that occurs there exactly once, replacement,
#  the differences expected, one a line: the mutated field, and what follows from it)
MUTATIONS = [
    ("infra/modules/cognito/variables.tf", "default     = 12", "default     = 10",
     "user_pool.password_policy.MinimumLength: infra=10, SPEC=12"),
    ("infra/modules/cognito/variables.tf", 'description = "Passwords must contain a symbol."\n  default     = true',
     'description = "Passwords must contain a symbol."\n  default     = false',
     "user_pool.password_policy.RequireSymbols: infra=False, SPEC=True"),
    ("scripts/provision.py", '"MinimumLength": 12', '"MinimumLength": 14',
     "user_pool.password_policy.MinimumLength: infra=12, SPEC=14"),
    ("infra/modules/cognito/main.tf", "allow_admin_create_user_only = true", "allow_admin_create_user_only = false",
     "user_pool.admin_create_user_only: infra=False, SPEC=True"),
    ("infra/modules/cognito/variables.tf", 'default     = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]',
     'default     = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]',
     "client.explicit_auth_flows: infra=['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH'], "
     "SPEC=['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']"),
    ("infra/modules/cognito/main.tf", 'access_token  = "minutes"', 'access_token  = "hours"',
     "client.access_token_validity_minutes: infra=3600, SPEC=60"),
    ("infra/modules/cognito/variables.tf", "lifetime of refresh tokens, in days: how long the app stays signed in.\"\n  default     = 30".capitalize(),
     "Lifetime of refresh tokens, in days: how long the app stays signed in.\"\n  default     = 90",
     "client.refresh_token_validity_days: infra=90, SPEC=30"),
    ("infra/modules/cognito/main.tf", 'prevent_user_existence_errors = "ENABLED"', 'prevent_user_existence_errors = "LEGACY"',
     "client.prevent_user_existence_errors: infra='LEGACY', SPEC='ENABLED'"),
    ("infra/modules/cognito/main.tf", "enable_token_revocation       = true", "enable_token_revocation       = false",
     "client.enable_token_revocation: infra=False, SPEC=True"),
    ("infra/modules/cognito/variables.tf", 'description = "Upload and view photos"', 'description = "Upload photos"',
     "groups.staff: infra='Upload photos', SPEC='Upload and view photos'"),
    ("infra/modules/cognito/variables.tf", 'default     = "admin"\n', 'default     = "owner"\n',
     "admin_user.username: infra='owner', SPEC='admin'"),
    ("infra/examples/studio/main.tf", "abort_incomplete_multipart_days = 7", "abort_incomplete_multipart_days = 3",
     "bucket.abort_incomplete_multipart_days: infra=3, SPEC=7"),
    ("scripts/provision.py", '"abort_incomplete_multipart_days": 7', '"abort_incomplete_multipart_days": 1',
     "bucket.abort_incomplete_multipart_days: infra=7, SPEC=1"),
    ("infra/modules/storage/main.tf", "ignore_public_acls      = true", "ignore_public_acls      = false",
     "bucket.block_public_access: infra=False, SPEC=True"),
    ("infra/modules/storage/main.tf", 'object_ownership = "BucketOwnerEnforced"', 'object_ownership = "ObjectWriter"',
     "bucket.object_ownership: infra='ObjectWriter', SPEC='BucketOwnerEnforced'"),
    ("infra/modules/storage/main.tf", 'variable = "aws:SecureTransport"\n      values   = ["false"]',
     'variable = "aws:SecureTransport"\n      values   = ["true"]',
     "bucket.tls_only: infra=False, SPEC=True"),
    ("infra/modules/storage/variables.tf", "a deleted photo can be restored until noncurrent_version_expiration_days.\"\n  default     = true",
     "a deleted photo can be restored until noncurrent_version_expiration_days.\"\n  default     = false",
     "bucket.noncurrent_version_expiration_days: infra=None, SPEC=30\nbucket.versioning: infra=False, SPEC=True"),
    ("infra/modules/storage/variables.tf", "a deleted or overwritten object's old version is kept.\"\n  default     = 30",
     "a deleted or overwritten object's old version is kept.\"\n  default     = 60",
     "bucket.noncurrent_version_expiration_days: infra=60, SPEC=30"),
    ("infra/modules/identity/main.tf", "allow_unauthenticated_identities = false", "allow_unauthenticated_identities = true",
     "identity_pool.allow_unauthenticated: infra=True, SPEC=False"),
    ("infra/modules/identity/main.tf", 'ambiguous_role_resolution = "Deny"', 'ambiguous_role_resolution = "AuthenticatedRole"',
     "identity_pool.no_group_means_no_credentials: infra=False, SPEC=True"),
    ("infra/examples/studio/variables.tf", "false for one station's truth only.\"\n  default     = true",
     "false for one station's truth only.\"\n  default     = false",
     "index_table.enabled: infra=False, SPEC=True"),
    ("infra/modules/index/main.tf", 'billing_mode                = "PAY_PER_REQUEST"', 'billing_mode                = "PROVISIONED"',
     "index_table.billing_mode: infra='PROVISIONED', SPEC='PAY_PER_REQUEST'"),
    ("scripts/provision.py", '"by_random": ["g_shard", "g_rnd"]', '"by_random": ["g_rnd", "g_shard"]',
     "index_table.indexes.by_random: infra=['g_shard', 'g_rnd'], SPEC=['g_rnd', 'g_shard']"),
    ("infra/modules/index/main.tf", "point_in_time_recovery {\n    enabled = true", "point_in_time_recovery {\n    enabled = false",
     "index_table.point_in_time_recovery: infra=False, SPEC=True"),
    ("infra/modules/index/variables.tf", "Keep true outside tests.\"\n  default     = true",
     "Keep true outside tests.\"\n  default     = false",
     "index_table.deletion_protection: infra=False, SPEC=True"),
    ("infra/modules/index/main.tf", '    "height", "thumb_key", "screen_key", "deleted_at",\n', '    "height", "thumb_key", "screen_key",\n',
     "index_table.card_attributes: infra=['camera_make', 'camera_model', 'camera_serial', 'captured', 'content_type', "
     "'height', 'key', 'original_name', 'screen_key', 'size', 'station', 'thumb_key', 'uploaded_at', 'uploader_id', "
     "'uploader_name', 'width'], SPEC=['camera_make', 'camera_model', 'camera_serial', 'captured', 'content_type', "
     "'deleted_at', 'height', 'key', 'original_name', 'screen_key', 'size', 'station', 'thumb_key', 'uploaded_at', "
     "'uploader_id', 'uploader_name', 'width']"),
    # Letting staff write a deletion mark is a difference too.
    ("infra/modules/index/main.tf", '"reservation", "rnd", "g_month"', '"reservation", "rnd", "deleted_at", "g_month"',
     "index_table.writer_attributes: infra=['camera_make', 'camera_model', 'camera_serial', 'captured', 'content_type', "
     "'deleted_at', 'g_day', 'g_month', 'g_name', 'g_name1', 'g_rnd', 'g_shard', 'height', 'key', 'original_name', "
     "'pk', 'reservation', 'reserved_at', 'rnd', 'screen_key', 'sha256', 'size', 'state', 'station', 'thumb_key', "
     "'uploaded_at', 'uploader_id', 'uploader_name', 'width'], SPEC=['camera_make', 'camera_model', 'camera_serial', "
     "'captured', 'content_type', 'g_day', 'g_month', 'g_name', 'g_name1', 'g_rnd', 'g_shard', 'height', 'key', "
     "'original_name', 'pk', 'reservation', 'reserved_at', 'rnd', 'screen_key', 'sha256', 'size', 'state', 'station', "
     "'thumb_key', 'uploaded_at', 'uploader_id', 'uploader_name', 'width']"),
    ("infra/modules/index/main.tf", 'item_kinds = ["C#*", "K#*"]', 'item_kinds = ["C#*", "K#*", "M#*"]',
     "index_table.item_kinds: infra=['C#', 'K#', 'M#'], SPEC=['C#', 'K#']"),
    ("infra/examples/studio/main.tf", "kms_key_arn = var.index_kms_key_arn", 'kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/x"',
     "index_table.encryption: infra='customer-kms', SPEC='aws-managed-kms'"),
    ("infra/modules/identity/main.tf", 'match_type = "Equals"', 'match_type = "Contains"',
     "identity_pool.group_claim_match: infra='Contains', SPEC='Equals'"),
    ("scripts/provision.py", '"group_claim_match": "Equals"', '"group_claim_match": "StartsWith"',
     "identity_pool.group_claim_match: infra='Equals', SPEC='StartsWith'"),
    ("infra/examples/studio/main.tf", "[module.storage.admin_policy_json, module.cognito.user_admin_policy_json]",
     "[module.storage.admin_policy_json]",
     "team_managers: infra=[], SPEC=['admins']"),
    ("infra/examples/studio/main.tf", "concat([module.storage.staff_policy_json]",
     "concat([module.storage.staff_policy_json, module.cognito.user_admin_policy_json]",
     "team_managers: infra=['admins', 'staff'], SPEC=['admins']"),
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of infra/ and scripts/provision.py, laid out as in the repository."""
    shutil.copytree(INFRA, tmp_path / "infra", ignore=shutil.ignore_patterns("__pycache__", ".terraform", "node_modules"))
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROVISION, tmp_path / "scripts" / "provision.py")
    return tmp_path


def test_the_copied_tree_agrees_before_any_mutation(tree: Path):
    assert differences(tree / "infra", tree / "scripts" / "provision.py") == [], \
        "the copy is faithful, so each mutation below is the only change"


@pytest.mark.parametrize(("file", "old", "new", "expected"), MUTATIONS, ids=[m[3].split(":")[0] for m in MUTATIONS])
def test_a_change_on_one_side_is_reported_as_that_difference(tree: Path, file: str, old: str, new: str, expected: str):
    path = tree / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the mutation must hit exactly one place in {file}: {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")

    found = differences(tree / "infra", tree / "scripts" / "provision.py")

    assert found == expected.split("\n"), f"changing only {old!r} -> {new!r} in {file} must show as exactly that field"
