# The studio's bucket: originals/YYYY/MM/DD/<name> and previews/. Private,
# encrypted, TLS only; interrupted multipart uploads are cleaned up.

locals {
  kms        = var.kms_key_arn != null
  bucket_arn = aws_s3_bucket.this.arn
  objects    = "${aws_s3_bucket.this.arn}/*"
  originals  = "${aws_s3_bucket.this.arn}/originals/*"
  previews   = "${aws_s3_bucket.this.arn}/previews/*"
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; a studio that wants it adds a replication configuration (versioning, its prerequisite, is on by default).
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events: Lightbox lists prefixes itself and the catalog is the queue.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_logging" "this" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3-access/${var.bucket_name}/"
}

# ACLs off: the bucket owner owns every object, whoever uploaded it.
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.kms ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = local.kms
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = var.versioning ? "Enabled" : "Suspended"
  }
}

# The bucket policy: what no identity policy can grant. TLS only; no SSE-C (an object
# encrypted with a customer key nobody else holds is lost to the studio); and no delete
# of an object or a version except by the principals in delete_principal_arns (the
# admins' role), so a staff or daemon role that someone widens by mistake still cannot
# delete. Lifecycle rules are not affected (S3 applies them whatever the policy says).
data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      local.bucket_arn,
      local.objects,
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyCustomerProvidedKeys"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = [local.objects]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-customer-algorithm"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyDeleteExceptAdmins"
    effect    = "Deny"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = [local.objects]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = var.delete_principal_arns
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  # A policy that names public principals is refused while public access is being blocked.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  #checkov:skip=CKV_AWS_300:The abort rule is the first, static rule below; checkov drops static blocks that sit next to dynamic ones of the same name (verified by removing the dynamic rules: the check passes). infra/tests/test_parity.py asserts the rule.
  bucket = aws_s3_bucket.this.id

  # Lightbox resumes its own multipart uploads from the catalog; parts of an upload
  # nobody finished within N days are only costing money.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  dynamic "rule" {
    for_each = var.versioning ? [var.noncurrent_version_expiration_days] : []
    content {
      id     = "expire-noncurrent-versions"
      status = "Enabled"
      filter {}
      noncurrent_version_expiration {
        noncurrent_days = rule.value
      }
    }
  }

  dynamic "rule" {
    for_each = var.originals_transition_days == null ? [] : [var.originals_transition_days]
    content {
      id     = "transition-originals"
      status = "Enabled"
      filter {
        prefix = "originals/"
      }
      transition {
        days          = rule.value
        storage_class = var.originals_transition_storage_class
      }
    }
  }

  dynamic "rule" {
    for_each = var.trash_expiration_days == null ? [] : [var.trash_expiration_days]
    content {
      id     = "expire-trash"
      status = "Enabled"
      filter {
        prefix = "trash/"
      }
      expiration {
        days = rule.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# The desktop app's webview fetches presigned GETs from its own origin.
resource "aws_s3_bucket_cors_configuration" "this" {
  count  = length(var.cors_allowed_origins) > 0 ? 1 : 0
  bucket = aws_s3_bucket.this.id

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag", "Content-Length", "Content-Type"]
    max_age_seconds = 3600
  }
}

# Least-privilege identity policies, one per kind of caller (rendered and evaluated with a
# real IAM policy evaluator by infra/tests/test_policy_evaluation.py; keep to the forms
# infra/tests/policies.py reads).
#
# - uploader: what every writer shares. New originals only: a PutObject or the
#   CompleteMultipartUpload of originals/* must carry If-None-Match (S3 then refuses an
#   existing key with 412, so nothing is overwritten); CreateMultipartUpload and UploadPart,
#   which take no conditional header, are let through by s3:ObjectCreationOperation = false
#   (AWS: "Enforce conditional writes"). Previews are created the same way, with the header
#   (the engine always sends it; 412 means the preview is there already), so no caller can
#   replace another station's preview. Nothing else is writable.
# - staff: the uploader plus reading originals and previews (the gallery).
# - daemon: the uploader plus reading originals (HeadObject verifies each upload); no previews read.
# - admin: staff plus delete and the versioning that the gallery's undo needs (removing a
#   delete marker is a DeleteObjectVersion; ListBucketVersions and GetObjectVersion find
#   and look at an older version when restoring later by hand).
data "aws_iam_policy_document" "uploader" {
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [local.bucket_arn]
  }

  statement {
    sid       = "CreateOriginalsOnlyIfAbsent"
    actions   = ["s3:PutObject"]
    resources = [local.originals]
    condition {
      test     = "Null"
      variable = "s3:if-none-match"
      values   = ["false"]
    }
  }

  statement {
    sid       = "MultipartPartsOfOriginals"
    actions   = ["s3:PutObject"]
    resources = [local.originals]
    condition {
      test     = "Bool"
      variable = "s3:ObjectCreationOperation"
      values   = ["false"]
    }
  }

  statement {
    sid       = "ResumeOrAbortMultipartOfOriginals"
    actions   = ["s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
    resources = [local.originals]
  }

  statement {
    sid       = "CreatePreviewsOnlyIfAbsent"
    actions   = ["s3:PutObject"]
    resources = [local.previews]
    condition {
      test     = "Null"
      variable = "s3:if-none-match"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = local.kms ? [var.kms_key_arn] : []
    content {
      sid       = "UseBucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "staff" {
  source_policy_documents = [data.aws_iam_policy_document.uploader.json]

  statement {
    sid       = "ReadPhotos"
    actions   = ["s3:GetObject"]
    resources = [local.originals, local.previews]
  }
}

data "aws_iam_policy_document" "daemon" {
  source_policy_documents = [data.aws_iam_policy_document.uploader.json]

  statement {
    sid       = "ReadOriginals"
    actions   = ["s3:GetObject"]
    resources = [local.originals]
  }
}

data "aws_iam_policy_document" "admin" {
  source_policy_documents = [data.aws_iam_policy_document.staff.json]

  statement {
    sid       = "DeletePhotos"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectVersion"]
    resources = [local.originals, local.previews]
  }

  statement {
    sid       = "Versions"
    actions   = ["s3:GetBucketVersioning", "s3:ListBucketVersions"]
    resources = [local.bucket_arn]
  }
}
