import { type CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { EvalForgeFunction } from '../evalforge-function.js';
import { managedPolicyFinding } from './nag-findings.js';

/**
 * The custom resource framework in front of one of the cluster's deploy-time functions (the
 * migrations, the certificates): `<id>` with its own log group `<id>Logs` kept a month, and the
 * cdk-nag findings that aws-cdk-lib's framework raises acknowledged with their reasons. `what`
 * names the function in those reasons. The function's own runtime finding is acknowledged too:
 * it is the wrapper's (lib/constructs/evalforge-function.ts), the same for every function.
 */
export function customResourceProvider(
  scope: Construct,
  id: string,
  fn: EvalForgeFunction,
  what: string,
): Provider {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions::AwsSolutions-L1',
    reason:
      "The runtime is the function wrapper's (lib/constructs/evalforge-function.ts), the same for every function.",
  });
  const provider = new Provider(scope, id, {
    onEventHandler: fn,
    logGroup: new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });
  Validations.of(provider).acknowledge({
    id: managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole'),
    reason: "The custom resource framework's own function logs through AWSLambdaBasicExecutionRole.",
  });
  const stack = Stack.of(scope);
  const fnLogicalId = stack.resolve(stack.getLogicalId(fn.node.defaultChild as CfnElement));
  Validations.of(provider).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
    reason: `The custom resource framework may invoke any version of the ${what} function (\`<function arn>:*\`); the policy is aws-cdk-lib's own.`,
  });
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions::AwsSolutions-L1',
    reason: "The custom resource framework's runtime is chosen by aws-cdk-lib.",
  });
  return provider;
}
