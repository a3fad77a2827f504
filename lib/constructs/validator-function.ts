import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { EvalForgeFunction } from './evalforge-function.js';

export interface ValidatorFunctionProps {
  /** Where accepted events go. */
  readonly stream: IStream;
  /** The API keys, read only. */
  readonly keyTable: ITable;
  readonly memoryMiB: number;
  readonly timeoutSec: number;
  /** Validators running at once at most; beyond it the load balancer answers 503 and clients retry. */
  readonly reservedConcurrency: number;
  /**
   * Model prices for OTLP spans that report tokens and no cost, added to or replacing the defaults
   * (`functions/shared/model-prices.ts`), as JSON: `{"<model>": {"inputUsdPerMTok": …,
   * "outputUsdPerMTok": …}}`.
   * @default - the defaults only
   */
  readonly modelPrices?: string;
}

/**
 * The ingest validator behind the load balancers: authenticates each request against the key
 * table, checks every event against the contract and writes one stream record per request. Not in
 * the VPC: it talks only to DynamoDB and Kinesis, over their public endpoints with IAM.
 */
export class ValidatorFunction extends Construct {
  readonly function: EvalForgeFunction;

  constructor(scope: Construct, id: string, props: ValidatorFunctionProps) {
    super(scope, id);
    this.function = new EvalForgeFunction(this, 'Function', {
      name: 'validator',
      memoryMiB: props.memoryMiB,
      timeoutSec: props.timeoutSec,
      reservedConcurrency: props.reservedConcurrency,
      environment: {
        EVENT_STREAM_NAME: props.stream.streamName,
        API_KEYS_TABLE_NAME: props.keyTable.tableName,
        ...(props.modelPrices ? { MODEL_PRICES: props.modelPrices } : {}),
      },
    });
    props.stream.grantWrite(this.function);
    props.keyTable.grantReadData(this.function);
  }
}
