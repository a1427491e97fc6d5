# A studio's whole Lightbox account: user pool with the first admin, the bucket,
# the shared photo index (optional, on by default), the identity pool with a role
# per group, and a role for a server running the daemon. `terraform output -json > tf.json && lightbox config import-terraform tf.json`
# turns the `lightbox` output into the app's config.

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
}

# The shared photo index for a studio of many stations (docs/index.md). Without it
# Lightbox runs as one station's truth.
module "index" {
  source = "../../modules/index"
  count  = var.index_table ? 1 : 0

  table_name  = "${var.name}-index"
  kms_key_arn = var.index_kms_key_arn
}

module "identity" {
  source = "../../modules/identity"

  name               = replace(var.name, "-", "_")
  user_pool_endpoint = module.cognito.user_pool_endpoint
  client_id          = module.cognito.client_id
  group_roles = [
    { group = "admins", policy_json = module.storage.admin_policy_json },
    { group = "staff", policy_json = module.storage.writer_policy_json },
  ]
}

module "daemon_role" {
  source = "../../modules/daemon_role"

  name        = "${var.name}-daemon"
  policy_json = module.storage.writer_policy_json
}
