/** What the emulator records besides tasks: the kinds of injected answers, foreign requests, credential headers. */
import type { EmulatorOperation } from './services/registry';

/** The fault kinds of the redirect, proxy, lost-answer, gateway-timeout, 403 and 408 faults. */
export type AnswerFaultKind =
  | 'redirect'
  | 'proxy-not-found'
  | 'lost-answer'
  | 'gateway-timeout'
  | 'forbidden'
  | 'request-timeout';

/** A request that reached the foreign listener, the host injected redirects point at. */
export interface ForeignRequest {
  method: string;
  /** The raw request target as received (path + query, still percent-encoded). */
  rawPath: string;
  /** The Host header as received. */
  host?: string;
  /** Wall-clock ms when the request arrived. */
  atMs: number;
  /** Whether any of the credential headers below arrived (none ever should). */
  hasCredentialHeaders: boolean;
  authorization?: string;
  xAuthToken?: string;
  xSecurityToken?: string;
}

/** The credential headers one request carried (for the secret-leak tests: what must never be logged). */
export interface ReceivedAuthHeaders {
  operation: EmulatorOperation | 'Unknown';
  /** `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` */
  authorization?: string;
  xAuthToken?: string;
  xSecurityToken?: string;
}
