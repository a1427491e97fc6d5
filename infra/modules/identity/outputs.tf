output "identity_pool_id" {
  description = "ID of the identity pool."
  value       = aws_cognito_identity_pool.this.id
}

output "group_role_arns" {
  description = "IAM role ARN per user group."
  value       = { for group, role in aws_iam_role.group : group => role.arn }
}
