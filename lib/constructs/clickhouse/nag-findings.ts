/**
 * The cdk-nag finding that an AWS managed policy raises on a role (AwsSolutions-IAM4), by the
 * policy's name under `arn:aws:iam::aws:policy/`, as `Validations.acknowledge` takes its id.
 */
export function managedPolicyFinding(policyName: string): string {
  return `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`;
}
