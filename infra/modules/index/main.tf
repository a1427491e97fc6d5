# The shared photo index (docs/index.md): one DynamoDB table, on demand, with one item
# per content (pk "C#<sha256>") and one per object key (pk "K#<key>"), and three sparse
# GSIs for the gallery. The bucket stays the system of record; the table is derived
# from it and `lightbox index rebuild` can recreate it.

locals {
  kms = var.kms_key_arn != null

  # What a gallery card shows: projected into every GSI, so a page never reads the table.
  card_attributes = [
    "key", "size", "content_type", "captured", "uploaded_at", "uploader_id", "uploader_name",
    "station", "camera_make", "camera_model", "camera_serial", "original_name", "width",
    "height", "thumb_key", "screen_key", "deleted_at",
  ]

  # Every attribute staff and the daemon may name in an UpdateItem (set, remove, or use in a
  # condition): the keys, the registration, the reservation, make-live and the GSI keys.
  # deleted_at, deleted_by_id and deleted_by_name are not here: only admins mark deleted.
  writer_attributes = [
    "pk", "key", "sha256", "size", "content_type", "captured", "uploaded_at", "uploader_id",
    "uploader_name", "station", "camera_make", "camera_model", "camera_serial",
    "original_name", "width", "height", "thumb_key", "screen_key", "state", "reserved_at",
    "reservation", "rnd", "g_month", "g_day", "g_name1", "g_name", "g_shard", "g_rnd",
  ]

  # The partition keys of the two item kinds; anything else is out of reach of the roles.
  item_kinds = ["C#*", "K#*"]
}

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:A customer managed key is optional (kms_key_arn); without one the table uses the AWS managed key aws/dynamodb, which needs no key administration and no key policy.
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "g_month"
    type = "S"
  }
  attribute {
    name = "g_day"
    type = "S"
  }
  attribute {
    name = "g_name1"
    type = "S"
  }
  attribute {
    name = "g_name"
    type = "S"
  }
  attribute {
    name = "g_shard"
    type = "S"
  }
  attribute {
    name = "g_rnd"
    type = "S"
  }

  # Newest first per day: g_month "YYYY-MM", g_day "YYYY-MM-DD#<taken>#<sha256>".
  global_secondary_index {
    name               = "by_day"
    hash_key           = "g_month"
    range_key          = "g_day"
    projection_type    = "INCLUDE"
    non_key_attributes = local.card_attributes
  }

  # Name prefix search: g_name1 is the first character of g_name "<lowercase name>#<sha256>".
  global_secondary_index {
    name               = "by_name"
    hash_key           = "g_name1"
    range_key          = "g_name"
    projection_type    = "INCLUDE"
    non_key_attributes = local.card_attributes
  }

  # The random view: g_shard is the first hex digit of g_rnd "<rnd>#<sha256>".
  global_secondary_index {
    name               = "by_random"
    hash_key           = "g_shard"
    range_key          = "g_rnd"
    projection_type    = "INCLUDE"
    non_key_attributes = local.card_attributes
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

# Reads every role needs: look up items (BatchGetItem for dedup, tombstones and key owners),
# page the gallery indexes, and DescribeTable for `lightbox doctor`.
data "aws_iam_policy_document" "read" {
  statement {
    sid       = "IndexRead"
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "IndexQuery"
    actions   = ["dynamodb:Query"]
    resources = ["${aws_dynamodb_table.this.arn}/index/*"]
  }

  # A customer managed key is used by DynamoDB on behalf of the caller.
  dynamic "statement" {
    for_each = local.kms ? [var.kms_key_arn] : []
    content {
      sid       = "IndexUseTableKey"
      actions   = ["kms:Decrypt", "kms:DescribeKey"]
      resources = [statement.value]
      condition {
        test     = "StringLike"
        variable = "kms:ViaService"
        values   = ["dynamodb.*.amazonaws.com"]
      }
    }
  }
}

# Staff and the daemon: look up, reserve, register, make live. Only UpdateItem (PutItem would
# replace a whole item, deletion marks included), only on the writer attributes (names set,
# removed or compared in a condition all count), only on the two item kinds, and no
# ALL_OLD/ALL_NEW return values, as AWS's fine-grained access control examples require.
data "aws_iam_policy_document" "writer" {
  source_policy_documents = [data.aws_iam_policy_document.read.json]

  statement {
    sid       = "IndexWriteWriterAttributes"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.this.arn]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:Attributes"
      values   = local.writer_attributes
    }
    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = local.item_kinds
    }
    condition {
      test     = "StringEqualsIfExists"
      variable = "dynamodb:ReturnValues"
      values   = ["NONE", "UPDATED_OLD", "UPDATED_NEW"]
    }
  }
}

# Admins: everything staff may do, plus mark deleted (any attribute), Scan for
# `lightbox index check`, and DeleteItem for `lightbox index rebuild` to drop entries
# whose object is gone.
data "aws_iam_policy_document" "admin" {
  source_policy_documents = [data.aws_iam_policy_document.read.json]

  statement {
    sid       = "IndexScan"
    actions   = ["dynamodb:Scan"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "IndexWriteAll"
    actions   = ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.this.arn]
    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = local.item_kinds
    }
  }
}
