import { Match } from 'aws-cdk-lib/assertions';

/** A bucket policy statement that refuses every request not made over TLS (`enforceSSL`). */
export const DENY_INSECURE_TRANSPORT = Match.objectLike({
  Effect: 'Deny',
  Action: 's3:*',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});
