import { parseArgs } from 'node:util';

/** What `npm run chaos -- …` was asked to do. */
export type ChaosCommand =
  { kind: 'run'; profile: ChaosProfile; scenarios: string[]; json: boolean } | { kind: 'help' };

export type ChaosProfile = 'short' | 'full';

/** A scenario as the command line knows it. */
export interface ScenarioName {
  name: string;
  /** The smallest profile that runs it (the full profile runs every scenario). */
  profile: ChaosProfile;
  summary: string;
}

export class ChaosUsageError extends Error {}

export function chaosUsage(scenarios: readonly ScenarioName[]): string {
  const width = Math.max(...scenarios.map((s) => s.name.length));
  const list = scenarios
    .map(
      (s) =>
        `  ${s.name.padEnd(width)}  ${s.profile === 'short' ? '(short) ' : '        '}${s.summary}`,
    )
    .join('\n');
  return `Usage: npm run chaos -- [--profile short|full] [--scenario <name>]... [--json]

Starts every service and the gateway as processes of their own against a fresh database and
RabbitMQ vhost, each service's PostgreSQL and RabbitMQ connections through a fault proxy,
runs a steady workload through the gateway and injects one fault at a time. After each, once
the platform is quiet, it checks that nothing was lost, doubled, left stuck or unanswered.
The checker is tested on the first snapshot before any verdict is believed.

  --profile short|full   which scenarios to run (default full)
  --scenario <name>      run only this scenario (repeatable; overrides --profile)
  --json                 print the results as JSON instead of a table

Scenarios:
${list}

Exits 1 when any scenario finds a violation.`;
}

/** Parses the arguments after `npm run chaos --`; throws ChaosUsageError with a readable reason. */
export function parseChaosArguments(
  argv: readonly string[],
  known: readonly ScenarioName[],
): ChaosCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        profile: { type: 'string', default: 'full' },
        scenario: { type: 'string', multiple: true, default: [] },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ChaosUsageError((error as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const profile = values.profile;
  if (profile !== 'short' && profile !== 'full') {
    throw new ChaosUsageError(`--profile must be short or full, got "${profile}"`);
  }
  for (const name of values.scenario) {
    if (!known.some((s) => s.name === name)) {
      throw new ChaosUsageError(
        `no scenario "${name}" (scenarios: ${known.map((s) => s.name).join(', ')})`,
      );
    }
  }
  const chosen =
    values.scenario.length > 0
      ? known.filter((s) => values.scenario.includes(s.name))
      : known.filter((s) => profile === 'full' || s.profile === 'short');
  return { kind: 'run', profile, scenarios: chosen.map((s) => s.name), json: values.json };
}
