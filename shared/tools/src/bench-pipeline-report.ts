import { DrainRate, StageFigures } from './bench-pipeline-stats';
import { LatencySummary } from './bench-stats';
import { BenchReport } from './bench-report';
import { Cell, clip, renderTable } from './ops-output';

/**
 * What `npm run bench -- --pipeline` measured, and the table people read: lag per stage at
 * each rate, the consumers' drain rates and the relay beside a plain publisher, each figure
 * beside its target.
 */

export const PIPELINE_TARGETS = {
  auditPerSecond: 2000,
  inAppPerSecond: 1000,
  emailsPerSecond: 300,
  /** The rate at which nothing may grow and the p99 lags below hold. */
  rate: 50,
  auditP99Ms: 100,
  inAppP99Ms: 100,
  emailP99Ms: 250,
  relayToRaw: 0.9,
} as const;

export const STAGES = ['published', 'audited', 'inApp', 'emailed'] as const;
export type Stage = (typeof STAGES)[number];

const STAGE_NAMES: Record<Stage, string> = {
  published: 'published',
  audited: 'audit recorded',
  inApp: 'in-app row',
  emailed: 'email accepted',
};

const P99_TARGETS: Partial<Record<Stage, number>> = {
  audited: PIPELINE_TARGETS.auditP99Ms,
  inApp: PIPELINE_TARGETS.inAppP99Ms,
  emailed: PIPELINE_TARGETS.emailP99Ms,
};

/** The machine's load average as `uptime` prints it (1, 5, 15 minutes). */
export type LoadAverage = [number, number, number];

export interface RateFigures {
  rate: number;
  seconds: number;
  createTicket: {
    started: number;
    ok: number;
    errors: number;
    shed: number;
    firstError: string | null;
    /** Answers per second over the schedule. */
    achievedPerSecond: number;
    latencyMs: LatencySummary;
  };
  stages: Record<Stage, StageFigures>;
  grew: boolean;
  load: LoadAverage;
}

export interface DrainFigures {
  events: number;
  audited: DrainRate;
  inApp: DrainRate;
  emailed: DrainRate;
  /** From starting the stopped consumers until every stage had every event. */
  wallSeconds: number;
  load: LoadAverage;
}

export interface RelayFigures {
  rows: number;
  batchSize: number;
  /** From the relay's first round until every row was marked PUBLISHED. */
  relaySeconds: number;
  relayPerSecond: number;
  /** From the first publish until the last batch's confirms. */
  rawSeconds: number;
  rawPerSecond: number;
  ratio: number;
  load: LoadAverage;
}

export interface PipelineReport {
  machine: BenchReport['machine'];
  settings: {
    durationSeconds: number;
    rates: number[];
    maxInFlight: number;
    backlog: number;
    nodeEnv: string;
    logLevel: string;
  };
  rates: RateFigures[];
  highestSustainedRate: number | null;
  drain: DrainFigures | null;
  relay: RelayFigures | null;
  notes: string[];
}

function ms(value: number | null): Cell {
  return value === null ? null : value.toFixed(0);
}

function load([one, five, fifteen]: LoadAverage): string {
  return `${one.toFixed(2)}, ${five.toFixed(2)}, ${fifteen.toFixed(2)}`;
}

function yesNo(met: boolean): string {
  return met ? 'yes' : 'NO';
}

function rateRows(phase: RateFigures): Cell[][] {
  const { createTicket } = phase;
  const write: Cell[] = [
    phase.rate,
    'createTicket',
    `${createTicket.ok}/${createTicket.started}`,
    ms(createTicket.latencyMs.p50),
    ms(createTicket.latencyMs.p99),
    ms(createTicket.latencyMs.max),
    null,
    null,
    `${createTicket.achievedPerSecond.toFixed(1)}/s achieved, ${createTicket.errors} errors, ${createTicket.shed} shed`,
    null,
    null,
  ];
  const stages = STAGES.map((stage): Cell[] => {
    const figures = phase.stages[stage];
    const target = phase.rate === PIPELINE_TARGETS.rate ? P99_TARGETS[stage] : undefined;
    return [
      phase.rate,
      STAGE_NAMES[stage],
      `${figures.reached}/${figures.expected}`,
      ms(figures.lagMs.p50),
      ms(figures.lagMs.p99),
      ms(figures.lagMs.max),
      `${ms(figures.firstThirdP50) ?? '-'} → ${ms(figures.lastThirdP50) ?? '-'}`,
      `${(figures.drainMs / 1000).toFixed(1)} s`,
      figures.growing ? `GROWING (${figures.signs.join(', ')})` : 'steady',
      target === undefined ? null : `p99 ≤ ${target}, steady`,
      target === undefined
        ? null
        : yesNo(
            !figures.growing &&
              figures.reached === figures.expected &&
              figures.lagMs.p99 !== null &&
              figures.lagMs.p99 <= target,
          ),
    ];
  });
  return [write, ...stages];
}

