output "role_arn" {
  description = "ARN of the daemon's role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the daemon's role."
  value       = aws_iam_role.this.name
}

output "instance_profile_name" {
  description = "Instance profile to attach to the daemon's EC2 instance."
  value       = aws_iam_instance_profile.this.name
}

output "instance_profile_arn" {
  description = "ARN of the instance profile."
  value       = aws_iam_instance_profile.this.arn
}
