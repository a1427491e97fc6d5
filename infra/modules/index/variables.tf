variable "table_name" {
  type        = string
  description = "Name of the shared photo index table, e.g. \"lightbox-studio-index\"."
}

variable "kms_key_arn" {
  type        = string
  description = "Customer managed KMS key for the table's encryption at rest; null for the AWS managed key aws/dynamodb."
  default     = null
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse DeleteTable (also from terraform destroy) until this is turned off. Keep true outside tests."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags for the table."
  default     = {}
}
