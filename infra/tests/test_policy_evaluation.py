"""The role and bucket policies infra/ declares, rendered from the HCL (policies.py) and
evaluated with a real IAM policy evaluator (@cloud-copilot/iam-simulate) for the requests
staff, the daemon, admins and strangers make (evaluation.py). A table of mutations to a
copy of modules/storage shows that each guarantee rests on the statement it names: take
that statement away and the cases that depend on it fail."""

import shutil
from pathlib import Path

import pytest

from evaluation import CASES, evaluate, table
from policies import COGNITO, STORAGE, PolicyRenderError, render_documents, storage_policies


def test_every_request_gets_the_answer_it_should(capsys):
    rows = evaluate()
    with capsys.disabled():
        print("\n" + table(rows))
    wrong = [r for r in rows if not r["ok"]]
    assert not wrong, "requests the policies answer wrongly:\n" + table(wrong)
    ignored = {r["case"]: r["ignored"] for r in rows if r["ignored"]}
    assert not ignored, f"context keys the evaluator dropped (the case would test less than it says): {ignored}"


def test_the_cases_cover_each_role_and_both_answers():
    who = {c.who for c in CASES}
    assert {"staff", "daemon", "admin", "anonymous", "signed-in, no group"} <= who
    assert {c.expected for c in CASES} >= {"Allowed", "denied", "ExplicitlyDenied"}


# (what is changed in modules/storage/main.tf: text found exactly once, its replacement,
#  the cases that must then come out wrong)
MUTATIONS = [
    pytest.param(
        # The condition block of CreateOriginalsOnlyIfAbsent, removed.
        '    resources = [local.originals]\n    condition {\n      test     = "Null"\n      variable = "s3:if-none-match"\n'
        '      values   = ["false"]\n    }\n',
        "    resources = [local.originals]\n",
        {"staff PutObject of an original without If-None-Match",
         "staff overwrite of an existing original (If-Match, no If-None-Match)",
         "staff CompleteMultipartUpload without If-None-Match",
         "staff CopyObject onto an original",
         "daemon PutObject of an original without If-None-Match",
         "admin PutObject of an original without If-None-Match"},
        id="staff policy without the If-None-Match condition",
    ),
    pytest.param(
        '''      variable = "s3:ObjectCreationOperation"
      values   = ["false"]''',
        '''      variable = "s3:ObjectCreationOperation"
      values   = ["true"]''',
        {"staff PutObject of an original without If-None-Match",
         "staff overwrite of an existing original (If-Match, no If-None-Match)",
         "staff CompleteMultipartUpload without If-None-Match",
         "staff CopyObject onto an original",
         "staff CreateMultipartUpload / UploadPart of an original",
         "daemon PutObject of an original without If-None-Match",
         "admin PutObject of an original without If-None-Match"},
        id="multipart exemption turned the wrong way",
    ),
    pytest.param(
        # The condition block of CreatePreviewsOnlyIfAbsent, removed.
        '    resources = [local.previews]\n    condition {\n      test     = "Null"\n      variable = "s3:if-none-match"\n'
        '      values   = ["false"]\n    }\n',
        "    resources = [local.previews]\n",
        {"staff PutObject of a preview without If-None-Match (replacing one)"},
        id="previews statement without the If-None-Match condition",
    ),
    pytest.param('    resources = [local.previews]\n    condition {', '    resources = [local.objects]\n    condition {',
                 {"staff PutObject under another prefix (trash/)", "staff PutObject at the bucket's top level"},
                 id="previews statement widened to the whole bucket"),
    pytest.param('    sid       = "DenyCustomerProvidedKeys"\n    effect    = "Deny"',
                 '    sid       = "DenyCustomerProvidedKeys"\n    effect    = "Allow"',
                 {"staff PutObject with SSE-C"}, id="SSE-C deny dropped"),
    pytest.param('    sid       = "DenyDeleteExceptAdmins"\n    effect    = "Deny"',
                 '    sid       = "DenyDeleteExceptAdmins"\n    effect    = "Allow"',
                 {"staff DeleteObject with s3:* added to its role by mistake", "staff DeleteObject of an original",
                  "staff DeleteObjectVersion", "daemon DeleteObject"},
                 id="bucket policy's delete deny dropped"),
    pytest.param('''data "aws_iam_policy_document" "daemon" {
  source_policy_documents = [data.aws_iam_policy_document.uploader.json]''',
                 '''data "aws_iam_policy_document" "daemon" {
  source_policy_documents = [data.aws_iam_policy_document.staff.json]''',
                 {"daemon GetObject of a preview"}, id="daemon given the staff policy"),
    pytest.param('    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectVersion"]',
                 '    actions   = ["s3:DeleteObject"]',
                 {"admin undo: DeleteObjectVersion of the delete marker", "admin restore: GetObjectVersion"},
                 id="admin without the versioning actions"),
]


@pytest.mark.parametrize(("old", "new", "must_fail"), MUTATIONS)
def test_a_weakened_policy_fails_the_cases_that_rest_on_it(tmp_path: Path, old: str, new: str, must_fail: set[str]):
    storage = tmp_path / "storage"
    shutil.copytree(STORAGE, storage)
    main = storage / "main.tf"
    text = main.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the mutation must hit exactly one place in modules/storage/main.tf: {old!r}"
    main.write_text(text.replace(old, new), encoding="utf-8")

    failed = {r["case"] for r in evaluate(storage=storage) if not r["ok"]}

    assert failed == must_fail, f"after the mutation, failing cases: {sorted(failed)}"


def test_the_kms_statement_appears_only_with_a_key():
    key = "arn:aws:kms:eu-west-1:111122223333:key/abc"
    with_key = storage_policies("b", ["arn:aws:iam::1:role/a"], kms_key_arn=key)
    without = storage_policies("b", ["arn:aws:iam::1:role/a"])
    for doc in ("staff", "daemon", "admin"):
        kms = [s for s in with_key[doc]["Statement"] if s.get("Sid") == "UseBucketKey"]
        assert kms and kms[0]["Resource"] == key, f"{doc} may use the bucket's KMS key"
        assert not [s for s in without[doc]["Statement"] if s.get("Sid") == "UseBucketKey"]


def test_a_form_the_renderer_does_not_read_is_refused(tmp_path: Path):
    (tmp_path / "main.tf").write_text('''data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:GetObject"]
    resources = [format("%s/*", var.bucket)]
  }
}
variable "bucket" {
  type    = string
  default = "b"
}
''', encoding="utf-8")
    with pytest.raises(PolicyRenderError, match="format"):
        render_documents(tmp_path, {}, {})


def test_an_unbound_resource_is_refused_not_guessed():
    with pytest.raises(PolicyRenderError, match="aws_s3_bucket.this.arn is not bound"):
        render_documents(STORAGE, {"delete_principal_arns": ["arn:aws:iam::1:role/a"]}, {})


def test_the_team_policy_rests_on_its_pool_scope(tmp_path: Path):
    """Widen the admins' Cognito statement to every pool: the case of another pool must fail."""
    cognito = tmp_path / "cognito"
    shutil.copytree(COGNITO, cognito)
    main = cognito / "main.tf"
    text = main.read_text(encoding="utf-8")
    old = "    resources = [aws_cognito_user_pool.this.arn]\n"
    assert text.count(old) == 1, "the team statement names the pool once"
    main.write_text(text.replace(old, '    resources = ["*"]\n'), encoding="utf-8")

    failed = {r["case"] for r in evaluate(cognito=cognito) if not r["ok"]}

    assert failed == {"admin AdminCreateUser in another pool"}, f"after widening: {sorted(failed)}"
