import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { operationsTextLimits } from '@servicedesk/messaging';
import { ID_MAX_LENGTH, TextLimits } from '@servicedesk/platform';
import { appointmentTextLimits } from '@servicedesk/appointment-service';
import { auditTextLimits } from '@servicedesk/audit-service';
import { notificationTextLimits } from '@servicedesk/notification-service';
import { ticketTextLimits } from '@servicedesk/ticket-service';
import { userTextLimits } from '@servicedesk/user-service';

/**
 * The README's "Input limits" table is the limits the subgraphs enforce, row for row (each
 * subgraph refuses to start when its limits miss a `String` of its schema).
 */
const README = join(__dirname, '..', '..', 'README.md');

const SERVICES: Array<[string, TextLimits]> = [
  ['user', userTextLimits],
  ['ticket', ticketTextLimits],
  ['appointment', appointmentTextLimits],
  ['audit', auditTextLimits],
  ['notification', notificationTextLimits],
];

const row = (service: string, field: string, max: number) => `| ${service} | ${field} | ${max} |`;

function enforcedRows(): string[] {
  const rows = SERVICES.flatMap(([service, limits]) =>
    Object.entries({ ...limits, ...operationsTextLimits(service) })
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([coordinate, max]) => row(service, `\`${coordinate}\``, max)),
  );
  return [row('every service', 'every `ID`', ID_MAX_LENGTH), ...rows];
}

function documentedRows(): string[] {
  const readme = readFileSync(README, 'utf8');
  const section = /\n### Input limits\n([\s\S]*?)(?=\n#)/.exec(readme)?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !/^\| (service|-)/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim())
        .join(' | '),
    )
    .map((cells) => `| ${cells} |`);
}

describe('README input limits', () => {
  it('lists every text field with the maximum length its subgraph enforces', () => {
    expect(documentedRows()).toEqual(enforcedRows());
  });
});
