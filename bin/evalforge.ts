import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app.js';

/**
 * The CDK app that cdk.json runs: `npx cdk synth -c tier=N`, `npx cdk deploy -c tier=N …`.
 * Everything it does lives in lib/app.ts, where the tests and `npm run cost` reach it too; this
 * file only runs it, unconditionally, so it works from any checkout path.
 */
const app = new App();
buildApp(app, { costEstimate: true });
app.synth();
