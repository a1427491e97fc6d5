variable "bucket_name" {
  type        = string
  description = "Name of the studio's bucket (globally unique)."
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete a bucket that still holds photos. Keep false outside tests."
  default     = false
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for SSE-KMS; null for S3-managed encryption (SSE-S3)."
  default     = null
}

variable "versioning" {
  type        = bool
  description = "Keep earlier versions of objects, so a deleted photo can be restored until noncurrent_version_expiration_days."
  default     = true
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "With versioning: days a deleted or overwritten object's old version is kept."
  default     = 30
}

variable "abort_incomplete_multipart_days" {
  type        = number
  description = "Days after which parts of an unfinished multipart upload are deleted."
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_days >= 1
    error_message = "abort_incomplete_multipart_days must be at least 1."
  }
}

variable "originals_transition_days" {
  type        = number
  description = "Days after which originals/ moves to originals_transition_storage_class; null to keep them in STANDARD."
  default     = null
}

variable "originals_transition_storage_class" {
  type        = string
  description = "Storage class originals/ moves to after originals_transition_days (e.g. GLACIER_IR, STANDARD_IA)."
  default     = "GLACIER_IR"
}

variable "trash_expiration_days" {
  type        = number
  description = "Days after which objects under trash/ are deleted; null when trash/ is not used."
  default     = null
}

variable "cors_allowed_origins" {
  type        = list(string)
  description = "Origins whose pages may fetch presigned GETs (the app's webview); empty for no CORS rule."
  default     = ["tauri://localhost", "http://tauri.localhost"]
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket that receives S3 server access logs (under `s3-access/<bucket>/`); null for no access logging."
  default     = null
}

variable "delete_principal_arns" {
  type        = list(string)
  description = "IAM principals (role or user ARNs) that may delete objects and object versions; the bucket policy denies it to everyone else. The admins' group role, plus any break-glass role of your own."

  validation {
    condition     = length(var.delete_principal_arns) > 0
    error_message = "delete_principal_arns needs at least the admins' role ARN (the identity module's group_role_arns[\"admins\"])."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for the bucket."
  default     = {}
}
