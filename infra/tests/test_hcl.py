"""Every .tf under infra/ parses, and the modules keep the terraform-aws-modules
layout: the four files, typed and described variables, described outputs, pinned
versions, and a README that lists every input and output."""

import json
import re

import pytest

from parity import EXAMPLE, INFRA, TfDir, parse_tf

MODULES = ["cognito", "storage", "identity", "daemon_role", "index"]
TF_FILES = sorted(INFRA.rglob("*.tf"))
EXAMPLES = ["studio", "server"]
DIRS = [INFRA / "modules" / m for m in MODULES] + [INFRA / "examples" / e for e in EXAMPLES]


def test_there_is_terraform_to_check():
    assert len(TF_FILES) >= 4 * len(DIRS), "each module and the example have main, variables, outputs, versions"


@pytest.mark.parametrize("path", TF_FILES, ids=[str(p.relative_to(INFRA)) for p in TF_FILES])
def test_every_tf_file_parses(path):
    assert isinstance(parse_tf(path), dict), f"python-hcl2 reads {path} as a document"


@pytest.mark.parametrize("directory", DIRS, ids=[d.name for d in DIRS])
def test_module_layout_and_documentation(directory):
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), f"{directory.name} has {name} (terraform-aws-modules layout)"
    tf = TfDir(directory)
    readme = (directory / "README.md").read_text(encoding="utf-8")
    for name, body in tf.variables.items():
        assert body.get("type"), f"{directory.name}: variable {name} has a type"
        assert body.get("description"), f"{directory.name}: variable {name} has a description"
        assert f"`{name}`" in readme, f"{directory.name}/README.md lists input `{name}`"
    outputs = {}
    for tf_file in directory.glob("*.tf"):
        for block in parse_tf(tf_file).get("output", []):
            outputs.update({k.strip('"'): v for k, v in block.items()})
    assert outputs, f"{directory.name} has outputs"
    for name, body in outputs.items():
        assert body.get("description"), f"{directory.name}: output {name} has a description"
        assert f"`{name}`" in readme, f"{directory.name}/README.md lists output `{name}`"


@pytest.mark.parametrize("directory", DIRS, ids=[d.name for d in DIRS])
def test_versions_pin_terraform_and_providers(directory):
    terraform = parse_tf(directory / "versions.tf")["terraform"][0]
    assert terraform["required_version"] == ">= 1.5", "Terraform 1.5 or newer (the issue's floor)"
    providers = terraform["required_providers"][0]
    assert re.fullmatch(r">= 5(\.0)*", providers["aws"]["version"]), "AWS provider 5 or newer"
    main = (directory / "main.tf").read_text(encoding="utf-8")
    if "random_" in main or directory.name == "studio":
        assert "random" in providers, f"{directory.name} uses the random provider, so pins it"


def test_the_example_has_one_output_object_for_import_terraform():
    outputs = {}
    for block in parse_tf(INFRA / EXAMPLE / "outputs.tf").get("output", []):
        outputs.update({k.strip('"'): v for k, v in block.items()})
    value = outputs["lightbox"]["value"]
    # Keep in step with sync-core/src/terraform_import.rs (index_table: docs/index.md; the
    # import ignores keys it does not read yet).
    assert sorted(value) == sorted(
        ["region", "user_pool_id", "client_id", "identity_pool_id", "bucket", "hosted_ui_domain", "index_table"]
    ), "`lightbox config import-terraform` reads exactly these keys"
    assert outputs["admin_temporary_password"].get("sensitive") is True, "the admin's password is never printed"
    sample = json.loads((INFRA / EXAMPLE / "terraform-output.example.json").read_text(encoding="utf-8"))
    assert sorted(sample["lightbox"]["value"]) == sorted(value), \
        "the sample `terraform output -json` (the import-terraform test fixture) has the output's keys"


def test_no_document_tells_the_reader_to_export_every_output():
    """`terraform output -json` without an output name prints sensitive values (the admin's
    temporary password) in plain text: the docs export the `lightbox` output alone."""
    root = INFRA.parent
    docs = [root / "README.md", root / "SECURITY.md", *root.glob("docs/*.md"), *INFRA.rglob("*.md"), *INFRA.rglob("*.tf")]
    bad = [str(p.relative_to(root)) for p in docs if p.is_file() and "terraform output -json >" in p.read_text(encoding="utf-8")]
    assert bad == [], f"these tell the reader to write every output, sensitive ones included, to a file: {bad}"
