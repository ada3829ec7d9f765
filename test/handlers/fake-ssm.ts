/**
 * A real local peer for AWS Systems Manager: a `node:http` server on 127.0.0.1 speaking the JSON 1.1 protocol of
 * `AmazonSSM.GetParameters` (the one call this project makes), which the SDK reaches through
 * `AWS_ENDPOINT_URL_SSM`. Used by the handler tests and by the packaged-bundle test.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSsmParameter {
  readonly type: 'String' | 'StringList' | 'SecureString';
  readonly value: string;
}

export interface FakeSsmRequest {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: { Names?: string[]; WithDecryption?: boolean };
}

export interface FakeSsm {
  readonly url: string;
  readonly parameters: Map<string, FakeSsmParameter>;
  readonly requests: FakeSsmRequest[];
  /** Answer every request with this error (`__type`, HTTP status). */
  fail?: { readonly type: string; readonly status: number; readonly message: string } | undefined;
  /** Never answer. */
  hang?: boolean;
  close(): Promise<void>;
}

export const FAKE_SSM_REGION = 'eu-central-1';
export const FAKE_SSM_ACCOUNT = '123456789012';

export async function startFakeSsm(): Promise<FakeSsm> {
  const server: Server = createServer();
  const fake: FakeSsm = {
    url: '',
    parameters: new Map(),
    requests: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake-ssm-1' });
    res.end(JSON.stringify(body));
  };
  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as FakeSsmRequest['body'];
    fake.requests.push({
      target: req.headers['x-amz-target'] as string | undefined,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body,
    });
    if (fake.hang) return;
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AmazonSSM.GetParameters') {
      send(res, 400, { __type: 'UnknownOperationException', message: 'only GetParameters is emulated' });
      return;
    }
    if (fake.fail) {
      send(res, fake.fail.status, { __type: fake.fail.type, message: fake.fail.message });
      return;
    }
    const names = body.Names ?? [];
    const found = names.filter((n) => fake.parameters.has(n));
    send(res, 200, {
      Parameters: found.map((name) => {
        const parameter = fake.parameters.get(name) as FakeSsmParameter;
        const decrypted = parameter.type !== 'SecureString' || body.WithDecryption === true;
        return {
          Name: name,
          Type: parameter.type,
          Value: decrypted ? parameter.value : 'AQICAHh-ciphertext',
          Version: 1,
          DataType: 'text',
          ARN: `arn:aws:ssm:${FAKE_SSM_REGION}:${FAKE_SSM_ACCOUNT}:parameter${name}`,
        };
      }),
      InvalidParameters: names.filter((n) => !fake.parameters.has(n)),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { url: `http://127.0.0.1:${port}` });
}
