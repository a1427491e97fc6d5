variable "name" {
  type        = string
  description = "Name of the identity pool, and prefix of its IAM roles."
}

variable "user_pool_endpoint" {
  type        = string
  description = "The user pool's provider name, cognito-idp.<region>.amazonaws.com/<pool id> (the cognito module's user_pool_endpoint)."
}

variable "client_id" {
  type        = string
  description = "The user pool app client whose ID tokens are accepted."
}

variable "group_roles" {
  type = list(object({
    group       = string
    policy_json = string
  }))
  description = "One IAM role per user group, in priority order (the first group a user is in wins), with its policy document."

  validation {
    condition     = length(var.group_roles) > 0
    error_message = "group_roles needs at least one group, or nobody gets credentials."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for the identity pool and its roles."
  default     = {}
}
