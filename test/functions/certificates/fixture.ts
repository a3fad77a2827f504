import { readFileSync } from 'node:fs';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';

/** The Create request of test/fixtures/cloudformation/certificates-create.json: two data nodes and a Keeper. */
export const CERTIFICATES_CREATE = JSON.parse(
  readFileSync(new URL('../../fixtures/cloudformation/certificates-create.json', import.meta.url), 'utf8'),
) as CloudFormationCustomResourceCreateEvent & {
  ResourceProperties: {
    Generation: string;
    Nodes: { Name: string; DnsNames: string[]; SecretArn: string }[];
  };
};
