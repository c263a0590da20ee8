import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadUserConfig } from '@servicedesk/user-service';
import { loadTicketConfig } from '@servicedesk/ticket-service';
import { loadAuditConfig } from '@servicedesk/audit-service';
import { loadAppointmentConfig } from '@servicedesk/appointment-service';
import { loadNotificationConfig } from '@servicedesk/notification-service';
import { loadGatewayConfig } from '@servicedesk/gateway';

const root = join(__dirname, '..', '..', '..');

function parseEnvFile(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries.set(match[1], match[2]);
  }
  return entries;
}

const documented = parseEnvFile(readFileSync(join(root, '.env.example'), 'utf8'));
const asEnvironment = Object.fromEntries(documented);

const loaders: Array<[string, (env: NodeJS.ProcessEnv) => object]> = [
  ['user', loadUserConfig],
  ['ticket', loadTicketConfig],
  ['appointment', loadAppointmentConfig],
  ['audit', loadAuditConfig],
  ['notification', loadNotificationConfig],
  ['gateway', loadGatewayConfig],
];

describe('.env.example', () => {
  it.each(loaders)('holds values the %s configuration accepts as they are', (_name, load) => {
    expect(() => load(asEnvironment)).not.toThrow();
  });

  it.each(loaders)('documents every variable the %s configuration reads', (_name, load) => {
    const variables = Object.keys(load({})).filter((key) => /^[A-Z][A-Z0-9_]*$/.test(key));
    expect(variables.filter((variable) => !documented.has(variable))).toEqual([]);
  });

  it('documents every variable named in a configuration schema', () => {
    const files = [
      'shared/platform/src/config.ts',
      'services/user/src/config.ts',
      'services/ticket/src/config.ts',
      'services/appointment/src/config.ts',
      'services/audit/src/config.ts',
      'services/notification/src/config.ts',
      'shared/tools/src/config.ts',
      'gateway/src/config.ts',
    ];
    const named = new Set<string>();
    for (const file of files) {
      const source = readFileSync(join(root, file), 'utf8');
      for (const match of source.matchAll(/^\s+([A-Z][A-Z0-9_]{2,}):\s/gm)) named.add(match[1]);
    }
    expect(named.size).toBeGreaterThan(20);
    expect([...named].filter((variable) => !documented.has(variable))).toEqual([]);
  });
});
