output "function_urn" {
  description = "For manual invocation: POST /v2/{project_id}/fgs/functions/{function_urn}/invocations"
  value       = huaweicloud_fgs_function.janitor.urn
}

output "agency_name" {
  value = huaweicloud_identity_agency.function.name
}

output "timer_trigger_id" {
  value = huaweicloud_fgs_function_trigger.timer.id
}
