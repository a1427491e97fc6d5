variable "region" {
  type        = string
  description = "AWS region of the server, the same as the studio bucket's (examples/studio output lightbox.region)."
}

variable "name" {
  type        = string
  description = "Prefix of every resource's name (instance, volume, security group, log group, topic, alarms, dashboard)."
  default     = "lightbox-server"
}

variable "station" {
  type        = string
  description = "The server's host name: the source host the daemon records in object metadata and the `station` dimension of its CloudWatch metrics. Keep it when the instance is replaced, or the alarms watch a name nobody reports."
  default     = "lightbox-server"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.station))
    error_message = "station is a host name: lower-case letters, digits and '-', at most 63 characters."
  }
}

variable "bucket_name" {
  type        = string
  description = "The studio's bucket (examples/studio output lightbox.bucket)."
}

variable "instance_profile_name" {
  type        = string
  description = "The daemon's instance profile, made by modules/daemon_role (examples/studio output daemon_instance_profile). This example attaches its CloudWatch (and SSM) policies to the profile's role."
}

variable "subnet_id" {
  type        = string
  description = "Subnet of the instance. It needs a way out to S3, CloudWatch Logs and SSM over HTTPS (a NAT gateway, or VPC endpoints) and to release_url; no public IP is given."
}

variable "egress_cidr_blocks" {
  type        = list(string)
  description = "Where the instance may connect, on port 443 only (S3, CloudWatch, SSM, the package repository, release_url). Narrow it to a proxy or the VPC endpoints' range where there is one."
  default     = ["0.0.0.0/0"]
}

variable "release_url" {
  type        = string
  description = "HTTPS URL of the release artifact: a .tar.gz holding the `lightbox` binary at its top level (scripts/package-daemon.sh makes it). Read with a plain GET: a public release asset or a presigned URL."

  validation {
    condition     = startswith(var.release_url, "https://")
    error_message = "release_url must be an https:// URL."
  }
}

variable "release_sha256" {
  type        = string
  description = "SHA-256 of the release artifact (the .sha256 file next to it). The instance refuses to install a download with another checksum."

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.release_sha256))
    error_message = "release_sha256 is 64 lower-case hex digits."
  }
}

variable "architecture" {
  type        = string
  description = "CPU architecture of the instance, the AMI and the release artifact: \"x86_64\" or \"arm64\" (Graviton)."
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture is \"x86_64\" or \"arm64\"."
  }
}

variable "ami_id" {
  type        = string
  description = "AMI of the instance; null for the latest Amazon Linux 2023 of `architecture` (read from the public SSM parameter when the instance is created; a newer one is taken only when the instance is replaced)."
  default     = null
}

variable "instance_type" {
  type        = string
  description = "Instance type: a Nitro type (the user data finds the data volume by its NVMe serial). t3.small fits one station's uploads; hashing and previews use both cores."
  default     = "t3.small"
}

variable "root_volume_size_gib" {
  type        = number
  description = "Size of the encrypted root volume (OS, binary, logs) in GiB."
  default     = 16
}

variable "data_volume_size_gib" {
  type        = number
  description = "Size of the encrypted data volume in GiB: the import folders and the catalog. Lightbox never deletes local files, so size it for the photos kept here (the disk alarm fires at disk_alarm_percent)."
  default     = 200
}

variable "data_volume_type" {
  type        = string
  description = "EBS type of the data volume."
  default     = "gp3"
}

variable "import_folders" {
  type        = list(string)
  description = "Folders the daemon watches, created on the data volume as `/srv/lightbox/<name>`."
  default     = ["import"]

  validation {
    condition     = length(var.import_folders) > 0 && alltrue([for f in var.import_folders : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*$", f)) && f != "state"])
    error_message = "import_folders are plain folder names (letters, digits, '.', '_', '-'), not \"state\" (the catalog's folder)."
  }
}

variable "metrics_listen" {
  type        = string
  description = "Loopback address where the daemon serves /health and Prometheus /metrics (curl them through an SSM session); null to serve neither."
  default     = "127.0.0.1:9464"
}

variable "emf_metrics" {
  type        = bool
  description = "Have the daemon write its metrics as CloudWatch EMF lines (config daemon.emf). Needs a release with EMF support (issue #23): an older binary refuses the unknown setting. Without EMF the metric alarms have no data and the not-reporting alarm fires."
  default     = true
}

variable "detailed_monitoring" {
  type        = bool
  description = "EC2 detailed monitoring (1-minute instance metrics, a few dollars a month)."
  default     = true
}

variable "enable_ssm" {
  type        = bool
  description = "Attach AmazonSSMManagedInstanceCore to the daemon's role: a shell through Session Manager (no SSH, no inbound rule) and Run Command for upgrades."
  default     = true
}

variable "log_retention_days" {
  type        = number
  description = "Days CloudWatch Logs keeps the daemon's logs and EMF lines."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days is one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "alarm_protocol" {
  type        = string
  description = "Protocol of the alarm topic's subscription: \"email\" (confirm the mail AWS sends), \"https\", \"sms\", ..."
  default     = "email"
}

variable "alarm_endpoint" {
  type        = string
  description = "Where alarms go: an e-mail address, an HTTPS URL or a phone number, per alarm_protocol."
}

variable "oldest_waiting_alarm_minutes" {
  type        = number
  description = "Alarm when the oldest file not yet in the bucket has waited longer than this."
  default     = 30
}

variable "not_reporting_alarm_minutes" {
  type        = number
  description = "Alarm when the daemon has written no metrics for this long (missing data counts as breaching)."
  default     = 10
}

variable "disk_alarm_percent" {
  type        = number
  description = "Alarm when the data volume is fuller than this (CloudWatch agent's disk_used_percent)."
  default     = 80
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = { Project = "lightbox" }
}
