output "instance_id" {
  description = "The daemon's EC2 instance (`aws ssm start-session --target <id>` for a shell)."
  value       = aws_instance.daemon.id
}

output "data_volume_id" {
  description = "The encrypted EBS volume with the import folders and the catalog (mounted at /srv/lightbox)."
  value       = aws_ebs_volume.data.id
}

output "security_group_id" {
  description = "The instance's security group: no inbound rule, HTTPS out."
  value       = aws_security_group.daemon.id
}

output "log_group_name" {
  description = "CloudWatch Logs group with the daemon's JSON logs (stream `<instance-id>/daemon`) and EMF lines (`<instance-id>/emf`)."
  value       = aws_cloudwatch_log_group.daemon.name
}

output "alarm_topic_arn" {
  description = "The encrypted SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "The alarms: failed files, oldest waiting file, not reporting, data disk."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "dashboard_url" {
  description = "The CloudWatch dashboard: upload rate, queue, oldest waiting file, failures, retries, heartbeat, disk, warnings."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards:name=${aws_cloudwatch_dashboard.daemon.dashboard_name}"
}

output "kms_key_arn" {
  description = "The customer-managed key of the volumes, the log group and the alarm topic."
  value       = aws_kms_key.this.arn
}
