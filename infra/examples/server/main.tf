# A server running the headless daemon (`lightbox run`) for a studio whose account
# examples/studio made: one EC2 instance with the daemon's instance profile (no keys),
# the package from the project's release artifact (checksum verified), the import
# folders and the catalog on an encrypted EBS volume that outlives the instance, no
# inbound rule, IMDSv2 only. Its logs and metrics go to CloudWatch through the
# CloudWatch agent; alarms and the dashboard are in monitoring.tf.

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_subnet" "this" {
  id = var.subnet_id
}

data "aws_iam_instance_profile" "daemon" {
  name = var.instance_profile_name
}

data "aws_ssm_parameter" "al2023" {
  count = var.ami_id == null ? 1 : 0
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

locals {
  # The data volume: import folders next to the catalog's folder.
  mount     = "/srv/lightbox"
  state_dir = "/srv/lightbox/state"
  # What systemd writes the daemon's stderr (JSON logs) and stdout (EMF lines) to; the
  # CloudWatch agent ships both.
  log_file = "/var/log/lightbox/daemon.log"
  emf_file = "/var/log/lightbox/emf.log"

  ami = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.al2023[0].insecure_value

  config = templatefile("${path.module}/config.toml.tftpl", {
    state_dir      = local.state_dir
    bucket         = var.bucket_name
    region         = var.region
    metrics_listen = var.metrics_listen
    emf            = var.emf_metrics
  })

  agent_config = templatefile("${path.module}/cloudwatch-agent.json.tftpl", {
    host_namespace = local.host_namespace
    mount          = local.mount
    log_group      = aws_cloudwatch_log_group.daemon.name
    log_file       = local.log_file
    emf_file       = local.emf_file
  })
}

# No ingress at all: the daemon only calls out (S3, CloudWatch, SSM). /health and
# /metrics listen on loopback; reach them through an SSM session.
resource "aws_security_group" "daemon" {
  name_prefix = "${var.name}-"
  description = "Lightbox daemon: no inbound, HTTPS out"
  vpc_id      = data.aws_subnet.this.vpc_id

  egress {
    description = "HTTPS to S3, CloudWatch, SSM, the package repository and the release artifact"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = var.egress_cidr_blocks
  }

  tags = { Name = var.name }

  lifecycle {
    create_before_destroy = true
  }
}

# The import folders and the catalog: kept when the instance is replaced (an upgrade
# through release_url), so the new instance carries on from the last committed state.
# No backup plan here: the volume holds files on their way to the bucket (versioned, the
# system of record) and the catalog. A studio that keeps photos only here, or wants the
# catalog's ledgers back after losing the volume, adds it to its own AWS Backup plan.
resource "aws_ebs_volume" "data" {
  availability_zone = data.aws_subnet.this.availability_zone
  size              = var.data_volume_size_gib
  type              = var.data_volume_type
  encrypted         = true
  kms_key_id        = aws_kms_key.this.arn

  tags = { Name = "${var.name}-data" }
}

resource "aws_instance" "daemon" {
  ami                         = local.ami
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.daemon.id]
  iam_instance_profile        = data.aws_iam_instance_profile.daemon.name
  associate_public_ip_address = false
  monitoring                  = var.detailed_monitoring
  ebs_optimized               = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gib
    encrypted             = true
    kms_key_id            = aws_kms_key.this.arn
    delete_on_termination = true
  }

  # First boot: mount the data volume, install and verify the package, render the
  # config, start the daemon and the CloudWatch agent. A new release_url or
  # release_sha256 replaces the instance (the data volume moves to the new one).
  user_data = templatefile("${path.module}/user-data.sh.tftpl", {
    station        = var.station
    volume_id      = aws_ebs_volume.data.id
    volume_serial  = replace(aws_ebs_volume.data.id, "-", "")
    mount          = local.mount
    state_dir      = local.state_dir
    import_folders = var.import_folders
    release_url    = var.release_url
    release_sha256 = var.release_sha256
    config         = local.config
    agent_config   = local.agent_config
    log_file       = local.log_file
    emf_file       = local.emf_file
  })
  user_data_replace_on_change = true

  tags = { Name = var.name }

  lifecycle {
    # A newer Amazon Linux AMI is taken when the instance is replaced, not as a
    # replacement of its own on the next plan.
    ignore_changes = [ami]
  }

  depends_on = [
    aws_iam_role_policy_attachment.cloudwatch,
    aws_cloudwatch_log_group.daemon,
  ]
}

# Detaching stops the instance first, so the daemon gets SIGTERM, checkpoints its
# uploads and closes the catalog before the volume goes.
resource "aws_volume_attachment" "data" {
  device_name                    = "/dev/sdf"
  volume_id                      = aws_ebs_volume.data.id
  instance_id                    = aws_instance.daemon.id
  stop_instance_before_detaching = true
}

# What the server needs beyond modules/daemon_role's bucket policy, attached to the
# same role as separate policies (that module's policy stays the bucket's alone).
data "aws_iam_policy_document" "cloudwatch" {
  statement {
    sid       = "ShipLogsAndEmf"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.daemon.arn}:*"]
  }

  # The agent's host metrics (disk, memory). EMF metrics need no PutMetricData:
  # CloudWatch Logs extracts them from the log events.
  statement {
    sid       = "HostMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.host_namespace]
    }
  }
}

resource "aws_iam_policy" "cloudwatch" {
  name        = "${var.name}-cloudwatch"
  description = "Lightbox server: ship the daemon's logs and EMF lines to its log group, put the host metrics"
  policy      = data.aws_iam_policy_document.cloudwatch.json
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  role       = data.aws_iam_instance_profile.daemon.role_name
  policy_arn = aws_iam_policy.cloudwatch.arn
}

resource "aws_iam_role_policy_attachment" "ssm" {
  count      = var.enable_ssm ? 1 : 0
  role       = data.aws_iam_instance_profile.daemon.role_name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}
