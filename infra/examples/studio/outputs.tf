# One object for `lightbox config import-terraform`: keep its keys in step with
# sync-core/src/terraform_import.rs.
output "lightbox" {
  description = "What the Lightbox app needs: region, user pool, app client, identity pool, bucket, Hosted UI domain (or null), index table (or null)."
  value = {
    region           = var.region
    user_pool_id     = module.cognito.user_pool_id
    client_id        = module.cognito.client_id
    identity_pool_id = module.identity.identity_pool_id
    bucket           = module.storage.bucket
    hosted_ui_domain = module.cognito.hosted_ui_domain
    index_table      = one(module.index[*].table_name)
  }
}

output "admin_temporary_password" {
  description = "The first admin's temporary password (changed at first sign-in)."
  value       = module.cognito.admin_temporary_password
  sensitive   = true
}

output "daemon_instance_profile" {
  description = "Instance profile for a server running `lightbox run`."
  value       = module.daemon_role.instance_profile_name
}
