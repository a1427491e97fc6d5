# The studio's Cognito user pool: who may sign in to Lightbox, how, and with
# which group. The desktop app signs in with SRP (the password never leaves the
# machine), keeps a refresh token, and revokes it on sign-out.

locals {
  hosted_ui = var.hosted_ui_domain != null
  # The pool id starts with its region ("eu-west-1_AbCdEf123").
  region = split("_", aws_cognito_user_pool.this.id)[0]
}

resource "aws_cognito_user_pool" "this" {
  name                = var.name
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # Staff accounts are made by an admin (or by Terraform), never by sign-up.
  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  username_configuration {
    case_sensitive = false
  }

  auto_verified_attributes = ["email"]

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_uppercase                = var.password_require_uppercase
    require_lowercase                = var.password_require_lowercase
    require_numbers                  = var.password_require_numbers
    require_symbols                  = var.password_require_symbols
    temporary_password_validity_days = var.temporary_password_validity_days
  }

  mfa_configuration = var.mfa

  dynamic "software_token_mfa_configuration" {
    for_each = var.mfa == "OFF" ? [] : [true]
    content {
      enabled = true
    }
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  tags = var.tags
}

resource "aws_cognito_user_pool_client" "desktop" {
  name         = var.client_name
  user_pool_id = aws_cognito_user_pool.this.id

  # A desktop app cannot keep a secret.
  generate_secret     = false
  explicit_auth_flows = var.explicit_auth_flows

  access_token_validity  = var.access_token_validity_minutes
  id_token_validity      = var.id_token_validity_minutes
  refresh_token_validity = var.refresh_token_validity_days
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  # Hosted UI (optional): OAuth code + PKCE with a loopback redirect.
  supported_identity_providers         = local.hosted_ui ? ["COGNITO"] : null
  allowed_oauth_flows_user_pool_client = local.hosted_ui
  allowed_oauth_flows                  = local.hosted_ui ? ["code"] : null
  allowed_oauth_scopes                 = local.hosted_ui ? ["openid", "email", "profile"] : null
  callback_urls                        = local.hosted_ui ? var.callback_urls : null
  logout_urls                          = local.hosted_ui ? var.logout_urls : null
}

resource "aws_cognito_user_pool_domain" "this" {
  count        = local.hosted_ui ? 1 : 0
  domain       = var.hosted_ui_domain
  user_pool_id = aws_cognito_user_pool.this.id

  lifecycle {
    precondition {
      condition     = length(var.callback_urls) > 0
      error_message = "hosted_ui_domain is set but callback_urls is empty: add the app's loopback redirect, e.g. [\"http://localhost:8765/callback\"]."
    }
  }
}

resource "aws_cognito_user_group" "this" {
  for_each = var.groups

  name         = each.key
  user_pool_id = aws_cognito_user_pool.this.id
  description  = each.value.description
  precedence   = each.value.precedence
}

# The first admin. Cognito makes them choose a new password at first sign-in
# (the app answers the NEW_PASSWORD_REQUIRED challenge).
resource "random_password" "admin" {
  length           = 20
  special          = true
  override_special = "!@#%^*-_=+"
  min_upper        = 1
  min_lower        = 1
  min_numeric      = 1
  min_special      = 1
}

resource "aws_cognito_user" "admin" {
  user_pool_id       = aws_cognito_user_pool.this.id
  username           = var.admin_username
  temporary_password = random_password.admin.result

  attributes = {
    email          = var.admin_email
    email_verified = true
  }

  # "EMAIL": Cognito mails the temporary password; "OUTPUT": only the sensitive output has it.
  desired_delivery_mediums = var.admin_password_delivery == "EMAIL" ? ["EMAIL"] : null
  message_action           = var.admin_password_delivery == "EMAIL" ? null : "SUPPRESS"

  lifecycle {
    # The admin changes the password at first sign-in; Terraform must not reset it.
    ignore_changes = [temporary_password]
  }
}

resource "aws_cognito_user_in_group" "admin" {
  user_pool_id = aws_cognito_user_pool.this.id
  group_name   = aws_cognito_user_group.this[var.admin_group].name
  username     = aws_cognito_user.admin.username
}

# What the admins' role may do to the team (the app's Team screen and `lightbox users`): the
# Cognito admin actions, on this pool only. AWS enforces it: the staff role has no such
# statement, so a staff member's AdminCreateUser is refused by IAM, whatever the app shows.
data "aws_iam_policy_document" "user_admin" {
  statement {
    sid = "ManageThisPoolsUsers"
    actions = [
      "cognito-idp:AdminAddUserToGroup",
      "cognito-idp:AdminCreateUser",
      "cognito-idp:AdminDeleteUser",
      "cognito-idp:AdminDisableUser",
      "cognito-idp:AdminEnableUser",
      "cognito-idp:AdminListGroupsForUser",
      "cognito-idp:AdminRemoveUserFromGroup",
      "cognito-idp:AdminResetUserPassword",
      "cognito-idp:AdminUserGlobalSignOut",
      "cognito-idp:ListUsers",
    ]
    resources = [aws_cognito_user_pool.this.arn]
  }
}
