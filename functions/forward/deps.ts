import { KinesisClient } from '@aws-sdk/client-kinesis';
import { z } from 'zod';
import { REGION_PATTERN } from '../shared/auth/api-keys.js';
import { jsonText, readEnv } from '../shared/read-env.js';
import type { ForwarderDeps } from './core.js';
import { kinesisRegionPut, type RegionTarget } from './kinesis-put.js';

/** A Kinesis stream's ARN: its region is where the client must send. */
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;

/**
 * `HOME_STREAMS`: JSON, region → the ARN of that region's main stream, for every region of the
 * deployment (this one included: records that name no other home are put into it).
 */
export const HomeStreamsSchema = jsonText().pipe(
  z
    .record(
      z.string().regex(REGION_PATTERN, 'keys must be AWS region names'),
      z.string().regex(STREAM_ARN, 'values must be Kinesis stream ARNs'),
    )
    .refine(
      (streams) => Object.entries(streams).every(([region, arn]) => STREAM_ARN.exec(arn)?.[1] === region),
      {
        message: "each stream's ARN must be in the region it is listed under",
      },
    ),
);

const Env = z.object({
  HOME_STREAMS: HomeStreamsSchema,
  AWS_REGION: z.string().regex(REGION_PATTERN, 'must be an AWS region name'),
});

/**
 * The deployed regions' streams, by ARN (`HOME_STREAMS`), each through `client(region)`; a region
 * the map does not name is an error, so its records wait in the transit stream.
 */
export function homeStreamTarget(
  streams: Readonly<Record<string, string>>,
  client: (region: string) => Pick<KinesisClient, 'send'>,
): RegionTarget {
  return (region) => {
    const arn = streams[region];
    if (arn === undefined) {
      throw new Error(
        `no stream for region ${region}: HOME_STREAMS names ${Object.keys(streams).join(', ')}; a key names a home region this deployment does not have`,
      );
    }
    return { client: client(region), stream: { StreamARN: arn } };
  };
}

let deps: ForwarderDeps | undefined;

/** The Lambda's dependencies, built on first use: a Kinesis client per region, reused while warm. */
export function lambdaForwarderDeps(): ForwarderDeps {
  if (deps) return deps;
  const env = readEnv(Env, process.env, 'forwarder');
  const clients = new Map<string, KinesisClient>();
  deps = {
    region: env.AWS_REGION,
    putRecords: kinesisRegionPut(
      homeStreamTarget(env.HOME_STREAMS, (region) => {
        let client = clients.get(region);
        if (!client) {
          client = new KinesisClient({ region });
          clients.set(region, client);
        }
        return client;
      }),
    ),
  };
  return deps;
}
