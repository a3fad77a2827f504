import { Aspects, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { CfnPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  AwsOwnedEncryptionConfiguration,
  DefinitionBody,
  DistributedMap,
  ItemBatcher,
  JitterType,
  JsonPath,
  LogLevel,
  ProcessorMode,
  ProcessorType,
  S3ObjectsItemReader,
  StateMachine,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { rules } from 'cdk-nag';
import { Construct } from 'constructs';
import { ARCHIVE_PREFIX } from '../../functions/shared/contract/archive-layout.js';
import { grantClickHouseAccess } from './clickhouse/client-access.js';
import { CLICKHOUSE_USERS } from './clickhouse/users-config.js';
import { EvalForgeFunction } from './evalforge-function.js';

/** The archive's top folder (`events/` of `ARCHIVE_PREFIX`): the objects a replay may restore. */
const ARCHIVE_ROOT = `${ARCHIVE_PREFIX.split('/')[0]}/`;
/**
 * The fields of a replay's totals (functions/replay/core.ts's `ReplayTotals`), in the order the
 * state machine packs them (`States.Array`) and the function's `sum` unpacks them: its tests hold
 * the two to the same order.
 */
export const REPLAY_TOTALS_FIELDS = [
  'objects',
  'bytes',
  'records',
  'events',
  'duplicateEvents',
  'deadLetters',
  'skippedRecords',
] as const;
/** The execution input the state machine hands on from its plan to every batch. */
const RANGE_FIELDS = ['from', 'to', 'project', 'restoreTier', 'restoreOnly'] as const;
/** Step Functions' largest ItemBatcher batch is bounded by 256 KiB; a batch of a few objects is far below. */
const MAX_OBJECTS_PER_BATCH = 100;

/**
 * Error names of functions/replay/handler.ts: an object waits for its restore (retried for hours),
 * and an input that cannot be used (never retried). Written out here because the handler module
 * sets up Powertools and V8 flags as it loads, which a synthesis must not do.
 */
export const REPLAY_ERRORS = {
  objectNotRestored: 'ObjectNotRestored',
  input: 'ReplayInputError',
} as const;

export interface ReplayJobProps {
  readonly vpc: IVpc;
  /** The security group ClickHouse accepts clients from. */
  readonly clientSecurityGroup: ISecurityGroup;
  /** ClickHouse's HTTP(S) endpoint: the loader's. */
  readonly clickhouseUrl: string;
  /** The loader user's password, a plain-text secret: the replay loads as the loader does. */
  readonly passwordSecret: ISecret;
  /**
   * The cluster's CA certificate (base64 PEM), for an HTTPS endpoint.
   * @default - none: the endpoint is plain HTTP or publicly trusted
   */
  readonly caCertificate?: string;
  /**
   * Each shard's replica URLs (`CLICKHOUSE_SHARD_URLS`, functions/load/deps.ts): rows go to the
   * shard that owns their project, as the loader sends them.
   * @default - inserts through `clickhouseUrl`'s Distributed tables
   */
  readonly shardUrls?: readonly (readonly string[])[];
  /** The raw archive bucket (lib/constructs/raw-archive.ts). */
  readonly archiveBucket: IBucket;
  readonly memoryMiB: number;
  /** 1–900 s; a batch of `objectsPerBatch` objects must load well inside it. */
  readonly timeoutSec: number;
  /** Archive objects per invocation (the Distributed Map's ItemBatcher), 1–100. */
  readonly objectsPerBatch: number;
  /** Invocations loading at once when an execution names no `maxConcurrency`, ≥ 1. */
  readonly defaultMaxConcurrentBatches: number;
}

/**
 * The replay job: a range of the raw archive loaded back into ClickHouse (functions/replay), run
 * as a Step Functions state machine:
 *
 * ```
 * Plan (Lambda: the range's hour prefixes)
 *  └─ Hours: Distributed Map over the prefixes, one at a time (child: STANDARD)
 *      ├─ Objects: Distributed Map, S3 listObjectsV2 item reader on the hour's prefix,
 *      │   ItemBatcher of `objectsPerBatch` objects, MaxConcurrency from the input (child: STANDARD)
 *      │    └─ LoadObjects (Lambda `objects`: restore check, then loadBatch with verifyEvents)
 *      └─ SumHour (Lambda `sum`: the hour's batches added up)
 *  └─ Sum (Lambda `sum`: the hours added up) → the execution's output
 * ```
 *
 * Why nested Distributed Maps: an item reader lists one prefix, and a range is many hour prefixes
 * (Firehose partitions by the hour). Listing `events/` whole and filtering in the function would
 * list, and pay child executions for, the whole two-year archive (at tier 4's ceiling, ~230,000
 * objects a day) to replay an hour. Step Functions lets a Distributed Map's child workflow hold
 * another Distributed Map when the child runs as a STANDARD workflow (each inner one is a Map Run
 * of its own; an account may have 1,000 open at once, so the outer map runs one hour at a time). The
 * inner children are STANDARD too: an Express child ends at 5 minutes, and a batch waiting for a
 * Glacier restore retries for up to two days.
 *
 * Why the results are summed by the function: a Distributed Map's results must fit Step Functions'
 * 256 KiB payload, so each batch's totals are packed as an array (`States.Array`, ~40 bytes; an
 * hour of tier 4 at its ceiling is ~2,400 batches) and each hour's are added up before the next
 * level sees them. JSONPath has no sum, and the `sum` action is a few milliseconds of the same
 * function.
 *
 * Why Step Functions and not a Kinesis re-put or a Batch job:
 * - cost: a standard transition is $0.025 per 1,000 and a batch of 4 objects (0.5 GiB) takes 2,
 *   about 10 cents per TB (lib/pricing/replay-cost.ts); the loading is Lambda GB-seconds the loader
 *   would spend anyway. A re-put pays Kinesis PUT units and a second Firehose delivery (the
 *   archive would archive itself again), and competes with live traffic for the stream's shards.
 *   A Batch job needs a compute environment, an image and its own resumability.
 * - rate cap: `maxConcurrency` in the execution input is the Map's MaxConcurrency, the number of
 *   invocations loading at once (the tier's `defaultMaxConcurrentBatches` when absent), so live
 *   ingest keeps the ClickHouse nodes. With the outer map one hour at a time, it is the cap of the
 *   whole replay.
 * - resumability: ToleratedFailurePercentage is 0 (the service's default, which CDK
 *   leaves out of the definition), so a batch that exhausts its retries fails the
 *   execution; `aws stepfunctions redrive-execution` then reruns only the failed batches (and the
 *   hours they sit in), not the loaded ones. A batch loaded twice adds nothing (`verifyEvents`).
 * - Glacier: an object of the archive's Deep Archive days is restored by the batch that meets it
 *   (S3 RestoreObject at the execution's `restoreTier`), which then fails with `ObjectNotRestored`
 *   and is retried for ~68 hours, past a bulk restore's 48. A first execution with
 *   `"restoreOnly": true` asks for every restore of the range at once, so the loading execution
 *   does not wait batch after batch.
 *
 * The function runs in the VPC with the loader's ClickHouse access (security group, user, secret,
 * CA, shard URLs), reads the archive bucket and may restore its `events/` objects only. Logs go to
 * a log group of their own (every event, without execution data: the inputs are keys and counts),
 * executions are traced with X-Ray, and the state is encrypted with an AWS-owned key.
 */
export class ReplayJob extends Construct {
  readonly function: EvalForgeFunction;
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: ReplayJobProps) {
    super(scope, id);
    const { objectsPerBatch, defaultMaxConcurrentBatches } = props;
    if (
      !Number.isInteger(objectsPerBatch) ||
      objectsPerBatch < 1 ||
      objectsPerBatch > MAX_OBJECTS_PER_BATCH
    ) {
      throw new Error(
        `objectsPerBatch must be an integer from 1 to ${MAX_OBJECTS_PER_BATCH}, got ${objectsPerBatch}`,
      );
    }
    if (!Number.isInteger(defaultMaxConcurrentBatches) || defaultMaxConcurrentBatches < 1) {
      throw new Error(
        `defaultMaxConcurrentBatches must be an integer from 1, got ${defaultMaxConcurrentBatches}`,
      );
    }

    this.function = new EvalForgeFunction(this, 'Function', {
      name: 'replay',
      memoryMiB: props.memoryMiB,
      timeoutSec: props.timeoutSec,
      vpc: props.vpc,
      securityGroups: [props.clientSecurityGroup],
      environment: {
        ARCHIVE_BUCKET_NAME: props.archiveBucket.bucketName,
        REPLAY_DEFAULT_MAX_CONCURRENCY: String(defaultMaxConcurrentBatches),
      },
    });
    // It loads as the loader does: the loader's user, its shards, its CA.
    grantClickHouseAccess(this.function, {
      url: props.clickhouseUrl,
      user: CLICKHOUSE_USERS.loader,
      passwordSecret: props.passwordSecret,
      ...(props.caCertificate === undefined ? {} : { caCertificate: props.caCertificate }),
      ...(props.shardUrls === undefined ? {} : { shardUrls: props.shardUrls }),
    });
    props.archiveBucket.grantRead(this.function);
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:RestoreObject'],
        resources: [props.archiveBucket.arnForObjects(`${ARCHIVE_ROOT}*`)],
      }),
    );

    const definition = this.definition(props);
    const logs = new LogGroup(this, 'ExecutionLogs', { retention: RetentionDays.THREE_MONTHS });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(definition),
      comment: 'EvalForge replay: a range of the raw archive loaded back into ClickHouse (functions/replay)',
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      encryptionConfiguration: new AwsOwnedEncryptionConfiguration(),
    });
    this.acknowledgeFindings(props.archiveBucket);
  }

  /** The states: plan, the hours one at a time, each hour's object batches, the sums. */
  private definition(props: ReplayJobProps) {
    const fn = this.function;
    const plan = LambdaInvoke.jsonata(this, 'Plan', {
      comment: 'The hour prefixes of the range; the execution input with the defaults filled in',
      lambdaFunction: fn,
      payload: TaskInput.fromText('{% $merge([$states.input, {"action": "plan"}]) %}'),
      outputs: '{% $states.result.Payload %}',
    });

    const load = new LambdaInvoke(this, 'LoadObjects', {
      comment: 'One batch of the listing: restore check, then loadBatch with verifyEvents',
      lambdaFunction: fn,
      payload: TaskInput.fromObject({
        action: 'objects',
        Items: JsonPath.listAt('$.Items'),
        BatchInput: JsonPath.objectAt('$.BatchInput'),
      }),
      // Packed: an hour's batch results must fit the Map's 256 KiB.
      resultSelector: {
        'totals.$': `States.Array(${REPLAY_TOTALS_FIELDS.map((field) => `$.Payload.${field}`).join(', ')})`,
      },
      outputPath: '$.totals',
    });
    // The S3 restore of an archived object takes up to 12 hours (standard) or 48 (bulk): waits of
    // 15, 30, 60, 120 minutes, then 4 hours, 20 attempts in all, are ~68 hours.
    load.addRetry({
      errors: [REPLAY_ERRORS.objectNotRestored],
      interval: Duration.minutes(15),
      backoffRate: 2,
      maxDelay: Duration.hours(4),
      maxAttempts: 20,
      jitterStrategy: JitterType.NONE,
    });
    load.addRetry({ errors: [REPLAY_ERRORS.input], maxAttempts: 0 });
    load.addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.seconds(10),
      backoffRate: 2,
      maxAttempts: 8,
      jitterStrategy: JitterType.FULL,
    });
    // Anything else (ClickHouse refusing inserts for a while, a timed-out invocation): a few tries
    // a minute or more apart; past them the batch fails and redrive-execution reruns it.
    load.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: JitterType.FULL,
    });

    const objects = new DistributedMap(this, 'Objects', {
      comment: "The hour's archive objects, a few per invocation, at most maxConcurrency at once",
      itemReader: new S3ObjectsItemReader({
        bucket: props.archiveBucket,
        prefix: JsonPath.stringAt('$.prefix'),
      }),
      itemBatcher: new ItemBatcher({
        maxItemsPerBatch: props.objectsPerBatch,
        batchInput: Object.fromEntries(RANGE_FIELDS.map((field) => [`${field}.$`, `$.${field}`])),
      }),
      maxConcurrencyPath: JsonPath.stringAt('$.maxConcurrency'),
      toleratedFailurePercentage: 0,
      label: 'Objects',
    });
    objects.itemProcessor(load, { mode: ProcessorMode.DISTRIBUTED, executionType: ProcessorType.STANDARD });

    const sumHour = this.sum('SumHour', "The hour's batches added up");
    const hours = new DistributedMap(this, 'Hours', {
      comment: 'The hour prefixes, one at a time: maxConcurrency caps the whole replay',
      itemsPath: JsonPath.stringAt('$.prefixes'),
      itemSelector: {
        prefix: JsonPath.stringAt('$$.Map.Item.Value'),
        maxConcurrency: JsonPath.stringAt('$.maxConcurrency'),
        ...Object.fromEntries(RANGE_FIELDS.map((field) => [field, JsonPath.stringAt(`$.${field}`)])),
      },
      maxConcurrency: 1,
      toleratedFailurePercentage: 0,
      label: 'Hours',
    });
    hours.itemProcessor(objects.next(sumHour), {
      mode: ProcessorMode.DISTRIBUTED,
      executionType: ProcessorType.STANDARD,
    });
    return plan.next(hours).next(this.sum('Sum', 'The hours added up: the replay’s totals'));
  }

  /** A `sum` invocation over the state's input (an array of totals); its output is the sum. */
  private sum(id: string, comment: string): LambdaInvoke {
    return new LambdaInvoke(this, id, {
      comment,
      lambdaFunction: this.function,
      payload: TaskInput.fromObject({ action: 'sum', results: JsonPath.listAt('$') }),
      outputPath: '$.Payload',
    });
  }

  /** What cdk-nag reports that the grants cannot narrow, and why. */
  private acknowledgeFindings(bucket: IBucket): void {
    const stack = Stack.of(this);
    const bucketArn: string = stack.resolve(bucket.bucketArn)['Fn::GetAtt']?.[0] ?? 'Bucket';
    const fnFindings = Validations.of(this.function);
    const read =
      'The replay reads the archive objects a listing names and their restore state (HeadObject): bucket.grantRead() grants GetObject*, GetBucket* and List* on the bucket and its objects; the keys are chosen by Firehose at delivery time';
    for (const finding of [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      `Resource::<${bucketArn}.Arn>/*`,
    ]) {
      fnFindings.acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason: `${read}.` });
    }
    fnFindings.acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketArn}.Arn>/${ARCHIVE_ROOT}*]`,
      reason:
        "s3:RestoreObject on the archive's objects only (events/…): which hours a replay restores is known at run time.",
    });
    const fnId: string = stack.getLogicalId(this.function.node.defaultChild as never);
    const smFindings = Validations.of(this.stateMachine);
    smFindings.acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
      reason:
        "Step Functions' Lambda integration grants invoking the function's versions and aliases too (the function ARN with :*); it is this one function.",
    });
    // The Distributed Maps' grants, in a policy CDK adds of its own: starting, describing and
    // stopping this state machine's child executions and Map Runs, whose names are chosen at run
    // time. Their ARNs (the state machine's name cut out of its ARN) are known only once resolved,
    // so each is acknowledged as cdk-nag names it, as the stack is prepared, and only these.
    Aspects.of(this.stateMachine).add({
      visit(node) {
        if (!(node instanceof CfnPolicy) || node.node.scope?.node.id !== 'DistributedMapPolicy') return;
        const findings = rules.iam.IAMNoWildcardPermissions(node);
        if (!Array.isArray(findings)) return;
        for (const finding of findings) {
          if (!/^Resource::arn:.*:states:.*:execution:.*:\*$/.test(finding)) continue;
          Validations.of(node).acknowledge({
            id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
            reason:
              "A Distributed Map starts this state machine's child executions and describes and stops them and its Map Runs (execution:<name>:*, <name>/Hours:*, <name>/Objects:*); their names are chosen at run time.",
          });
        }
      },
    });
    smFindings.acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray trace writes and the CloudWatch Logs delivery actions Step Functions logging needs (logs:CreateLogDelivery, logs:DescribeResourcePolicies, …) take no resource-level permissions.',
    });
  }
}
