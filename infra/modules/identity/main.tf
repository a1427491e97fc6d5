# The identity pool: exchanges a user pool ID token for temporary AWS credentials.
# The role is chosen by the user's group (first matching rule wins); a signed-in
# user in no group is denied credentials, and there is no unauthenticated access.

locals {
  group_roles = { for r in var.group_roles : r.group => r.policy_json }
}

resource "aws_cognito_identity_pool" "this" {
  identity_pool_name               = var.name
  allow_unauthenticated_identities = false
  allow_classic_flow               = false

  cognito_identity_providers {
    client_id               = var.client_id
    provider_name           = var.user_pool_endpoint
    server_side_token_check = true
  }

  tags = var.tags
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "cognito-identity.amazonaws.com:aud"
      values   = [aws_cognito_identity_pool.this.id]
    }
    condition {
      test     = "ForAnyValue:StringLike"
      variable = "cognito-identity.amazonaws.com:amr"
      values   = ["authenticated"]
    }
  }
}

resource "aws_iam_role" "group" {
  for_each = local.group_roles

  name                 = "${var.name}-${each.key}"
  description          = "Lightbox: S3 access for members of the Cognito group ${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "group" {
  for_each = local.group_roles

  name   = "bucket-access"
  role   = aws_iam_role.group[each.key].id
  policy = each.value
}

# The pool's default authenticated role: no permissions. With the rules below and
# "Deny" for users no rule matches, it is never handed out for the user pool;
# it exists because the pool needs one.
resource "aws_iam_role" "signed_in" {
  name               = "${var.name}-signed-in"
  description        = "Lightbox: default identity pool role, without permissions"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = var.tags
}

# Rules on `cognito:groups`, first match wins, matched with Equals: "Contains" is a substring
# test, so a group named, say, "admins-old" or "not-admins" would be handed the admins' role.
# A user whose claim equals no rule's group (no group, or several groups at once) matches
# nothing and, with "Deny" for an ambiguous role, gets no credentials: keep each person
# in exactly one of the groups.
resource "aws_cognito_identity_pool_roles_attachment" "this" {
  identity_pool_id = aws_cognito_identity_pool.this.id

  roles = {
    authenticated = aws_iam_role.signed_in.arn
  }

  role_mapping {
    identity_provider         = "${var.user_pool_endpoint}:${var.client_id}"
    type                      = "Rules"
    ambiguous_role_resolution = "Deny"

    dynamic "mapping_rule" {
      for_each = var.group_roles
      content {
        claim      = "cognito:groups"
        match_type = "Equals"
        value      = mapping_rule.value.group
        role_arn   = aws_iam_role.group[mapping_rule.value.group].arn
      }
    }
  }
}
