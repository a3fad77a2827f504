/** The lines a tier's report shows: its largest, identical ones counted. */
import type { ReportLine, TierReport } from '../report.js';

const MAIN_LINES = 8;

/** A tier's largest lines of month 1. */
export const mainLines = (report: TierReport): readonly ReportLine[] => report.lines.slice(0, MAIN_LINES);

/** `3 × EC2 t3.small`: the item, with the count of identical lines. */
export const lineLabel = (line: ReportLine): string =>
  `${line.count > 1 ? `${line.count} × ` : ''}${line.item}`;
