# One TIMER trigger per target: what each trigger sends and when, and the projects the agency needs a role in.
# No provider and no resource: both deploy/functiongraph/huaweicloud and deploy/functiongraph/otc use it, and
# test/functiongraph/terraform-targets.test.ts evaluates it with the terraform binary, offline.

terraform {
  required_version = ">= 1.3"
}

variable "targets" {
  description = "The (region, project) pairs to purge, one trigger each. See the root module's `targets`."
  type = list(object({
    region       = string
    project_id   = optional(string)
    project_name = optional(string)
  }))

  validation {
    condition     = alltrue([for t in var.targets : length(compact([t.project_id, t.project_name])) == 1 && (t.project_id == null || t.project_name == null)])
    error_message = "targets: every target names its project by exactly one of project_id or project_name (not empty)."
  }

  validation {
    condition     = alltrue([for t in var.targets : length(regexall("^[a-z][a-z0-9-]*[a-z0-9]$", t.region)) == 1])
    error_message = "targets: every target has a region id such as cn-north-4 or eu-de (lowercase letters, digits and hyphens)."
  }

  validation {
    condition     = length(distinct([for t in var.targets : [t.region, t.project_id, t.project_name]])) == length(var.targets)
    error_message = "targets: a target is listed twice; one trigger per target."
  }
}

variable "function_name" {
  description = "Prefix of the trigger names."
  type        = string
}

variable "base_user_event" {
  description = "The manual event every trigger sends (decoded trigger_user_event); `dryRun` and `target` are set here."
  type        = any
}

variable "dry_run" {
  description = "Sent as `dryRun` in every trigger's event."
  type        = bool
}

variable "schedule" {
  description = "The triggers' cron, with `{minute}` where each trigger's minute goes."
  type        = string

  validation {
    condition     = length(regexall("\\{minute\\}", var.schedule)) == 1
    error_message = "targets_schedule: expected a cron with one {minute} placeholder, e.g. \"0 {minute} 3 * * *\"."
  }
}

variable "stagger_minutes" {
  description = "Minutes between two triggers' starts (trigger i starts at minute i × stagger_minutes, modulo 60). Null: spread over the hour, 60 / number of targets."
  type        = number
  default     = null

  validation {
    condition     = var.stagger_minutes == null || try(var.stagger_minutes >= 0 && var.stagger_minutes <= 59 && floor(var.stagger_minutes) == var.stagger_minutes, false)
    error_message = "stagger_minutes: expected a whole number of minutes from 0 to 59, or null to spread the triggers over the hour."
  }
}

variable "project_names_by_id" {
  description = "Project name of each project id the targets name (the agency grants roles by project name)."
  type        = map(string)
  default     = {}
}

locals {
  target_count = length(var.targets)

  triggers = [
    for index, t in var.targets : {
      key    = "${index}"
      name   = "${var.function_name}-timer-${index}"
      minute = var.stagger_minutes == null ? floor(index * 60 / local.target_count) : (index * var.stagger_minutes) % 60
      # The target as the function's `target` event names it: projectId or projectName, never both.
      target = merge({ region = t.region }, { for k, v in { projectId = t.project_id, projectName = t.project_name } : k => v if v != null })
    }
  ]

  agency_projects = [for t in var.targets : t.project_name != null ? t.project_name : lookup(var.project_names_by_id, t.project_id, "")]
}

output "triggers" {
  description = "Per trigger (keyed by its index in `targets`): name, cron schedule and user_event (JSON text)."
  value = {
    for t in local.triggers : t.key => {
      name       = t.name
      schedule   = replace(var.schedule, "{minute}", tostring(t.minute))
      user_event = jsonencode(merge(var.base_user_event, { dryRun = var.dry_run, target = t.target }))
    }
  }

  precondition {
    # FunctionGraph keeps a timer's additional information (user_event) under 2 KB.
    condition     = alltrue([for t in local.triggers : length(jsonencode(merge(var.base_user_event, { dryRun = var.dry_run, target = t.target }))) < 2048])
    error_message = "trigger_user_event: with a target added, a trigger's user_event must stay under 2048 characters (FunctionGraph's limit)."
  }
}

output "agency_projects" {
  description = "The distinct project names of the targets: the agency gets its role in each."
  value       = distinct(local.agency_projects)

  precondition {
    condition     = alltrue([for name in local.agency_projects : name != ""])
    error_message = "targets: a project_id names no project of this account (the agency needs its project name)."
  }
}
