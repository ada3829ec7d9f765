output "function_urn" {
  description = "For manual invocation: POST /v2/{project_id}/fgs/functions/{function_urn}/invocations"
  value       = opentelekomcloud_fgs_function_v2.janitor.urn
}

output "agency_name" {
  value = opentelekomcloud_identity_agency_v3.function.name
}

output "timer_trigger_id" {
  description = "The single TIMER trigger; null when `targets` is set."
  value       = one(opentelekomcloud_fgs_trigger_v2.timer[*].id)
}

output "target_timers" {
  description = "With `targets`: per target (by its index in `targets`), the trigger's id, cron and user_event."
  value = {
    for key, trigger in opentelekomcloud_fgs_trigger_v2.target_timer : key => {
      id         = trigger.id
      schedule   = module.targets.triggers[key].schedule
      user_event = module.targets.triggers[key].user_event
    }
  }
}
