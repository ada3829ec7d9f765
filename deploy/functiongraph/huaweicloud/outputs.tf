output "function_urn" {
  description = "For manual invocation: POST /v2/{project_id}/fgs/functions/{function_urn}/invocations"
  value       = huaweicloud_fgs_function.janitor.urn
}

output "agency_name" {
  value = huaweicloud_identity_agency.function.name
}

output "timer_trigger_id" {
  description = "The single TIMER trigger; null when `targets` is set."
  value       = one(huaweicloud_fgs_function_trigger.timer[*].id)
}

output "target_timers" {
  description = "With `targets`: per target (by its index in `targets`), the trigger's id, cron and user_event."
  value = {
    for key, trigger in huaweicloud_fgs_function_trigger.target_timer : key => {
      id         = trigger.id
      schedule   = module.targets.triggers[key].schedule
      user_event = module.targets.triggers[key].user_event
    }
  }
}
