output "user_pool_id" {
  description = "ID of the user pool."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "user_pool_endpoint" {
  description = "The pool's provider name (cognito-idp.<region>.amazonaws.com/<pool id>), as an identity pool expects it."
  value       = aws_cognito_user_pool.this.endpoint
}

output "issuer" {
  description = "Issuer (iss) of the pool's tokens; its JWKS is at <issuer>/.well-known/jwks.json."
  value       = "https://${aws_cognito_user_pool.this.endpoint}"
}

output "region" {
  description = "Region of the user pool."
  value       = local.region
}

output "client_id" {
  description = "ID of the app client (no secret)."
  value       = aws_cognito_user_pool_client.desktop.id
}

output "hosted_ui_domain" {
  description = "Full Hosted UI domain, or null when hosted_ui_domain is not set."
  value       = local.hosted_ui ? "${aws_cognito_user_pool_domain.this[0].domain}.auth.${local.region}.amazoncognito.com" : null
}

output "group_names" {
  description = "Names of the user groups."
  value       = [for g in aws_cognito_user_group.this : g.name]
}

output "admin_username" {
  description = "User name of the first admin."
  value       = aws_cognito_user.admin.username
}

output "admin_temporary_password" {
  description = "The first admin's temporary password (changed at first sign-in)."
  value       = random_password.admin.result
  sensitive   = true
}

output "user_admin_policy_json" {
  description = "IAM policy for the admins' role: the Cognito admin actions (list, invite, change group, disable, enable, reset password, remove) on this pool only."
  value       = data.aws_iam_policy_document.user_admin.json
}
