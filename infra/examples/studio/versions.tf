terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }

  # The state holds the first admin's temporary password (random_password) and every
  # resource id: keep it out of the working copy and out of git. A remote backend keeps it
  # encrypted, versioned and locked; make its bucket once, by hand or in another root
  # module, then uncomment and `terraform init -migrate-state`:
  #
  # backend "s3" {
  #   bucket       = "acme-terraform-state"          # versioned, private, encrypted
  #   key          = "lightbox/studio.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true                              # Terraform >= 1.10; older: dynamodb_table
  # }
}
