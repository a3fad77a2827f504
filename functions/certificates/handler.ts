import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { type CertificatesResponse, onCertificatesEvent } from './core.js';
import { lambdaCertificatesDeps, logger } from './deps.js';

/** The certificates custom resource's function: a thin adapter over `onCertificatesEvent`. */
export const handler = middy<CloudFormationCustomResourceEvent, CertificatesResponse, Error, Context>()
  .use(injectLambdaContext(logger))
  .handler((event) => onCertificatesEvent(event, lambdaCertificatesDeps));
