# task-janitor on Huawei Cloud FunctionGraph: one function, one agency with a custom role, and either one TIMER
# trigger (the default: one run purges every target of the policy) or, with `targets`, one TIMER trigger per
# target, staggered over the hour, each run purging that target only.
#
# Checked against huaweicloud/terraform-provider-huaweicloud:
#   docs/resources/fgs_function.md + huaweicloud/services/fgs/resource_huaweicloud_fgs_function.go
#     (code_type "zip" needs func_code + code_filename; func_code is base64-encoded by the provider only when it
#      is not base64 already (utils.TryBase64EncodeString), so filebase64() is passed as is; "obs" needs code_url;
#      user_data / encrypted_user_data are JSON key/value strings; runtime is free text, not validated;
#      log_group_id requires log_stream_id, log_group_name and log_stream_name)
#   docs/resources/fgs_function_trigger.md (type TIMER, event_data = {name, schedule_type, schedule, user_event})
#   docs/resources/identity_agency.md + services/iam/resource_huaweicloud_identity_agency.go
#     (delegated_service_name must start with op_svc_; roles are matched by display name)
#   docs/resources/identity_role.md (type XA = project-level custom policy, AX = global-service custom policy,
#     policy = JSON document); identity_agency.md (domain_roles: roles granted on the whole account, which is
#     where a global service such as SMS looks)
# FunctionGraph's service name for agencies is op_svc_cff (provider acceptance tests and the IAM service list).

locals {
  # The timer sends `user_event` as a string; the handler parses it as the manual event.
  base_user_event = trimspace(var.trigger_user_event) == "" ? {} : jsondecode(var.trigger_user_event)
  user_event      = jsonencode(merge(local.base_user_event, { dryRun = var.dry_run }))

  user_data = merge(
    {
      TASK_JANITOR_CLOUD  = "huaweicloud"
      TASK_JANITOR_REGION = var.region
      TASK_JANITOR_POLICY = var.policy
    },
    var.project_id == "" ? {} : { TASK_JANITOR_PROJECT_ID = var.project_id },
    var.settings,
  )

  has_log_config = var.log_group_id != ""

  # Targets named by project id: the agency grants its role by project name, which IAM tells.
  targets_by_project_id = [for t in var.targets : t if t.project_id != null]
}

data "huaweicloud_identity_projects" "all" {
  count = length(local.targets_by_project_id) == 0 ? 0 : 1
}

module "targets" {
  source = "../modules/timer-targets"

  targets             = var.targets
  function_name       = var.function_name
  base_user_event     = local.base_user_event
  dry_run             = var.dry_run
  schedule            = var.targets_schedule
  stagger_minutes     = var.stagger_minutes
  project_names_by_id = { for p in flatten(data.huaweicloud_identity_projects.all[*].projects) : p.id => p.name }
}

resource "huaweicloud_identity_role" "purge" {
  name        = "${var.function_name}-purge"
  description = "task-janitor: list and delete finished DCS, ModelArts, OMS and DIS tasks"
  type        = "XA"
  policy = jsonencode({
    Version = "1.1"
    Statement = [
      {
        Effect = "Allow"
        Action = var.agency_actions
      },
    ]
  })
}

# SMS is a global service: its actions need a global policy, granted to the agency on the domain.
resource "huaweicloud_identity_role" "purge_global" {
  count       = length(var.global_agency_actions) == 0 ? 0 : 1
  name        = "${var.function_name}-purge-global"
  description = "task-janitor: list, read and delete finished SMS migration tasks"
  type        = "AX"
  policy = jsonencode({
    Version = "1.1"
    Statement = [
      {
        Effect = "Allow"
        Action = var.global_agency_actions
      },
    ]
  })
}

resource "huaweicloud_identity_agency" "function" {
  name                   = "${var.function_name}-agency"
  description            = "Lets the task-janitor function list and delete stale tasks in ${var.region}"
  delegated_service_name = "op_svc_cff"

  # The function's region without targets; with targets, every target's project (and no other).
  dynamic "project_role" {
    for_each = length(var.targets) == 0 ? [var.region] : module.targets.agency_projects
    content {
      project = project_role.value
      roles   = [huaweicloud_identity_role.purge.name]
    }
  }

  domain_roles = [for role in huaweicloud_identity_role.purge_global : role.name]
}

resource "huaweicloud_fgs_function" "janitor" {
  name        = var.function_name
  app         = "default"
  description = "task-janitor: deletes stale task records on a schedule (dry run until the policy says otherwise)"
  runtime     = "Node.js20.15"
  handler     = "index.handler"
  memory_size = var.memory_size
  timeout     = var.timeout_seconds
  agency      = huaweicloud_identity_agency.function.name

  code_type     = var.code_obs_url == "" ? "zip" : "obs"
  func_code     = var.code_obs_url == "" ? filebase64(var.zip_path) : null
  code_filename = var.code_obs_url == "" ? "functiongraph.zip" : null
  code_url      = var.code_obs_url == "" ? null : var.code_obs_url

  user_data           = jsonencode(local.user_data)
  encrypted_user_data = length(var.secret_settings) == 0 ? null : jsonencode(var.secret_settings)

  log_group_id    = local.has_log_config ? var.log_group_id : null
  log_group_name  = local.has_log_config ? var.log_group_name : null
  log_stream_id   = local.has_log_config ? var.log_stream_id : null
  log_stream_name = local.has_log_config ? var.log_stream_name : null
}

# Without targets: one trigger, one run for every target of the policy.
resource "huaweicloud_fgs_function_trigger" "timer" {
  count = length(var.targets) == 0 ? 1 : 0

  function_urn = huaweicloud_fgs_function.janitor.urn
  type         = "TIMER"
  status       = "ACTIVE"
  event_data = jsonencode({
    name          = "${var.function_name}-timer"
    schedule_type = "Cron"
    schedule      = var.schedule
    user_event    = local.user_event
  })
}

# The single trigger was not counted before `targets` existed: keep it in place on upgrade.
moved {
  from = huaweicloud_fgs_function_trigger.timer
  to   = huaweicloud_fgs_function_trigger.timer[0]
}

# With targets: one trigger per target, each sending {"target": {...}} (merged with trigger_user_event and
# dryRun), so that each run purges one target with its own timeout.
resource "huaweicloud_fgs_function_trigger" "target_timer" {
  for_each = module.targets.triggers

  function_urn = huaweicloud_fgs_function.janitor.urn
  type         = "TIMER"
  status       = "ACTIVE"
  event_data = jsonencode({
    name          = each.value.name
    schedule_type = "Cron"
    schedule      = each.value.schedule
    user_event    = each.value.user_event
  })
}
