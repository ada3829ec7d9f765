terraform {
  required_version = ">= 1.3"

  required_providers {
    opentelekomcloud = {
      source  = "opentelekomcloud/opentelekomcloud"
      version = ">= 1.36"
    }
  }
}

# Credentials come from the environment (OS_ACCESS_KEY / OS_SECRET_KEY, OS_DOMAIN_NAME), never from this
# directory. Do not set `tenant_name` here: opentelekomcloud_identity_agency_v3 refuses to work with it
# (opentelekomcloud/terraform-provider-opentelekomcloud, docs/resources/identity_agency_v3.md).
provider "opentelekomcloud" {
  auth_url = "https://iam.${var.region}.otc.t-systems.com/v3"
}
