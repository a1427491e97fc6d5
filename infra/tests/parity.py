"""What infra/ declares, next to what scripts/provision.py provisions on the local stack.

`infra_view` reads the Terraform with python-hcl2 and resolves each compared
attribute the way `terraform apply` of examples/studio would: a literal in a
module, or `var.x` taken from the example's module call, else from the module
variable's default. `spec_view` projects provision.py's SPEC (read with `ast`,
so boto3 is not needed) onto the same shape. `differences` lists every field
where the two disagree, as "path: infra=<value>, SPEC=<value>".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

INFRA = Path(__file__).resolve().parents[1]
PROVISION = INFRA.parent / "scripts" / "provision.py"
EXAMPLE = Path("examples") / "studio"

_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
_VAR = re.compile(r"^\$\{var\.(\w+)\}$")
_LOCAL = re.compile(r"^\$\{local\.(\w+)\}$")
_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}


class ParityError(Exception):
    """infra/ or SPEC is not in the shape this check reads."""


def parse_tf(path: Path) -> dict[str, Any]:
    """One .tf file as python-hcl2 reads it (string quotes stripped)."""
    with path.open(encoding="utf-8") as f:
        return hcl2.loads(f.read(), serialization_options=_OPTIONS)


def _get(node: Any, *path: str | int) -> Any:
    """Walk into parsed HCL; a block (a list of one body) is entered by name. None when absent."""
    for step in path:
        if isinstance(step, str) and isinstance(node, list) and len(node) == 1:
            node = node[0]
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _label(key: str) -> str:
    return key.strip('"')


class TfDir:
    """The resources, variables and module calls of one Terraform directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.resources: dict[tuple[str, str], dict] = {}
        self.data: dict[tuple[str, str], dict] = {}
        self.variables: dict[str, dict] = {}
        self.locals: dict[str, Any] = {}
        self.modules: dict[str, dict] = {}
        files = sorted(directory.glob("*.tf"))
        if not files:
            raise ParityError(f"no .tf files in {directory}")
        for tf in files:
            doc = parse_tf(tf)
            for kind, table in (("resource", self.resources), ("data", self.data)):
                for block in doc.get(kind, []):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            table[(_label(rtype), _label(name))] = body
            for block in doc.get("variable", []):
                for name, body in block.items():
                    self.variables[_label(name)] = body
            for block in doc.get("module", []):
                for name, body in block.items():
                    self.modules[_label(name)] = body
            for block in doc.get("locals", []):
                self.locals.update(block)

    def resource(self, rtype: str, name: str) -> dict:
        try:
            return self.resources[(rtype, name)]
        except KeyError:
            raise ParityError(f"{self.directory}: resource {rtype}.{name} is missing") from None

    def default(self, name: str) -> Any:
        try:
            return self.variables[name].get("default")
        except KeyError:
            raise ParityError(f"{self.directory}: variable {name} is not declared") from None


class Module:
    """A module as the example calls it: inputs from the call, else variable defaults."""

    def __init__(self, infra: Path, name: str) -> None:
        self.example = TfDir(infra / EXAMPLE)
        self.tf = TfDir(infra / "modules" / name)
        calls = [c for c in self.example.modules.values() if c.get("source") == f"../../modules/{name}"]
        if len(calls) != 1:
            raise ParityError(f"examples/studio must call modules/{name} exactly once, found {len(calls)}")
        self.call = calls[0]

    def value(self, raw: Any) -> Any:
        """Resolve `var.x` (through the example's call and its own variables) and `local.x`
        (a literal in the module's locals); other values as written."""
        if isinstance(raw, str) and (m := _LOCAL.match(raw)):
            try:
                return self.tf.locals[m.group(1)]
            except KeyError:
                raise ParityError(f"modules/{self.tf.directory.name}: local.{m.group(1)} is not declared") from None
        if isinstance(raw, str) and (m := _VAR.match(raw)):
            name = m.group(1)
            if name in self.call:
                given = self.call[name]
                if isinstance(given, str) and (e := _VAR.match(given)):
                    return self.example.default(e.group(1))
                return given
            return self.tf.default(name)
        return raw

    def attr(self, rtype: str, name: str, *path: str | int) -> Any:
        node = _get(self.tf.resource(rtype, name), *path)
        if node is None:
            raise ParityError(f"modules/{self.tf.directory.name}: {rtype}.{name} has no {'.'.join(map(str, path))}")
        return self.value(node)


def _rule(storage: Module, rule_id: str) -> dict | None:
    """An enabled lifecycle rule by id, static or `dynamic "rule"`. In a dynamic one,
    `rule.value` stands for the variable its for_each lists (`[var.x]`), resolved;
    the rule is absent when that variable is null or the `var.on ? [...] : []` switch is off."""
    lifecycle = storage.attr("aws_s3_bucket_lifecycle_configuration", "this")
    for rule in lifecycle.get("rule", []):
        if rule.get("id") == rule_id and rule.get("status") == "Enabled":
            return rule
    for dynamic in lifecycle.get("dynamic", []):
        body = _get(dynamic, '"rule"') or _get(dynamic, "rule")
        content = _get(body, "content")
        if _get(content, "id") != rule_id or _get(content, "status") != "Enabled":
            continue
        for_each = str(_get(body, "for_each"))
        switch = re.match(r"^\$\{var\.(\w+) \?", for_each)
        if switch and storage.value(f"${{var.{switch.group(1)}}}") is False:
            return None  # `var.on ? [...] : []` with the switch off: no such rule
        listed = re.search(r"\[var\.(\w+)\]", for_each)
        value = storage.value(f"${{var.{listed.group(1)}}}") if listed else None
        if value is None:
            return None  # `var.x == null ? [] : [var.x]` with x unset: no such rule
        return _substitute(content, "${rule.value}", value)
    return None


def _substitute(node: Any, placeholder: str, value: Any) -> Any:
    if node == placeholder:
        return value
    if isinstance(node, dict):
        return {k: _substitute(v, placeholder, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, placeholder, value) for v in node]
    return node


def _policy_condition(module: Module, document: str, variable: str) -> Any:
    """The values of the condition on `variable` in a policy document's statements, resolved."""
    body = module.tf.data.get(("aws_iam_policy_document", document)) or {}
    for statement in body.get("statement", []):
        for condition in statement.get("condition", []):
            if condition.get("variable") == variable:
                return module.value(condition.get("values"))
    return None


def _index_view(infra: Path) -> dict:
    """The index table as examples/studio creates it (modules/index)."""
    index = Module(infra, "index")
    table = ("aws_dynamodb_table", "this")
    count = index.call.get("count")
    switch = re.match(r"^\$\{var\.(\w+) \? 1 : 0\}$", str(count))
    enabled = index.example.default(switch.group(1)) if switch else count is None
    indexes = {g["name"]: g for g in index.attr(*table, "global_secondary_index")}
    projections = {index.value(g.get("projection_type")) for g in indexes.values()}
    cards = [sorted(index.value(g.get("non_key_attributes")) or []) for g in indexes.values()]
    kms = index.attr(*table, "server_side_encryption", "kms_key_arn")
    leading = _policy_condition(index, "writer", "dynamodb:LeadingKeys") or []
    return {
        "enabled": enabled,
        "billing_mode": index.attr(*table, "billing_mode"),
        "hash_key": index.attr(*table, "hash_key"),
        "attribute_types": {a["name"]: a["type"] for a in index.attr(*table, "attribute")},
        "indexes": {name: [g.get("hash_key"), g.get("range_key")] for name, g in indexes.items()},
        # One projection for all, or the differing ones.
        "projection": projections.pop() if len(projections) == 1 else sorted(projections),
        "card_attributes": cards[0] if cards and all(c == cards[0] for c in cards) else cards,
        "writer_attributes": sorted(_policy_condition(index, "writer", "dynamodb:Attributes") or []),
        "item_kinds": sorted(k.removesuffix("*") for k in leading),
        "point_in_time_recovery": index.attr(*table, "point_in_time_recovery", "enabled"),
        "deletion_protection": index.attr(*table, "deletion_protection_enabled"),
        "encryption": ("aws-managed-kms" if kms is None else "customer-kms")
        if index.attr(*table, "server_side_encryption", "enabled") is True else "aws-owned",
    }


def infra_view(infra: Path = INFRA) -> dict:
    """The compared settings as infra/ (examples/studio and its modules) declares them."""
    cognito = Module(infra, "cognito")
    pool = ("aws_cognito_user_pool", "this")
    policy = {
        "MinimumLength": "minimum_length",
        "RequireUppercase": "require_uppercase",
        "RequireLowercase": "require_lowercase",
        "RequireNumbers": "require_numbers",
        "RequireSymbols": "require_symbols",
        "TemporaryPasswordValidityDays": "temporary_password_validity_days",
    }
    client = ("aws_cognito_user_pool_client", "desktop")
    units = cognito.attr(*client, "token_validity_units")

    def validity(kind: str) -> Any:
        value = cognito.attr(*client, f"{kind}_validity")
        unit = cognito.value(_get(units, kind))
        return value * _MINUTES[unit] if isinstance(value, int) and unit in _MINUTES else value

    refresh_minutes = validity("refresh_token")
    groups = cognito.value("${var.groups}") or {}
    admin = ("aws_cognito_user", "admin")
    membership = cognito.attr("aws_cognito_user_in_group", "admin", "group_name")

    storage = Module(infra, "storage")
    block = [storage.attr("aws_s3_bucket_public_access_block", "this", k)
             for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")]
    versioning = storage.value("${var.versioning}")
    abort = _rule(storage, "abort-incomplete-multipart-uploads")
    noncurrent = _rule(storage, "expire-noncurrent-versions")
    bucket_statements = _get(storage.tf.data.get(("aws_iam_policy_document", "bucket")), "statement") or []
    tls = next((s for s in bucket_statements if s.get("sid") == "DenyInsecureTransport"), {})

    # Which groups' roles get the team policy: the example's `<role>_access` documents that
    # merge modules/cognito's user_admin_policy_json.
    example = TfDir(infra / EXAMPLE)
    access = {"admins": "admin_access", "staff": "staff_access"}
    team_managers = [group for group, document in access.items()
                     if "module.cognito.user_admin_policy_json"
                     in str(_get(example.data.get(("aws_iam_policy_document", document)), "source_policy_documents"))]

    identity = Module(infra, "identity")
    roles = identity.value("${var.group_roles}") or []
    mapping = identity.attr("aws_cognito_identity_pool_roles_attachment", "this", "role_mapping")

    return {
        "user_pool": {
            "password_policy": {spec: cognito.attr(*pool, "password_policy", tf) for spec, tf in policy.items()},
            "admin_create_user_only": cognito.attr(*pool, "admin_create_user_config", "allow_admin_create_user_only"),
            "username_case_sensitive": cognito.attr(*pool, "username_configuration", "case_sensitive"),
        },
        "client": {
            "generate_secret": cognito.attr(*client, "generate_secret"),
            "explicit_auth_flows": sorted(cognito.attr(*client, "explicit_auth_flows")),
            "access_token_validity_minutes": validity("access_token"),
            "id_token_validity_minutes": validity("id_token"),
            "refresh_token_validity_days": refresh_minutes // _MINUTES["days"]
            if isinstance(refresh_minutes, int) else refresh_minutes,
            "prevent_user_existence_errors": cognito.attr(*client, "prevent_user_existence_errors"),
            "enable_token_revocation": cognito.attr(*client, "enable_token_revocation"),
        },
        "groups": {name: g.get("description") for name, g in groups.items()},
        "admin_user": {
            "username": cognito.attr(*admin, "username"),
            "group": cognito.value("${var.admin_group}") if membership.startswith("${aws_cognito_user_group.this[var.admin_group]") else membership,
        },
        "bucket": {
            "block_public_access": all(b is True for b in block),
            "object_ownership": storage.attr("aws_s3_bucket_ownership_controls", "this", "rule", "object_ownership"),
            "encryption": "AES256" if storage.value("${var.kms_key_arn}") is None else "aws:kms",
            "tls_only": _get(tls, "effect") == "Deny"
            and _get(tls, "condition", "variable") == "aws:SecureTransport"
            and _get(tls, "condition", "values") == ["false"],
            "versioning": versioning,
            "noncurrent_version_expiration_days": storage.value(_get(noncurrent, "noncurrent_version_expiration", "noncurrent_days"))
            if noncurrent else None,
            "abort_incomplete_multipart_days": storage.value(_get(abort, "abort_incomplete_multipart_upload", "days_after_initiation"))
            if abort else None,
        },
        "identity_pool": {
            "allow_unauthenticated": identity.attr("aws_cognito_identity_pool", "this", "allow_unauthenticated_identities"),
            "role_per_group": [r.get("group") for r in roles],
            "no_group_means_no_credentials": _get(mapping, "ambiguous_role_resolution") == "Deny",
            "group_claim_match": _get(mapping, "dynamic", '"mapping_rule"', "content", "match_type")
            or _get(mapping, "dynamic", "mapping_rule", "content", "match_type"),
        },
        "index_table": _index_view(infra),
        "team_managers": team_managers,
    }


def load_spec(provision: Path = PROVISION) -> dict:
    """SPEC from provision.py, without importing it (it needs boto3)."""
    tree = ast.parse(provision.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SPEC" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ParityError(f"{provision} has no literal SPEC = {{...}}")


def spec_view(spec: dict) -> dict:
    """SPEC projected onto the fields `infra_view` reads."""
    up, client, bucket = spec["user_pool"], spec["client"], spec["bucket"]
    return {
        "user_pool": {k: up[k] for k in ("password_policy", "admin_create_user_only", "username_case_sensitive")},
        "client": {
            **{k: client[k] for k in (
                "generate_secret", "access_token_validity_minutes", "id_token_validity_minutes",
                "refresh_token_validity_days", "prevent_user_existence_errors", "enable_token_revocation",
            )},
            "explicit_auth_flows": sorted(client["explicit_auth_flows"]),
        },
        "groups": dict(spec["groups"]),
        "admin_user": {"username": spec["admin_user"]["username"], "group": spec["admin_user"]["group"]},
        "bucket": {k: v for k, v in bucket.items() if k != "name"},
        "identity_pool": {
            "allow_unauthenticated": spec["identity_pool"]["allow_unauthenticated"],
            # Admins first: the first matching group rule picks the role.
            "role_per_group": list(spec["groups"]),
            "no_group_means_no_credentials": spec["identity_pool"]["ambiguous_role_resolution"] == "Deny",
            "group_claim_match": spec["identity_pool"]["group_claim_match"],
        },
        "index_table": {
            **{k: v for k, v in spec["index_table"].items() if k != "name"},
            "card_attributes": sorted(spec["index_table"]["card_attributes"]),
            "writer_attributes": sorted(spec["index_table"]["writer_attributes"]),
            "item_kinds": sorted(spec["index_table"]["item_kinds"]),
        },
        "team_managers": [g for g in spec["groups"] if g in spec["team_managers"]],
    }


def _diff(path: str, infra: Any, spec: Any) -> list[str]:
    if isinstance(infra, dict) and isinstance(spec, dict):
        out = []
        for key in sorted(set(infra) | set(spec)):
            out += _diff(f"{path}.{key}" if path else key, infra.get(key), spec.get(key))
        return out
    return [] if infra == spec else [f"{path}: infra={infra!r}, SPEC={spec!r}"]


def differences(infra: Path = INFRA, provision: Path = PROVISION) -> list[str]:
    """Every compared field where infra/ and provision.py's SPEC disagree; empty when in step."""
    return _diff("", infra_view(infra), spec_view(load_spec(provision)))


if __name__ == "__main__":
    found = differences()
    print("\n".join(found) if found else "infra/ and scripts/provision.py SPEC agree")
    raise SystemExit(1 if found else 0)
