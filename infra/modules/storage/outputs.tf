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

output "staff_policy_json" {
  description = "IAM policy for staff: list; read originals/ and previews/; create new originals (If-None-Match required, multipart included) and write previews. No overwrite of an original, no delete, nothing else writable."
  value       = data.aws_iam_policy_document.staff.json
}

output "daemon_policy_json" {
  description = "IAM policy for the headless daemon: what staff may do, but reading originals/ only (to verify its uploads), not previews/."
  value       = data.aws_iam_policy_document.daemon.json
}

output "admin_policy_json" {
  description = "IAM policy for admins: what staff may do, plus delete originals and previews and the versioning actions of undo and restore (GetBucketVersioning, ListBucketVersions, GetObjectVersion, DeleteObjectVersion)."
  value       = data.aws_iam_policy_document.admin.json
}

output "bucket_policy_json" {
  description = "The bucket policy: TLS only, no SSE-C, no delete except by delete_principal_arns."
  value       = data.aws_iam_policy_document.bucket.json
}
