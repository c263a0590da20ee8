import { cpus, totalmem } from 'node:os';
import { ScenarioFigures, PhaseFigures } from './bench-scenario';
import { Cell, clip, renderTable } from './ops-output';

/** Everything a run measured, with what it ran on, as printed (table) or emitted (--json). */
export interface BenchReport {
  machine: { cpus: number; cpuModel: string; node: string; platform: string; memoryGiB: number };
  settings: {
    durationSeconds: number;
    concurrency: number;
    nodeEnv: string;
    logLevel: string;
  };
  figures: ScenarioFigures;
  /** Anything that makes these figures less comparable, e.g. a shared vhost. */
  notes: string[];
}

export function machineFacts(): BenchReport['machine'] {
  const processors = cpus();
  return {
    cpus: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}

function ms(value: number | null): Cell {
  return value === null ? null : value.toFixed(1);
}

function phaseRow(name: string, unit: string, phase: PhaseFigures): Cell[] {
  return [
    name,
    phase.clients,
    phase.seconds.toFixed(1),
    phase.ok,
    phase.errors,
    `${phase.perSecond.toFixed(1)} ${unit}`,
    ms(phase.latencyMs.p50),
    ms(phase.latencyMs.p95),
    ms(phase.latencyMs.p99),
    ms(phase.latencyMs.max),
  ];
}

/** The report as people read it: what ran where, one row per phase, then the event pipeline. */
export function renderReport(report: BenchReport): string {
  const { machine, settings, figures } = report;
  const phases = renderTable(
    [
      'PHASE',
      'CLIENTS',
      'SECONDS',
      'OK',
      'ERRORS',
      'THROUGHPUT',
      'P50 MS',
      'P95 MS',
      'P99 MS',
      'MAX MS',
    ],
    [
      phaseRow('read', 'req/s', figures.read),
      phaseRow('write', 'tickets/s', figures.write),
      phaseRow('login', 'logins/s', figures.login),
    ],
  );
  const { pipeline } = figures;
  const events = pipeline
    ? renderTable(
        ['EVENTS', 'DRAINED AFTER WRITES', 'END-TO-END', 'LAG P50 MS', 'LAG P95 MS', 'LAG MAX MS'],
        [
          [
            pipeline.events,
            `${(pipeline.drainMs / 1000).toFixed(2)} s`,
            `${pipeline.eventsPerSecond.toFixed(1)} events/s`,
            ms(pipeline.lagMs.p50),
            ms(pipeline.lagMs.p95),
            ms(pipeline.lagMs.max),
          ],
        ],
      )
    : '(no ticket was written, so no event to follow)';
  const failures = (['read', 'write', 'login'] as const)
    .filter((phase) => figures[phase].firstError !== null)
    .map((phase) => `${phase}: first error: ${clip(figures[phase].firstError, 100)}`);
  const notes = [...failures, ...report.notes];

  return [
    `Servicedesk benchmark: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, ` +
      `Node ${machine.node}, ${machine.platform}`,
    `${settings.concurrency} clients for ${settings.durationSeconds} s per phase ` +
      `(login: ${figures.login.clients} clients for ${figures.login.seconds.toFixed(0)} s); ` +
      `NODE_ENV=${settings.nodeEnv}, LOG_LEVEL=${settings.logLevel}; ` +
      'load generator on the same machine',
    '',
    phases,
    '',
    'Event pipeline: ticket.created from the ticket outbox to the audit log',
    events,
  ]
    .concat(notes.length > 0 ? ['', ...notes.map((note) => `note: ${note}`)] : [])
    .join('\n');
}
