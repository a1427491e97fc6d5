output "table_name" {
  description = "Name of the index table (the `index_table` field of the example's `lightbox` output)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the index table; its GSIs are under `<arn>/index/*`."
  value       = aws_dynamodb_table.this.arn
}

output "writer_policy_json" {
  description = "IAM policy for staff and the daemon: look up, page the gallery, reserve, register, make live (UpdateItem on the writer attributes only; no PutItem, no DeleteItem, no deletion marks)."
  value       = data.aws_iam_policy_document.writer.json
}

output "admin_policy_json" {
  description = "IAM policy for admins: the writer's reads plus UpdateItem on every attribute (mark deleted), DeleteItem and Scan (index rebuild and check)."
  value       = data.aws_iam_policy_document.admin.json
}
