/** The processes `npm start` runs, in start order: every subgraph, then the gateway. */
export interface ProcessSpec {
  name: string;
  /** Folder of the workspace, relative to the repository root. */
  dir: string;
  portVariable: string;
  defaultPort: number;
  /** Whether it owns a database schema (and so has migrations to run first). */
  migrates: boolean;
}

export const SUBGRAPH_PROCESSES: ProcessSpec[] = [
  {
    name: 'user',
    dir: 'services/user',
    portVariable: 'USER_PORT',
    defaultPort: 3001,
    migrates: true,
  },
  {
    name: 'ticket',
    dir: 'services/ticket',
    portVariable: 'TICKET_PORT',
    defaultPort: 3002,
    migrates: true,
  },
  {
    name: 'audit',
    dir: 'services/audit',
    portVariable: 'AUDIT_PORT',
    defaultPort: 3003,
    migrates: true,
  },
];

export const GATEWAY_PROCESS: ProcessSpec = {
  name: 'gateway',
  dir: 'gateway',
  portVariable: 'GATEWAY_PORT',
  defaultPort: 8080,
  migrates: false,
};
