// The stack's default PostgreSQL connections, as the services compute them and the README
// states them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTIONS_OUTSIDE_POOL, processConnections } from '@servicedesk/platform';
import { loadUserConfig } from '@servicedesk/user-service';
import { loadTicketConfig } from '@servicedesk/ticket-service';
import { loadAppointmentConfig } from '@servicedesk/appointment-service';
import { loadAuditConfig } from '@servicedesk/audit-service';
import { loadNotificationConfig } from '@servicedesk/notification-service';

/** What one stack may hold, so that two fit in a default PostgreSQL (max_connections = 100). */
const STACK_BUDGET = 40;

const services: Array<[string, (env: NodeJS.ProcessEnv) => { DATABASE_POOL_SIZE: number }]> = [
  ['user', loadUserConfig],
  ['ticket', loadTicketConfig],
  ['appointment', loadAppointmentConfig],
  ['audit', loadAuditConfig],
  ['notification', loadNotificationConfig],
];

const defaults = services.map(([name, load]) => {
  const pool = load({}).DATABASE_POOL_SIZE;
  return { name, pool, listener: CONNECTIONS_OUTSIDE_POOL, total: processConnections(pool) };
});

/** Rows of the README's connection table: `| service | pool | listener | total |`. */
function documentedRows(): Map<string, number[]> {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### PostgreSQL connections'));
  const rows = new Map<string, number[]>();
  for (const match of section.matchAll(/^\| (\w+) +\| (\d+) +\| (\d+) +\| (\d+) +\|$/gm)) {
    rows.set(match[1], [Number(match[2]), Number(match[3]), Number(match[4])]);
  }
  return rows;
}

describe('connection budget', () => {
  it(`keeps a whole stack within ${STACK_BUDGET} connections by default`, () => {
    const total = defaults.reduce((sum, service) => sum + service.total, 0);

    expect(total).toBeLessThanOrEqual(STACK_BUDGET);
  });

  it('is documented in the README as the services compute it', () => {
    const rows = documentedRows();
    const sum = (key: 'pool' | 'listener' | 'total') =>
      defaults.reduce((total, service) => total + service[key], 0);

    for (const service of defaults) {
      expect([service.name, rows.get(service.name)]).toEqual([
        service.name,
        [service.pool, service.listener, service.total],
      ]);
    }
    expect(rows.get('stack')).toEqual([sum('pool'), sum('listener'), sum('total')]);
  });
});
