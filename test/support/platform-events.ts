/**
 * Scheduled-event fixtures of both platforms, copied verbatim from where each is published (source above each).
 * Frozen: tests spread them into new objects.
 */

/**
 * An EventBridge scheduled event as EventBridge delivers it, with `version`.
 * https://github.com/aws/aws-lambda-rust-runtime/blob/main/lambda-events/src/fixtures/example-eventbridge-schedule.json
 */
export const EVENTBRIDGE_SCHEDULED_EVENT = Object.freeze({
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2015-10-08T16:53:06Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule'],
  detail: {},
});

/**
 * `sam local generate-event cloudwatch scheduled-event`, the template file itself (placeholders unfilled). It has
 * no `version`. https://github.com/aws/aws-sam-cli/blob/develop/samcli/lib/generated_sample_events/events/cloudwatch/ScheduledEvent.json
 */
export const SAM_CLI_SCHEDULED_EVENT_TEMPLATE = Object.freeze({
  id: 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '{{{account_id}}}',
  time: '1970-01-01T00:00:00Z',
  region: '{{{region}}}',
  resources: ['arn:{{{partition}}}:events:{{{region}}}:{{{account_id}}}:rule/{{{rule}}}'],
  detail: {},
});

/**
 * The Lambda console's "EventBridge (CloudWatch Events)" test event template, as a third party reproduces it (no
 * AWS page publishing the console template was found; it matches the SAM CLI template, also without `version`).
 * https://pub.dev/documentation/aws_lambda_core/latest/aws_lambda_core/AwsCloudwatchEvent-class.html
 */
export const LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE = Object.freeze({
  id: 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '{{{account-id}}}',
  time: '1970-01-01T00:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/ExampleRule'],
  detail: {},
});

/**
 * An EventBridge event that is not a schedule (an EC2 state change, in the shape of the EventBridge user guide's
 * example: https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html).
 */
export const EVENTBRIDGE_EC2_STATE_CHANGE = Object.freeze({
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2021-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
});

/**
 * FunctionGraph's documented timer example event (Open Telekom Cloud Node.js runtime).
 * https://github.com/opentelekomcloud-community/otc-functiongraph-nodejs-runtime/blob/main/fg-events/fg-timer-event/resources/timer_event.json
 * The console's own `timer-event-template` is named by Huawei Cloud's "Test Management" page, but no published
 * copy of its content was found.
 */
export const FUNCTIONGRAPH_TIMER_EXAMPLE = Object.freeze({
  version: 'v1.0',
  time: '2023-06-01T08:30:00+08:00',
  trigger_type: 'TIMER',
  trigger_name: 'Timer_001',
  user_event: '{"message": "timer triggered event", "topic":"test"}',
});

/**
 * The same example as the Open Telekom Cloud Go runtime documents it, with plain text as `user_event`.
 * https://opentelekomcloud-community.github.io/otc-functiongraph-go-runtime/devguide/event_function/trigger_events/trigger_timer_event.html
 */
export const FUNCTIONGRAPH_TIMER_EXAMPLE_TEXT = Object.freeze({
  version: 'v1.0',
  time: '2018-06-01T08:30:00+08:00',
  trigger_type: 'TIMER',
  trigger_name: 'Timer_001',
  user_event: 'User Event',
});
