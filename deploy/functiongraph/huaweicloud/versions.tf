# OpenTofu / Terraform >= 1.3: optional object attributes (`targets`); `moved` and preconditions need 1.2.
terraform {
  required_version = ">= 1.3"

  required_providers {
    huaweicloud = {
      source  = "huaweicloud/huaweicloud"
      version = ">= 1.60"
    }
  }
}

# Credentials come from the environment (HW_ACCESS_KEY / HW_SECRET_KEY), never from this directory.
# `domain_id` is required by huaweicloud_identity_agency: the provider's agency create fails with
# "the domain_id must be specified in the provider configuration" without it
# (huaweicloud/terraform-provider-huaweicloud, huaweicloud/services/iam/resource_huaweicloud_identity_agency.go).
provider "huaweicloud" {
  region    = var.region
  domain_id = var.domain_id
}
