# task-janitor on Open Telekom Cloud FunctionGraph: one function, one TIMER trigger, one agency with a custom role.
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

  project_role {
    project = var.region
    roles   = [opentelekomcloud_identity_role_v3.purge.display_name]
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

resource "opentelekomcloud_fgs_trigger_v2" "timer" {
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