function drainTable(drain: DrainFigures): string {
  const row = (name: string, rate: DrainRate, target: number): Cell[] => [
    name,
    `${rate.count}/${drain.events}`,
    `${(rate.spanMs / 1000).toFixed(2)} s`,
    `${rate.perSecond.toFixed(0)}/s`,
    `≥ ${target}/s`,
    yesNo(rate.count === drain.events && rate.perSecond >= target),
  ];
  return renderTable(
    ['STAGE', 'REACHED', 'FIRST TO LAST', 'DRAIN RATE', 'TARGET', 'MET'],
    [
      row('audit recorded', drain.audited, PIPELINE_TARGETS.auditPerSecond),
      row('in-app row', drain.inApp, PIPELINE_TARGETS.inAppPerSecond),
      row('email accepted', drain.emailed, PIPELINE_TARGETS.emailsPerSecond),
    ],
  );
}

function relayTable(relay: RelayFigures): string {
  return renderTable(
    ['PUBLISHER', 'EVENTS', 'SECONDS', 'RATE', 'RATIO', 'TARGET', 'MET'],
    [
      [
        'outbox relay',
        relay.rows,
        relay.relaySeconds.toFixed(2),
        `${relay.relayPerSecond.toFixed(0)}/s`,
        relay.ratio.toFixed(2),
        `≥ ${PIPELINE_TARGETS.relayToRaw} × raw`,
        yesNo(relay.ratio >= PIPELINE_TARGETS.relayToRaw),
      ],
      [
        `raw confirm loop (batches of ${relay.batchSize})`,
        relay.rows,
        relay.rawSeconds.toFixed(2),
        `${relay.rawPerSecond.toFixed(0)}/s`,
        '1.00',
        null,
        null,
      ],
    ],
  );
}

export function renderPipelineReport(report: PipelineReport): string {
  const { machine, settings } = report;
  const atTarget = report.rates.find((phase) => phase.rate === PIPELINE_TARGETS.rate);
  const lines = [
    `Servicedesk event pipeline benchmark: ${machine.cpus} CPUs (${machine.cpuModel}), ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`,
    `open-loop createTicket at ${settings.rates.join(', ')} tickets/s, ${settings.durationSeconds} s each ` +
      `(at most ${settings.maxInFlight} in flight); NODE_ENV=${settings.nodeEnv}, ` +
      `LOG_LEVEL=${settings.logLevel}; load generator on the same machine`,
    "lag = when the stage had the event − the envelope's occurredAt (stamped as the event is written to the outbox, inside the transaction, just before commit)",
    '',
    'Lag by rate (ms); FIRST → LAST THIRD: median lag of the events committed in each third',
    renderTable(
      [
        'RATE/S',
        'STAGE',
        'REACHED',
        'P50',
        'P99',
        'MAX',
        'FIRST → LAST THIRD',
        'DRAIN',
        'LAG',
        'TARGET',
        'MET',
      ],
      report.rates.flatMap(rateRows),
    ),
    "GROWING (thirds): the last third's median lag is over twice the first's + 50 ms; (drain): the " +
      'stage was still draining 5 s after the last answer; (missing): some events never reached it',
    ...report.rates.map((phase) => `load average during ${phase.rate}/s: ${load(phase.load)}`),
    `highest rate sustained without growing lag: ${report.highestSustainedRate === null ? 'none' : `${report.highestSustainedRate} tickets/s`}` +
      ` (target: ${PIPELINE_TARGETS.rate}/s steady: ${atTarget ? yesNo(!atTarget.grew) : 'not measured'})`,
    '',
    `Drain of a backlog of ${settings.backlog} ticket.created published while the consumers were stopped` +
      ' (rate from the first to the last event each stage handled)',
    report.drain
      ? `${drainTable(report.drain)}\nfrom starting the consumers until every stage was done: ` +
        `${report.drain.wallSeconds.toFixed(1)} s; load average: ${load(report.drain.load)}`
      : '(not measured)',
    '',
    `The outbox relay draining ${settings.backlog} rows written while its service was stopped, ` +
      'beside a plain confirm-channel loop publishing the same messages',
    report.relay
      ? `${relayTable(report.relay)}\nload average: ${load(report.relay.load)}`
      : '(not measured)',
  ];
  const failures = report.rates
    .filter((phase) => phase.createTicket.firstError !== null)
    .map(
      (phase) =>
        `${phase.rate}/s: first createTicket error: ${clip(phase.createTicket.firstError, 100)}`,
    );
  const notes = [...failures, ...report.notes];
  return lines
    .concat(notes.length > 0 ? ['', ...notes.map((note) => `note: ${note}`)] : [])
    .join('\n');
}
