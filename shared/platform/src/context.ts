import { AsyncLocalStorage } from 'node:async_hooks';
import { Role } from '@servicedesk/contracts';

/** The person a request acts for, as verified by the gateway. */
export interface Identity {
  userId: string;
  role: Role;
}

export interface RequestContext {
  correlationId: string;
  identity: Identity | null;
  /** What the work serves: a caller's HTTP request, or background work (relay, consumers, jobs). */
  origin?: 'http' | 'background';
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}
