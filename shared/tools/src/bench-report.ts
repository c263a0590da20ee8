import { cpus, totalmem } from 'node:os';
import { EmailPipelineFigures } from './bench-mail';
import { ScenarioFigures } from './bench-scenario';
import { PhaseFigures } from './bench-stats';
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
    phase.conflicts,
    `${phase.perSecond.toFixed(1)} ${unit}`,
    ms(phase.latencyMs.p50),
    ms(phase.latencyMs.p95),
    ms(phase.latencyMs.p99),
    ms(phase.latencyMs.max),
  ];
}

function emailRow(email: EmailPipelineFigures): Cell[] {
  return [
    email.source,
    email.emails,
    `${(email.drainMs / 1000).toFixed(2)} s`,
    `${email.emailsPerSecond.toFixed(1)} emails/s`,
    ms(email.lagMs?.p50 ?? null),
    ms(email.lagMs?.p95 ?? null),
    ms(email.lagMs?.max ?? null),
  ];
}

const PHASES = ['read', 'write', 'slots', 'book', 'login'] as const;

/**
 * The report as people read it: what ran where, one row per phase, then the event pipeline
 * and the email pipeline.
 */
export function renderReport(report: BenchReport): string {
  const { machine, settings, figures } = report;
  const phases = renderTable(
    [
      'PHASE',
      'CLIENTS',
      'SECONDS',
      'OK',
      'ERRORS',
      'CONFLICTS',
      'THROUGHPUT',
      'P50 MS',
      'P95 MS',
      'P99 MS',
      'MAX MS',
    ],
    [
      phaseRow('read', 'req/s', figures.read),
      phaseRow('write', 'tickets/s', figures.write),
      phaseRow('slots', 'req/s', figures.slots),
      phaseRow('book', 'bookings/s', figures.book),
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
  const emails =
    figures.notify.length > 0
      ? renderTable(
          [
            'EMAILS OF',
            'EMAILS',
            'DRAINED AFTER PHASE',
            'END-TO-END',
            'LAG P50 MS',
            'LAG P95 MS',
            'LAG MAX MS',
          ],
          figures.notify.map(emailRow),
        )
      : '(no ticket written and no appointment booked, so no email to follow)';
  const failures = PHASES.filter((phase) => figures[phase].firstError !== null).map(
    (phase) => `${phase}: first error: ${clip(figures[phase].firstError, 100)}`,
  );
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
    '',
    'Email pipeline: from the writes of a phase until the SMTP server received every email they cause',
    emails,
  ]
    .concat(notes.length > 0 ? ['', ...notes.map((note) => `note: ${note}`)] : [])
    .join('\n');
}
