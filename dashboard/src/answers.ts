/**
 * What the query API answers, as the dashboard reads it: the API's own row types
 * (`functions/query/queries.ts`), so a change to an answer fails the dashboard's typecheck.
 * Type-only imports: nothing of the server reaches the bundle.
 */
import type {
  DayCost,
  ListedCall,
  MinuteStat,
  ModelUsage,
  Summary,
  TraceSpan,
} from '../../functions/query/queries.js';

export type { ModelUsage };

export type Window = '15m' | '1h' | '6h' | '24h' | '7d';
export const WINDOWS: readonly Window[] = ['15m', '1h', '6h', '24h', '7d'];

/** A series row of `/v1/metrics`: one bucket (`time`, by the minute or the hour) and model. */
export type SeriesRow = Omit<MinuteStat, 'minute'> & { readonly time: string };

/**
 * A row of any call list: `/v1/calls` gives every field, `/v1/calls/slowest` and
 * `/v1/calls/failed` only the call and its status or its error.
 */
export type Call = Pick<ListedCall, 'trace_id' | 'span_id' | 'timestamp' | 'name' | 'model' | 'latency_ms'> &
  Partial<Pick<ListedCall, 'status' | 'error_message' | 'total_tokens' | 'cost_cents'>>;

export type Span = TraceSpan;

export interface Answers {
  summary: { project: string; summary: Summary };
  metrics: { project: string; from: string; to: string; step: 'minute' | 'hour'; series: SeriesRow[] };
  models: { project: string; models: ModelUsage[] };
  calls: { project: string; calls: Call[] };
  trace: { project: string; trace_id: string; spans: Span[] };
  costs: {
    project: string;
    from: string;
    to: string;
    days: DayCost[];
    month: Pick<Summary, 'requests' | 'total_tokens' | 'cost_cents'> & {
      from: string;
      to: string;
      models: ModelUsage[];
    };
  };
}
