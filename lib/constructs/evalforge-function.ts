import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface EvalForgeFunctionProps {
  /** The folder under `functions/` whose `handler.ts` exports `handler`. */
  readonly name:
    | 'validator'
    | 'load'
    | 'query'
    | 'migrate'
    | 'certificates'
    | 'health'
    | 'replay'
    | 'forward';
  readonly memoryMiB: number;
  readonly timeoutSec: number;
  /** @default - no reserved concurrency: the function shares the account's pool */
  readonly reservedConcurrency?: number;
  readonly environment?: Readonly<Record<string, string>>;
  /** @default - not in a VPC */
  readonly vpc?: IVpc;
  /** @default - private subnets with egress, when `vpc` is given */
  readonly vpcSubnets?: SubnetSelection;
  /** @default - none */
  readonly securityGroups?: ISecurityGroup[];
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * Every EvalForge Lambda function, set up one way: Node.js 24 on arm64 (20% cheaper per
 * GB-second than x86), JSON logs to a log group with a retention, X-Ray tracing, and the handler
 * bundled by the local esbuild as ES modules with the exact dependency versions of the lock
 * file. The embedded ClickHouse library (`chdb`) is left out: functions reach ClickHouse over
 * HTTP, and the library is 500 MB.
 */
export class EvalForgeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: EvalForgeFunctionProps) {
    if (props.memoryMiB < 128 || props.memoryMiB > 10_240) {
      throw new Error(`memoryMiB must be 128–10,240, got ${props.memoryMiB}`);
    }
    if (props.timeoutSec < 1 || props.timeoutSec > 900) {
      throw new Error(`timeoutSec must be 1–900, got ${props.timeoutSec}`);
    }
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    super(scope, id, {
      entry: `${ROOT}functions/${props.name}/handler.ts`,
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB,
      timeout: Duration.seconds(props.timeoutSec),
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.name,
        ...props.environment,
      },
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      tracing: Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
        externalModules: ['chdb'],
        // ES modules have no `require`; some dependencies still call it.
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    });
    const findings = Validations.of(this);
    findings.acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "Lambda's own minimal execution policy (CloudWatch Logs writes); AWS keeps it in step with the service.",
    });
    if (props.vpc) {
      findings.acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          "Lambda's own policy for a function in a VPC (creating and deleting its network interfaces); AWS keeps it in step with the service.",
      });
    }
    findings.acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray trace writes (xray:PutTraceSegments, xray:PutTelemetryRecords) have no resource-level permissions; the grant CDK adds for active tracing is on * by necessity.',
    });
  }
}
