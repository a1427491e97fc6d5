variable "region" {
  type        = string
  description = "AWS region for every resource, e.g. \"eu-west-1\"."
}

variable "name" {
  type        = string
  description = "Name of the user pool and prefix of the other resources."
  default     = "lightbox-studio"
}

variable "bucket_name" {
  type        = string
  description = "Name of the studio's bucket (globally unique)."
}

variable "admin_email" {
  type        = string
  description = "E-mail address of the first admin."
}

variable "admin_password_delivery" {
  type        = string
  description = "\"EMAIL\" (Cognito mails the admin's temporary password) or \"OUTPUT\" (terraform output -raw admin_temporary_password)."
  default     = "EMAIL"
}

variable "hosted_ui_domain" {
  type        = string
  description = "Prefix of the Cognito Hosted UI domain; null for no Hosted UI."
  default     = null
}

variable "callback_urls" {
  type        = list(string)
  description = "The app's loopback redirect URLs, when hosted_ui_domain is set."
  default     = []
}

variable "logout_urls" {
  type        = list(string)
  description = "Where the Hosted UI may return after sign-out."
  default     = []
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the bucket's encryption; null for S3-managed keys."
  default     = null
}

variable "index_table" {
  type        = bool
  description = "Create the shared photo index table (DynamoDB) that lets many stations share dedup, deletions and names; false for one station's truth only."
  default     = true
}

variable "index_kms_key_arn" {
  type        = string
  description = "Customer managed KMS key for the index table; null for the AWS managed key aws/dynamodb."
  default     = null
}

variable "access_log_bucket" {
  type        = string
  description = "An existing bucket that receives the photo bucket's S3 server access logs (who put, read or deleted which key, and when); null for none. The cheap audit trail: you pay only for the log objects."
  default     = null
}

variable "extra_delete_principal_arns" {
  type        = list(string)
  description = "IAM principals besides the admins' role that may delete photos and versions (a break-glass role, say); everyone else is denied by the bucket policy."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = { Project = "lightbox" }
}
