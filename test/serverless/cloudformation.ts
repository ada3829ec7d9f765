/**
 * Reads what `serverless package` wrote: the CloudFormation template, and the values of the intrinsic functions
 * it uses, resolved as CloudFormation would in a placeholder account and region.
 */

export const PLACEHOLDER_ACCOUNT_ID = '123456789012';
export const PLACEHOLDER_REGION = 'eu-central-1';

export interface TemplateResource {
  readonly Type: string;
  readonly Condition?: string;
  readonly DependsOn?: unknown;
  readonly Properties: Record<string, unknown>;
}

export interface Template {
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, unknown>;
}

/** The template's resources of `type`, by logical id. */
export function resourcesOfType(template: Template, type: string): [string, TemplateResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': PLACEHOLDER_REGION,
  'AWS::AccountId': PLACEHOLDER_ACCOUNT_ID,
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * The value of `value` once CloudFormation has resolved `Ref`, `Fn::GetAtt` (a function's or a state machine's
 * Arn), `Fn::Sub` and `Fn::Join`. Anything else throws, so a template using more is noticed, not guessed.
 */
export function resolveIntrinsics(value: unknown, template: Template): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, template));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    return resolveFunction(first[0], first[1], template);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, template)]));
}

function resolveFunction(name: string, argument: unknown, template: Template): string {
  if (name === 'Ref' && typeof argument === 'string') return resolveRef(argument, template);
  if (
    name === 'Fn::GetAtt' &&
    Array.isArray(argument) &&
    argument[1] === 'Arn' &&
    typeof argument[0] === 'string'
  ) {
    return arnOf(argument[0], template);
  }
  if (
    name === 'Fn::Join' &&
    Array.isArray(argument) &&
    typeof argument[0] === 'string' &&
    Array.isArray(argument[1])
  ) {
    const separator = argument[0];
    return argument[1]
      .map((part) => asString(resolveIntrinsics(part, template), 'Fn::Join part'))
      .join(separator);
  }
  if (name === 'Fn::Sub') {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    if (typeof text !== 'string' || typeof variables !== 'object' || variables === null) {
      throw new Error(`unsupported Fn::Sub: ${JSON.stringify(argument)}`);
    }
    const resolved = new Map(
      Object.entries(variables).map(([key, item]) => [key, asString(resolveIntrinsics(item, template), key)]),
    );
    return text.replace(/\$\{([^}]+)\}/g, (_match, key: string) => {
      const found = resolved.get(key) ?? PSEUDO_PARAMETERS[key];
      if (found !== undefined) return found;
      if (key.includes('.')) throw new Error(`unsupported Fn::Sub attribute ${key}`);
      return resolveRef(key, template);
    });
  }
  throw new Error(`unsupported intrinsic function ${name}: ${JSON.stringify(argument)}`);
}

function resolveRef(name: string, template: Template): string {
  const pseudo = PSEUDO_PARAMETERS[name];
  if (pseudo !== undefined) return pseudo;
  const resource = template.Resources[name];
  if (resource?.Type === 'AWS::Lambda::Function') return asString(resource.Properties.FunctionName, name);
  if (resource?.Type === 'AWS::StepFunctions::StateMachine') return arnOf(name, template);
  throw new Error(`unsupported Ref ${name}`);
}

function arnOf(logicalId: string, template: Template): string {
  const resource = template.Resources[logicalId];
  const arn = (service: string, rest: string) =>
    `arn:aws:${service}:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT_ID}:${rest}`;
  if (resource?.Type === 'AWS::Lambda::Function') {
    return arn('lambda', `function:${asString(resource.Properties.FunctionName, logicalId)}`);
  }
  if (resource?.Type === 'AWS::StepFunctions::StateMachine') {
    return arn('states', `stateMachine:${asString(resource.Properties.StateMachineName, logicalId)}`);
  }
  throw new Error(`unsupported Fn::GetAtt ${logicalId}.Arn`);
}

function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}
