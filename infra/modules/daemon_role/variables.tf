variable "name" {
  type        = string
  description = "Name of the role and of its instance profile."
}

variable "trusted_services" {
  type        = list(string)
  description = "AWS services that may assume the role: EC2 for an instance profile, ecs-tasks.amazonaws.com for an ECS task."
  default     = ["ec2.amazonaws.com"]
}

variable "policy_json" {
  type        = string
  description = "The role's bucket policy document: the storage module's daemon_policy_json (list; create new originals with If-None-Match, write previews, read originals; no overwrite, no delete)."
}

variable "tags" {
  type        = map(string)
  description = "Tags for the role and the instance profile."
  default     = {}
}
