/**
 * Where the service reads the current time. Lockout windows and token lifetimes are
 * measured with it, so tests can move time forward instead of waiting.
 */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };
