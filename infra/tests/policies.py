"""The IAM policies infra/ declares, rendered to JSON the way `terraform apply` would.

One source for the policies: the `data "aws_iam_policy_document"` blocks in
infra/modules/storage. `render_documents` reads them with python-hcl2 and evaluates the
small part of HCL they use, then writes each document as IAM JSON, as the AWS provider's
`aws_iam_policy_document` does (Version 2012-10-17; Sid, Effect, Action, Resource,
Principal, Condition; one-element lists as strings; `source_policy_documents` merged
first, a statement of the document itself replacing a source's statement of the same Sid).

Used by the policy evaluation test (infra/tests/test_policy_evaluation.py, which runs the
documents through a real IAM evaluator) and by the local stack (scripts/provision.py
creates moto's roles with them), so nobody keeps a second copy by hand.

What the evaluator reads (anything else is refused with PolicyRenderError, never guessed):
references `var.x`, `local.x`, `statement.value`, `data.aws_iam_policy_document.x.json`
and the resource attributes the caller binds (`aws_s3_bucket.this.arn`); string templates
"${...}/originals/*"; lists; `null`, `true`, `false`, numbers and quoted strings;
`a == null`, `a != null` and `c ? a : b`. Why by hand: Terraform itself needs providers,
which cannot be downloaded here, and no maintained Python library evaluates HCL
expressions (python-hcl2 parses them to text).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from parity import INFRA, parse_tf

STORAGE = INFRA / "modules" / "storage"
# Role names: the identity module names a group's role "<pool name>-<group>", the example
# the daemon's "<name>-daemon"; examples/studio's pool name is "lightbox_studio".
DOCUMENTS = ("staff", "daemon", "admin", "bucket")


class PolicyRenderError(Exception):
    """infra/ uses an expression or a policy form this renderer does not read."""


_TOKEN = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|[?:\[\],.])|(?P<name>[A-Za-z_][\w-]*))'
)


def _tokens(expr: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(expr.rstrip()):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise PolicyRenderError(f"cannot read the expression {expr!r} at {expr[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Expr:
    """A recursive-descent reader of one `${...}` expression."""

    def __init__(self, expr: str, scope: Scope) -> None:
        self.expr = expr
        self.toks = _tokens(expr)
        self.i = 0
        self.scope = scope

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise PolicyRenderError(f"expected {value or 'more'} in {self.expr!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.conditional()
        if self.peek() is not None:
            raise PolicyRenderError(f"unexpected {self.peek()[1]!r} in {self.expr!r}")
        return value

    def conditional(self) -> Any:
        cond = self.comparison()
        if self.peek() == ("op", "?"):
            self.take("?")
            yes = self.conditional()
            self.take(":")
            no = self.conditional()
            if not isinstance(cond, bool):
                raise PolicyRenderError(f"the condition of {self.expr!r} is not a bool: {cond!r}")
            return yes if cond else no
        return cond

    def comparison(self) -> Any:
        left = self.primary()
        if self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            right = self.primary()
            return (left == right) if op == "==" else (left != right)
        return left

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return json.loads(text)
        if (kind, text) == ("op", "["):
            items = []
            while self.peek() != ("op", "]"):
                items.append(self.conditional())
                if self.peek() == ("op", ","):
                    self.take(",")
            self.take("]")
            return items
        if kind == "name":
            if text in ("null", "true", "false"):
                return {"null": None, "true": True, "false": False}[text]
            path = [text]
            while self.peek() == ("op", "."):
                self.take(".")
                path.append(self.take()[1])
            return self.scope.lookup(".".join(path))
        raise PolicyRenderError(f"unexpected {text!r} in {self.expr!r}")


class Scope:
    """What names mean while rendering one module: its variables, locals, the caller's
    bound resource attributes, and the documents rendered so far."""

    def __init__(self, module_dir: Path, inputs: dict[str, Any], resources: dict[str, Any]) -> None:
        self.module_dir = module_dir
        self.inputs = inputs
        self.resources = resources
        self.variables: dict[str, dict] = {}
        self.locals_raw: dict[str, Any] = {}
        self.documents_raw: dict[str, dict] = {}
        for tf in sorted(module_dir.glob("*.tf")):
            doc = parse_tf(tf)
            for block in doc.get("variable", []):
                self.variables.update({k.strip('"'): v for k, v in block.items()})
            for block in doc.get("locals", []):
                self.locals_raw.update(block)
            for block in doc.get("data", []):
                for name, body in block.get("aws_iam_policy_document", {}).items():
                    self.documents_raw[name.strip('"')] = body
        self.locals: dict[str, Any] = {}
        self.rendered: dict[str, dict] = {}
        self.iterator: dict[str, Any] = {}

    def lookup(self, ref: str) -> Any:
        head, _, rest = ref.partition(".")
        if head == "var":
            if rest in self.inputs:
                return self.inputs[rest]
            if rest not in self.variables:
                raise PolicyRenderError(f"{self.module_dir.name}: variable {rest} is not declared")
            if "default" not in self.variables[rest]:
                raise PolicyRenderError(f"{self.module_dir.name}: variable {rest} is required; pass it in inputs")
            return self.variables[rest]["default"]
        if head == "local":
            if rest not in self.locals:
                if rest not in self.locals_raw:
                    raise PolicyRenderError(f"{self.module_dir.name}: local.{rest} is not defined")
                self.locals[rest] = self.value(self.locals_raw[rest])
            return self.locals[rest]
        if ref in self.iterator:
            return self.iterator[ref]
        if head == "data" and rest.startswith("aws_iam_policy_document.") and rest.endswith(".json"):
            return {"__document__": rest.split(".")[1]}
        if ref in self.resources:
            return self.resources[ref]
        raise PolicyRenderError(f"{self.module_dir.name}: {ref} is not bound (pass it in resources)")

    def value(self, raw: Any) -> Any:
        """A parsed HCL value with its expressions evaluated."""
        if isinstance(raw, list):
            return [self.value(v) for v in raw]
        if isinstance(raw, dict):
            return {k: self.value(v) for k, v in raw.items()}
        if not isinstance(raw, str) or "${" not in raw:
            return raw
        whole = re.fullmatch(r"\$\{(.*)\}", raw, re.S)
        if whole and "${" not in whole.group(1):
            return _Expr(whole.group(1), self).parse()
        parts = re.split(r"\$\{([^}]*)\}", raw)
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
                continue
            piece = _Expr(part, self).parse()
            if not isinstance(piece, (str, int, float)) or isinstance(piece, bool):
                raise PolicyRenderError(f"{raw!r}: ${{{part}}} is {piece!r}, not a string")
            out.append(str(piece))
        return "".join(out)


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _as_list(value: Any, what: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise PolicyRenderError(f"{what} must be a list, got {value!r}")


def _statement(scope: Scope, body: dict) -> dict:
    """One `statement` block as IAM JSON."""
    known = {"sid", "effect", "actions", "not_actions", "resources", "not_resources", "principals",
             "not_principals", "condition"}
    unknown = set(body) - known
    if unknown:
        raise PolicyRenderError(f"statement attributes not read here: {sorted(unknown)}")
    out: dict[str, Any] = {}
    sid = scope.value(body.get("sid"))
    if sid:
        out["Sid"] = sid
    out["Effect"] = scope.value(body.get("effect", "Allow"))
    for attr, key in (("actions", "Action"), ("not_actions", "NotAction"),
                      ("resources", "Resource"), ("not_resources", "NotResource")):
        if attr in body:
            out[key] = _one_or_list(_as_list(scope.value(body[attr]), f"{sid}.{attr}"))
    for attr, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        if attr not in body:
            continue
        blocks = [scope.value(b) for b in body[attr]]
        if len(blocks) == 1 and blocks[0]["type"] == "*" and blocks[0]["identifiers"] == ["*"]:
            out[key] = "*"
        else:
            out[key] = {b["type"]: _one_or_list(_as_list(b["identifiers"], f"{sid}.{attr}")) for b in blocks}
    if "condition" in body:
        conditions: dict[str, dict[str, Any]] = {}
        for raw in body["condition"]:
            c = scope.value(raw)
            values = _as_list(c["values"], f"{sid} condition {c['variable']}")
            if not values:
                raise PolicyRenderError(f"{sid}: condition {c['test']} {c['variable']} has no values")
            conditions.setdefault(c["test"], {})[c["variable"]] = _one_or_list(values)
        out["Condition"] = conditions
    return out


def _document(scope: Scope, name: str, seen: tuple[str, ...] = ()) -> dict:
    if name in scope.rendered:
        return scope.rendered[name]
    if name in seen:
        raise PolicyRenderError(f"policy documents refer to each other in a loop: {' -> '.join(seen + (name,))}")
    try:
        body = scope.documents_raw[name]
    except KeyError:
        raise PolicyRenderError(f"{scope.module_dir.name}: no aws_iam_policy_document {name}") from None
    unknown = set(body) - {"statement", "dynamic", "source_policy_documents"}
    if unknown:
        raise PolicyRenderError(f"{name}: document attributes not read here: {sorted(unknown)}")

    own = [_statement(scope, s) for s in body.get("statement", [])]
    for dynamic in body.get("dynamic", []):
        block = dynamic.get("statement") or dynamic.get('"statement"')
        if block is None:
            raise PolicyRenderError(f"{name}: only dynamic \"statement\" blocks are read")
        for item in _as_list(scope.value(block["for_each"]), f"{name} dynamic for_each"):
            scope.iterator["statement.value"] = item
            try:
                own += [_statement(scope, c) for c in block["content"]]
            finally:
                scope.iterator.pop("statement.value")

    merged: list[dict] = []
    for source in _as_list(scope.value(body.get("source_policy_documents", [])), f"{name}.source_policy_documents"):
        if not (isinstance(source, dict) and "__document__" in source):
            raise PolicyRenderError(f"{name}: source_policy_documents must name data.aws_iam_policy_document.x.json")
        merged += _document(scope, source["__document__"], seen + (name,))["Statement"]
    own_sids = {s["Sid"] for s in own if "Sid" in s}
    statements = [s for s in merged if s.get("Sid") not in own_sids] + own
    sids = [s["Sid"] for s in statements if "Sid" in s]
    if len(sids) != len(set(sids)):
        raise PolicyRenderError(f"{name}: a Sid occurs twice: {sids}")
    scope.rendered[name] = {"Version": "2012-10-17", "Statement": statements}
    return scope.rendered[name]


def render_documents(module_dir: Path, inputs: dict[str, Any], resources: dict[str, Any]) -> dict[str, dict]:
    """Every `aws_iam_policy_document` of `module_dir`, rendered with `inputs` for its
    variables (others take their defaults) and `resources` binding the resource
    attributes the documents name (e.g. {"aws_s3_bucket.this.arn": "arn:aws:s3:::b"})."""
    scope = Scope(module_dir, inputs, resources)
    return {name: _document(scope, name) for name in scope.documents_raw}


def storage_policies(bucket: str, delete_principal_arns: list[str], kms_key_arn: str | None = None,
                     module_dir: Path = STORAGE) -> dict[str, dict]:
    """The storage module's role and bucket policies for `bucket` (a name, or `*` for every
    bucket on the local stack, where each test makes its own)."""
    docs = render_documents(
        module_dir,
        {"delete_principal_arns": delete_principal_arns, "kms_key_arn": kms_key_arn},
        {"aws_s3_bucket.this.arn": f"arn:aws:s3:::{bucket}"},
    )
    missing = [d for d in DOCUMENTS if d not in docs]
    if missing:
        raise PolicyRenderError(f"modules/storage lacks the policy documents {missing}")
    return {d: docs[d] for d in DOCUMENTS}


INDEX = STORAGE.parent / "index"
INDEX_DOCUMENTS = ("writer", "admin")


def index_policies(table_arn: str, kms_key_arn: str | None = None,
                   module_dir: Path = INDEX) -> dict[str, dict]:
    """The index module's role policies (`writer` for staff and the daemon, `admin`) for the
    table `table_arn`."""
    docs = render_documents(module_dir, {"kms_key_arn": kms_key_arn},
                            {"aws_dynamodb_table.this.arn": table_arn})
    missing = [d for d in INDEX_DOCUMENTS if d not in docs]
    if missing:
        raise PolicyRenderError(f"modules/index lacks the policy documents {missing}")
    return {d: docs[d] for d in INDEX_DOCUMENTS}


COGNITO = STORAGE.parent / "cognito"


def cognito_policies(pool_arn: str, module_dir: Path = COGNITO) -> dict[str, dict]:
    """The cognito module's `user_admin` policy (the admins' right to manage the team) for the
    user pool `pool_arn`."""
    docs = render_documents(module_dir, {}, {"aws_cognito_user_pool.this.arn": pool_arn})
    if "user_admin" not in docs:
        raise PolicyRenderError("modules/cognito lacks the policy document user_admin")
    return {"user_admin": docs["user_admin"]}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bucket", default="acme-studio-photos")
    ap.add_argument("--admin-role-arn", default="arn:aws:iam::111122223333:role/lightbox_studio-admins")
    a = ap.parse_args()
    print(json.dumps(storage_policies(a.bucket, [a.admin_role_arn]), indent=2))
