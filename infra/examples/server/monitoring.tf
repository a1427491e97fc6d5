# CloudWatch for the daemon: its log group (JSON logs and EMF lines, shipped by the
# CloudWatch agent), the alarms, their SNS topic and the dashboard. Every daemon
# metric named here is listed in metrics.json (infra/tests/test_server_metrics.py
# fails otherwise), which is the list the daemon's EMF lines and /metrics follow.

locals {
  # The daemon's EMF namespace (metrics.json "namespace") and the agent's, for host metrics.
  namespace      = "Lightbox"
  host_namespace = "Lightbox/Host"
  log_group_name = "/lightbox/${var.name}"
  log_group_arn  = "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"
}

# One customer-managed key for the volumes, the log group and the topic. The topic
# cannot use the AWS-managed SNS key: CloudWatch alarms may not use that key to publish.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's resource is always "*" (the key itself); the account root statement is the standard delegation to IAM.
  #checkov:skip=CKV_AWS_111:A key policy's resource is always "*" (the key itself); the account root statement is the standard delegation to IAM.
  #checkov:skip=CKV_AWS_356:A key policy's resource is always "*" (the key itself).
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    # Which alarms may publish is the topic policy's business (below), as AWS documents it.
  }

  statement {
    sid       = "LogsEncryptTheLogGroup"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_group_arn]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Lightbox server ${var.name}: data volume, logs, alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_cloudwatch_log_group" "daemon" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.id
}

# The account manages the topic; CloudWatch publishes to it only for this example's alarms.
data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid = "AccountManages"
    actions = [
      "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
      "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish",
    ]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:cloudwatch:${var.region}:${data.aws_caller_identity.current.account_id}:alarm:${var.name}-*"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "alarms" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = var.alarm_protocol
  endpoint  = var.alarm_endpoint
}

# The alarms, one row each. Every one notifies the topic when it fires and when it clears.
locals {
  alarms = {
    # Any file that failed (every error code: the EMF lines roll
    # lightbox_failed_files_total up to the station dimension alone).
    failed_files = {
      description = "A file failed to upload on ${var.station}: `lightbox status` and the daemon's log (the dashboard) name the file and the error code."
      namespace   = local.namespace
      metric      = "lightbox_failed_files_total"
      dimensions  = { station = var.station }
      statistic   = "Sum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      missing     = "notBreaching"
    }
    oldest_waiting_file = {
      description = "A file on ${var.station} has waited more than ${var.oldest_waiting_alarm_minutes} min to reach the bucket: uploads are stuck, paused or too slow for what arrives."
      namespace   = local.namespace
      metric      = "lightbox_oldest_waiting_file_age_seconds"
      dimensions  = { station = var.station }
      statistic   = "Maximum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanThreshold"
      threshold   = var.oldest_waiting_alarm_minutes * 60
      missing     = "notBreaching" # no data is the not-reporting alarm's business
    }
    # The heartbeat: every EMF line carries lightbox_uptime_seconds, so a minute without
    # one is a minute the daemon (or the agent, or the instance) did not report.
    not_reporting = {
      description = "The daemon on ${var.station} has written no metrics for ${var.not_reporting_alarm_minutes} min: it, the CloudWatch agent or the instance is down."
      namespace   = local.namespace
      metric      = "lightbox_uptime_seconds"
      dimensions  = { station = var.station }
      statistic   = "SampleCount"
      period      = 60
      periods     = var.not_reporting_alarm_minutes
      comparison  = "LessThanThreshold"
      threshold   = 1
      missing     = "breaching"
    }
    # The CloudWatch agent's disk metric for the data volume (cloudwatch-agent.json.tftpl:
    # drop_device, the InstanceId dimension; xfs made by the user data).
    data_disk = {
      description = "The data volume (${local.mount}: import folders and catalog) of ${var.station} is over ${var.disk_alarm_percent} % full. Lightbox never deletes local files: move uploaded ones away or grow the volume."
      namespace   = local.host_namespace
      metric      = "disk_used_percent"
      dimensions  = { InstanceId = aws_instance.daemon.id, path = local.mount, fstype = "xfs" }
      statistic   = "Maximum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanThreshold"
      threshold   = var.disk_alarm_percent
      missing     = "missing"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_dashboard" "daemon" {
  dashboard_name = var.name
  dashboard_body = templatefile("${path.module}/dashboard.json.tftpl", {
    region         = var.region
    namespace      = local.namespace
    host_namespace = local.host_namespace
    station        = var.station
    instance_id    = aws_instance.daemon.id
    mount          = local.mount
    log_group      = aws_cloudwatch_log_group.daemon.name
    oldest_minutes = var.oldest_waiting_alarm_minutes
    disk_percent   = var.disk_alarm_percent
    alarm_arns     = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.arn]
  })
}
