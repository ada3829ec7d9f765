# task-janitor on Open Telekom Cloud FunctionGraph: one function, one agency with a custom role, and either one
# TIMER trigger (the default: one run purges every target of the policy) or, with `targets`, one TIMER trigger
# per target, staggered over the hour, each run purging that target only.
#
# Checked against opentelekomcloud/terraform-provider-opentelekomcloud:
#   docs/resources/fgs_function_v2.md (code_type zip + func_code (base64 or text) + code_filename; obs + code_url;
#     user_data / encrypted_user_data; agency; log_group_id/log_topic_id/...; the `urn` attribute; `id` is
#     "<urn>:<version>", so the trigger uses `urn`)
#   docs/resources/fgs_trigger_v2.md (type TIMER, event_data = {name, schedule_type, schedule, user_event})
#   docs/resources/identity_role_v3.md (display_layer project, statement {effect, action})
#   docs/resources/identity_agency_v3.md (delegated_domain_name; project_role {project, roles = display names})
# FunctionGraph's agency principal is op_svc_cff (OTC-FG umn configuring_agency_permissions.rst; the OTC
# community FunctionGraph samples create their agencies with delegated_domain_name = "op_svc_cff").

locals {
  # The timer sends `user_event` as a string; the handler parses it as the manual event.
  base_user_event = trimspace(var.trigger_user_event) == "" ? {} : jsondecode(var.trigger_user_event)
  user_event      = jsonencode(merge(local.base_user_event, { dryRun = var.dry_run }))

  user_data = merge(
    {
      TASK_JANITOR_CLOUD  = "otc"
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

data "opentelekomcloud_identity_projects_v3" "all" {
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
  project_names_by_id = { for p in flatten(data.opentelekomcloud_identity_projects_v3.all[*].projects) : p.project_id => p.name }
}

resource "opentelekomcloud_identity_role_v3" "purge" {
  display_name  = "${var.function_name}-purge"
  description   = "task-janitor: list and delete finished DCS, ModelArts and DIS tasks"
  display_layer = "project"

  statement {
    effect = "Allow"
    action = var.agency_actions
  }
}

resource "opentelekomcloud_identity_agency_v3" "function" {
  name                  = "${var.function_name}-agency"
  description           = "Lets the task-janitor function list and delete stale tasks in ${var.region}"
  delegated_domain_name = "op_svc_cff"

  # The function's region without targets; with targets, every target's project (and no other).
  dynamic "project_role" {
    for_each = length(var.targets) == 0 ? [var.region] : module.targets.agency_projects
    content {
      project = project_role.value
      roles   = [opentelekomcloud_identity_role_v3.purge.display_name]
    }
  }
}

resource "opentelekomcloud_fgs_function_v2" "janitor" {
  name        = var.function_name
  app         = "default"
  description = "task-janitor: deletes stale task records on a schedule (dry run until the policy says otherwise)"
  runtime     = "Node.js20.15"
  handler     = "index.handler"
  memory_size = var.memory_size
  timeout     = var.timeout_seconds
  agency      = opentelekomcloud_identity_agency_v3.function.name

  code_type     = var.code_obs_url == "" ? "zip" : "obs"
  func_code     = var.code_obs_url == "" ? filebase64(var.zip_path) : null
  code_filename = var.code_obs_url == "" ? "functiongraph.zip" : null
  code_url      = var.code_obs_url == "" ? null : var.code_obs_url

  user_data           = jsonencode(local.user_data)
  encrypted_user_data = length(var.secret_settings) == 0 ? null : jsonencode(var.secret_settings)

  log_group_id   = local.has_log_config ? var.log_group_id : null
  log_group_name = local.has_log_config ? var.log_group_name : null
  log_topic_id   = local.has_log_config ? var.log_topic_id : null
  log_topic_name = local.has_log_config ? var.log_topic_name : null
}

# Without targets: one trigger, one run for every target of the policy.
resource "opentelekomcloud_fgs_trigger_v2" "timer" {
  count = length(var.targets) == 0 ? 1 : 0

  function_urn = opentelekomcloud_fgs_function_v2.janitor.urn
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
  from = opentelekomcloud_fgs_trigger_v2.timer
  to   = opentelekomcloud_fgs_trigger_v2.timer[0]
}

# With targets: one trigger per target, each sending {"target": {...}} (merged with trigger_user_event and
# dryRun), so that each run purges one target with its own timeout.
resource "opentelekomcloud_fgs_trigger_v2" "target_timer" {
  for_each = module.targets.triggers

  function_urn = opentelekomcloud_fgs_function_v2.janitor.urn
  type         = "TIMER"
  status       = "ACTIVE"
  event_data = jsonencode({
    name          = each.value.name
    schedule_type = "Cron"
    schedule      = each.value.schedule
    user_event    = each.value.user_event
  })
}
