import { isMainModule } from '../cli/main-module.js';
import { TIER_IDS, TIERS, type TierSpec } from './tiers.js';

const n = (value: number) => value.toLocaleString('en-US');

/** What ClickHouse keeps how long: rows hot on gp3, then warm on the S3 disk; bodies; rollups. */
export function retention(t: TierSpec): string {
  const r = t.retention;
  return `rows ${r.hotDays} d gp3 + ${n(r.warmDays)} d S3; bodies ${r.bodiesDays} d; rollups ${r.minuteRollupDays} / ${r.hourRollupDays} d`;
}

/** The README's tier table, rendered from the sizing table so the two cannot disagree. */
export function renderTierTable(): string {
  const rows = TIER_IDS.map((id) => {
    const t = TIERS[id];
    const stream = t.stream.mode === 'provisioned' ? `${n(t.stream.shardCount)} shards` : 'on-demand';
    const clickhouse = `${t.clickhouse.shards * t.clickhouse.replicas} × ${t.clickhouse.instanceType} (${t.clickhouse.shards} shard${t.clickhouse.shards > 1 ? 's' : ''} × ${t.clickhouse.replicas} replica${t.clickhouse.replicas > 1 ? 's' : ''})${t.clickhouse.keeperNodes > 0 ? ` + ${t.clickhouse.keeperNodes} × ${t.clickhouse.keeperInstanceType} Keeper` : ''}`;
    return `| ${id} | ${n(t.floorEventsPerSec)}–${n(t.ceilingEventsPerSec)} | ${t.ingest.albCount} | ${n(t.ingest.validator.reservedConcurrency)} × ${n(t.ingest.validator.memoryMiB)} MiB | ${stream} | ${clickhouse} | ${n(t.clickhouse.volumeGiB)} GiB gp3, ${n(t.clickhouse.volumeThroughputMiBps)} MiB/s | ${retention(t)} | ${t.archive.lifecycle.infrequentAccessAfterDays} / ${t.archive.lifecycle.deepArchiveAfterDays} / ${t.archive.lifecycle.expireAfterDays} d |`;
  });
  return [
    '| tier | events/s | ALBs | validators (max × memory) | stream | ClickHouse | volume per node | ClickHouse retention | archive: IA / Deep Archive / expiry |',
    '| ---- | -------- | ---- | ------------------------- | ------ | ---------- | --------------- | -------------------- | ------------------------------------ |',
    ...rows,
  ].join('\n');
}

if (isMainModule(import.meta.url)) console.log(renderTierTable());
