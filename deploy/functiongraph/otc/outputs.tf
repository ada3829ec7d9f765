output "function_urn" {
  description = "For manual invocation: POST /v2/{project_id}/fgs/functions/{function_urn}/invocations"
  value       = opentelekomcloud_fgs_function_v2.janitor.urn
}

output "agency_name" {
  value = opentelekomcloud_identity_agency_v3.function.name
}

output "timer_trigger_id" {
  value = opentelekomcloud_fgs_trigger_v2.timer.id
}
