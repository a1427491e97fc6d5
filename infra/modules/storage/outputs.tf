output "bucket" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "region" {
  description = "Region of the bucket."
  value       = aws_s3_bucket.this.region
}

output "writer_policy_json" {
  description = "IAM policy: list, get, put (with multipart) on the bucket; no delete. For staff and the daemon."
  value       = data.aws_iam_policy_document.access["writer"].json
}

output "admin_policy_json" {
  description = "IAM policy: list, get, put (with multipart) and delete on the bucket. For admins."
  value       = data.aws_iam_policy_document.access["admin"].json
}
