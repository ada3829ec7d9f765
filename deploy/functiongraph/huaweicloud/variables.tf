variable "region" {
  description = "Huawei Cloud region of the function and of the task APIs it cleans, e.g. cn-north-4, ap-southeast-3."
  type        = string
}

variable "domain_id" {
  description = "Account (domain) id: the provider needs it to create the agency."
  type        = string
}

variable "project_id" {
  description = "Project id of the tasks to clean. Empty: the function falls back to the runtime's RUNTIME_PROJECT_ID (its own project)."
  type        = string
  default     = ""
}

variable "function_name" {
  description = "Name of the function (and prefix of the agency, role and trigger names)."
  type        = string
  default     = "task-janitor"
}

variable "zip_path" {
  description = "The artifact built by `npm run package:functiongraph`."
  type        = string
  default     = "../../../dist/functiongraph.zip"
}

variable "code_obs_url" {
  description = "Optional OBS URL of the same zip (https://<bucket>.obs.<region>.myhuaweicloud.com/functiongraph.zip). When set, the code is taken from OBS instead of being uploaded inline."
  type        = string
  default     = ""
}

variable "schedule" {
  description = "Cron of the TIMER trigger. FunctionGraph cron has a seconds field: `seconds minutes hours day-of-month month [day-of-week]`, in the region's time zone unless prefixed with CRON_TZ=."
  type        = string
  default     = "0 0 3 * * *"
}

variable "policy" {
  description = "Value of TASK_JANITOR_POLICY: a path inside the package (relative to the code directory, as on Lambda: examples/policy.yml or examples/otc-policy.yml are packaged) or the policy itself as inline YAML/JSON."
  type        = string
  default     = "examples/policy.yml"
}

variable "dry_run" {
  description = "Sent as `dryRun` in the timer's manual event, so it wins over the policy's own dryRun: true plans and reports without deleting. Set false only after reading a dry run's report."
  type        = bool
  default     = true
}

variable "targets" {
  description = "Empty (the default): one TIMER trigger, one run for every target of the policy. Otherwise one TIMER trigger per (region, project), each run purging that target only, with its own timeout, e.g. [{ region = \"cn-north-4\", project_name = \"cn-north-4\" }, { region = \"ap-southeast-3\", project_id = \"0123…\" }]. Each must be one of the packaged policy's targets (the function refuses any other before a request). The agency gets its role in each target's project, and in no other."
  type = list(object({
    region       = string
    project_id   = optional(string)
    project_name = optional(string)
  }))
  default = []
}

variable "targets_schedule" {
  description = "With targets: the triggers' cron, `{minute}` standing for each trigger's minute (see stagger_minutes)."
  type        = string
  default     = "0 {minute} 3 * * *"
}

variable "stagger_minutes" {
  description = "With targets: minutes between two triggers' starts (trigger i at minute i × stagger_minutes, modulo 60). Null (the default): spread over the hour, minute = i × 60 / number of targets, rounded down."
  type        = number
  default     = null
}

variable "trigger_user_event" {
  description = "Manual event for the timer (JSON object text, same keys as the Lambda manual event), e.g. {\"services\":[\"dcs-center-tasks\"]}. dryRun is always set from var.dry_run."
  type        = string
  default     = ""
}

variable "settings" {
  description = "More plain settings (function user data, read with context.getUserData), e.g. TASK_JANITOR_ENDPOINT_DCS. Same variable names as the Lambda and CLI."
  type        = map(string)
  default     = {}
}

variable "secret_settings" {
  description = "Settings stored as encrypted user data (explicit credentials win over the agency). Leave empty to use the agency."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 256
}

variable "timeout_seconds" {
  description = "Function timeout (3-900 s per the provider docs). The handler stops starting deletions before it runs out."
  type        = number
  default     = 900
}

variable "agency_actions" {
  description = "IAM actions of regional services granted to the function's agency in its region's project: list and delete of the DCS, ModelArts, OMS and DIS task APIs, nothing else. See main.tf for which names are confirmed by the documentation."
  type        = list(string)
  default = [
    # DCS: confirmed in the "Authorization Information" of ListBackgroundTask / DeleteBackgroundTask /
    # DeleteCenterTask (support.huaweicloud.com/intl/en-us/api-dcs/*.html) and api-grant-policy.html (instance list).
    "dcs:instance:list",
    "dcs:instance:getBackgroundTask",
    "dcs:instance:deleteBackgroundTask",
    "dcs:task:delete",
    # UNCONFIRMED: the ListCenterTask page names no action; `dcs:task:list` follows the delete's naming.
    "dcs:task:list",
    # UNCONFIRMED: ModelArts processor-task action names (the data-management permission tables found name
    # dataset actions only), and oms:task:get / oms:task:delete (they follow the naming of oms:task:list).
    "modelarts:processTask:list",
    "modelarts:processTask:get",
    "modelarts:processTask:delete",
    # oms:task:list: OMS API reference, "Actions Supported by Policy-based Authorization". No update action:
    # task-janitor never pauses or changes an OMS task.
    "oms:task:list",
    "oms:task:get",
    "oms:task:delete",
    # DIS API reference, "Permissions Policies and Supported Actions".
    "dis:streams:list",
    "dis:transferTasks:list",
    "dis:transferTasks:get",
    "dis:transferTasks:delete",
  ]
}

variable "global_agency_actions" {
  description = "IAM actions of global services granted to the function's agency (a global custom policy assigned to the domain): list, read and delete of SMS migration tasks."
  type        = list(string)
  default = [
    # SMS API reference, the identity-policy authorization tables of ListTasks / ShowTask / DeleteTask. SMS is a
    # global service: its actions go in a global (AX) policy, not in the project-level role above.
    "sms:server:listTask",
    "sms:server:getTask",
    "sms:server:deleteTask",
  ]
}

variable "log_group_id" {
  description = "Optional LTS log group id (with log_stream_id, log_group_name, log_stream_name). Empty: FunctionGraph's default log group."
  type        = string
  default     = ""
}

variable "log_group_name" {
  type    = string
  default = ""
}

variable "log_stream_id" {
  type    = string
  default = ""
}

variable "log_stream_name" {
  type    = string
  default = ""
}
