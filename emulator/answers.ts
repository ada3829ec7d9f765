/** What a handler answers, and the answers every host shares (JSON bodies, the API gateway's error shape). */

export interface Answer {
  status: number;
  /** The body text (JSON unless `contentType` says otherwise), or undefined for an empty body. */
  body?: string;
  headers?: Record<string, string>;
  errorCode?: string;
  /** @default 'application/json;charset=UTF-8' */
  contentType?: string;
}

export const json = (status: number, value: unknown): Answer => ({ status, body: JSON.stringify(value) });

/** The API gateway in front of every host answers in its own shape, whatever the service's shape is. */
export function gatewayError(status: number, code: string, message: string, requestId = ''): Answer {
  return {
    status,
    body: JSON.stringify({ error_code: code, error_msg: message, request_id: requestId }),
    errorCode: code,
  };
}

/** Gateway codes (`APIG.*`) are answered by the gateway; every other code in the service's own shape. */
export function isGatewayCode(code: string): boolean {
  return code.startsWith('APIG.');
}
