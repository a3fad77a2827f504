import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { type MigrationsResponse, onMigrationsEvent } from './core.js';
import { lambdaMigrateDeps, logger } from './deps.js';

/** The migrations custom resource's function: a thin adapter over `onMigrationsEvent`. */
export const handler = middy<CloudFormationCustomResourceEvent, MigrationsResponse, Error, Context>()
  .use(injectLambdaContext(logger))
  .handler((event, context) =>
    onMigrationsEvent(event, context.getRemainingTimeInMillis(), lambdaMigrateDeps),
  );
