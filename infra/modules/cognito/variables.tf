variable "name" {
  type        = string
  description = "Name of the user pool, e.g. \"lightbox-studio\"."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the user pool (and its users) while true."
  default     = true
}

variable "password_minimum_length" {
  type        = number
  description = "Minimum password length."
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be between 8 and 99 (Cognito's limits)."
  }
}

variable "password_require_uppercase" {
  type        = bool
  description = "Passwords must contain an upper-case letter."
  default     = true
}

variable "password_require_lowercase" {
  type        = bool
  description = "Passwords must contain a lower-case letter."
  default     = true
}

variable "password_require_numbers" {
  type        = bool
  description = "Passwords must contain a digit."
  default     = true
}

variable "password_require_symbols" {
  type        = bool
  description = "Passwords must contain a symbol."
  default     = true
}

variable "temporary_password_validity_days" {
  type        = number
  description = "Days a temporary password (the admin's first one included) stays valid."
  default     = 7
}

variable "mfa" {
  type        = string
  description = "Multi-factor authentication with an authenticator app (TOTP): \"OFF\", \"OPTIONAL\" or \"ON\"."
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa)
    error_message = "mfa must be \"OFF\", \"OPTIONAL\" or \"ON\"."
  }
}

variable "client_name" {
  type        = string
  description = "Name of the app client the desktop app and the daemon sign in with."
  default     = "lightbox-desktop"
}

variable "explicit_auth_flows" {
  type        = list(string)
  description = "Sign-in flows the app client allows. SRP and refresh are required. ALLOW_USER_PASSWORD_AUTH (the password goes to Cognito, over TLS) is off: add it only for a pool whose users cannot use SRP."
  default     = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]

  validation {
    condition     = contains(var.explicit_auth_flows, "ALLOW_USER_SRP_AUTH") && contains(var.explicit_auth_flows, "ALLOW_REFRESH_TOKEN_AUTH")
    error_message = "explicit_auth_flows must contain ALLOW_USER_SRP_AUTH and ALLOW_REFRESH_TOKEN_AUTH: the app signs in with SRP and stays signed in with refresh tokens."
  }
}

variable "access_token_validity_minutes" {
  type        = number
  description = "Lifetime of access tokens, in minutes."
  default     = 60
}

variable "id_token_validity_minutes" {
  type        = number
  description = "Lifetime of ID tokens (exchanged for S3 credentials), in minutes."
  default     = 60
}

variable "refresh_token_validity_days" {
  type        = number
  description = "Lifetime of refresh tokens, in days: how long the app stays signed in."
  default     = 30
}

variable "hosted_ui_domain" {
  type        = string
  description = "Prefix for the Cognito Hosted UI domain (<prefix>.auth.<region>.amazoncognito.com); null for no Hosted UI."
  default     = null
}

variable "callback_urls" {
  type        = list(string)
  description = "OAuth redirect URLs for the Hosted UI: the app's loopback redirect, e.g. http://localhost:8765/callback."
  default     = []
}

variable "logout_urls" {
  type        = list(string)
  description = "URLs the Hosted UI may send the user back to after sign-out."
  default     = []
}

variable "groups" {
  type = map(object({
    description = string
    precedence  = number
  }))
  description = "User groups; the identity module maps each to an IAM role. Lower precedence wins."
  default = {
    admins = { description = "Review and delete photos in the gallery", precedence = 1 }
    staff  = { description = "Upload and view photos", precedence = 2 }
  }
}

variable "admin_username" {
  type        = string
  description = "User name of the first admin."
  default     = "admin"
}

variable "admin_email" {
  type        = string
  description = "E-mail address of the first admin (verified; used for account recovery)."
}

variable "admin_group" {
  type        = string
  description = "Group the first admin joins; must be a key of groups."
  default     = "admins"
}

variable "admin_password_delivery" {
  type        = string
  description = "How the admin gets the temporary password: \"EMAIL\" (Cognito mails it) or \"OUTPUT\" (only the sensitive output admin_temporary_password)."
  default     = "EMAIL"

  validation {
    condition     = contains(["EMAIL", "OUTPUT"], var.admin_password_delivery)
    error_message = "admin_password_delivery must be \"EMAIL\" or \"OUTPUT\"."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource that takes them."
  default     = {}
}
