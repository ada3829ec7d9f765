export { checkDuration, parseDuration } from './duration';
export {
  buildPolicy,
  computePolicyDigest,
  isInlinePolicy,
  loadPolicy,
  parsePolicyText,
  validatePolicy,
} from './load';
export { applyOverrides, enabledServices, parseManualEvent } from './overrides';
export { overridesFromEventText, overridesFromScheduledEvent } from './scheduled-event';
export { DELETABLE_STATES, isDeletableState } from './states';
export type { Policy, PolicyOverrides, ServicePolicy } from './types';
