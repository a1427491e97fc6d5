# A studio's whole Lightbox account: user pool with the first admin, the bucket,
# the shared photo index (optional, on by default), the identity pool with a role
# per group, and a role for a server running the daemon.
# `terraform output -json lightbox > lightbox.json` then
# `lightbox config import-terraform lightbox.json` turns the `lightbox` output into the
# app's config (README.md: this prints no secret).

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

module "cognito" {
  source = "../../modules/cognito"

  name                    = var.name
  admin_email             = var.admin_email
  admin_password_delivery = var.admin_password_delivery
  hosted_ui_domain        = var.hosted_ui_domain
  callback_urls           = var.callback_urls
  logout_urls             = var.logout_urls
}

module "storage" {
  source = "../../modules/storage"

  bucket_name                     = var.bucket_name
  kms_key_arn                     = var.kms_key_arn
  abort_incomplete_multipart_days = 7
  access_log_bucket               = var.access_log_bucket

  # Only the admins' role (and any break-glass principal of yours) may delete.
  delete_principal_arns = concat([module.identity.group_role_arns["admins"]], var.extra_delete_principal_arns)
}

# The shared photo index for a studio of many stations (docs/index.md). Without it
# Lightbox runs as one station's truth.
module "index" {
  source = "../../modules/index"
  count  = var.index_table ? 1 : 0

  table_name  = "${var.name}-index"
  kms_key_arn = var.index_kms_key_arn
}

# Each role's access: its S3 policy from the storage module merged with the index's (when the
# table exists). Staff and the daemon may look up, reserve, register and make live; only admins
# may mark deleted (docs/index.md, "Who may write what").
data "aws_iam_policy_document" "admin_access" {
  # Admins also manage the team: the Cognito admin actions on this pool only.
  source_policy_documents = concat([module.storage.admin_policy_json, module.cognito.user_admin_policy_json], module.index[*].admin_policy_json)
}

data "aws_iam_policy_document" "staff_access" {
  source_policy_documents = concat([module.storage.staff_policy_json], module.index[*].writer_policy_json)
}

data "aws_iam_policy_document" "daemon_access" {
  source_policy_documents = concat([module.storage.daemon_policy_json], module.index[*].writer_policy_json)
}

module "identity" {
  source = "../../modules/identity"

  name               = replace(var.name, "-", "_")
  user_pool_endpoint = module.cognito.user_pool_endpoint
  client_id          = module.cognito.client_id
  group_roles = [
    { group = "admins", policy_json = data.aws_iam_policy_document.admin_access.json },
    { group = "staff", policy_json = data.aws_iam_policy_document.staff_access.json },
  ]
}

module "daemon_role" {
  source = "../../modules/daemon_role"

  name        = "${var.name}-daemon"
  policy_json = data.aws_iam_policy_document.daemon_access.json
}
