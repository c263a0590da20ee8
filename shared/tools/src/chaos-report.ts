import type { CheckResult, Violation } from './chaos-checker';
import { renderTable } from './ops-output';

/**
 * What `npm run chaos` prints: one row per scenario (operations, lost, duplicated, stuck,
 * unanswered, drain time, latency, connections, verdict), then the details of every violation.
 */

export interface ScenarioResult {
  scenario: string;
  acked: number;
  errored: number;
  lost: number;
  /** Emails sent again under another Message-ID, and other doubled effects. */
  duplicated: number;
  /** Emails sent again under the same Message-ID: counted, allowed. */
  sameIdResends: number;
  stuck: number;
  unanswered: number;
  /** From the end of the workload until the platform was quiet; null if it never was. */
  drainMs: number | null;
  maxLatencyMs: number;
  /** Most PostgreSQL connections the stack held at once during the scenario. */
  peakConnections: number;
  passed: boolean;
  violations: Violation[];
  /** What happened on the way that is not a violation (a process restarted, a drain timed out). */
  notes: string[];
}

/** The row of a scenario whose check gave `result`. */
export function scenarioResult(
  scenario: string,
  result: CheckResult,
  figures: { drainMs: number | null; peakConnections: number; notes: string[] },
): ScenarioResult {
  const of = (kind: Violation['kind']) => result.violations.filter((v) => v.kind === kind).length;
  return {
    scenario,
    acked: result.acked,
    errored: result.errored,
    lost: of('lost'),
    duplicated: of('duplicated'),
    sameIdResends: result.sameIdResends,
    stuck: of('stuck'),
    unanswered: of('unanswered'),
    drainMs: figures.drainMs,
    maxLatencyMs: result.maxLatencyMs,
    peakConnections: figures.peakConnections,
    passed: result.violations.length === 0,
    violations: result.violations,
    notes: figures.notes,
  };
}

const seconds = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);

/** How many details of one sort of violation are listed before "… and n more". */
const DETAILS_PER_SORT = 5;

function details(result: ScenarioResult): string[] {
  const sorts = new Map<string, Violation[]>();
  for (const violation of result.violations) {
    const key = `${violation.kind}: ${violation.what}`;
    sorts.set(key, [...(sorts.get(key) ?? []), violation]);
  }
  const lines = [...sorts].flatMap(([sort, violations]) => [
    `  ${sort} (${violations.length})`,
    ...violations.slice(0, DETAILS_PER_SORT).map((v) => `    ${v.detail}`),
    ...(violations.length > DETAILS_PER_SORT
      ? [`    … and ${violations.length - DETAILS_PER_SORT} more`]
      : []),
  ]);
  const notes = result.notes.map((note) => `  note: ${note}`);
  return lines.length + notes.length === 0 ? [] : [`${result.scenario}:`, ...lines, ...notes];
}

/** The table, the verdict, the details; `failure` is why the run stopped early, if it did. */
export function renderChaosReport(
  results: readonly ScenarioResult[],
  runFolder: string,
  failure: string | null = null,
): string {
  const table = renderTable(
    [
      'SCENARIO',
      'ACKED/ERRORED',
      'LOST',
      'DUPLICATED (DIFF-ID/SAME-ID)',
      'STUCK',
      'UNANSWERED',
      'DRAIN',
      'MAX LATENCY',
      'PEAK PG CONN',
      'VERDICT',
    ],
    results.map((r) => [
      r.scenario,
      `${r.acked}/${r.errored}`,
      r.lost,
      `${r.duplicated}/${r.sameIdResends}`,
      r.stuck,
      r.unanswered,
      seconds(r.drainMs),
      seconds(r.maxLatencyMs),
      r.peakConnections,
      r.passed ? 'pass' : 'FAIL',
    ]),
  );
  const failed = results.filter((r) => !r.passed).length;
  const verdict = [
    failed === 0
      ? `every scenario run passed (${results.length})`
      : `${failed} of ${results.length} scenarios found violations`,
    ...(failure === null ? [] : [`the run stopped early: ${failure}`]),
  ].join('\n');
  const body = results.flatMap(details);
  return [
    table,
    '',
    verdict,
    ...(body.length > 0 ? ['', ...body] : []),
    '',
    `logs: ${runFolder}`,
  ].join('\n');
}
