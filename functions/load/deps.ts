/**
 * The loader's ClickHouse client and per-shard stores from its environment: functions/shared/load/
 * clients.ts, which the replay job shares.
 */
export {
  clickHouse,
  loaderClientConfig,
  readShardUrls,
  ShardUrlsSchema,
  shardedStore,
} from '../shared/load/clients.js';
