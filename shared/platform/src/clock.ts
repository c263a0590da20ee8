/**
 * Where the service reads the current time. Every time-dependent rule of a service
 * (lockouts, token lifetimes, booking notice, reminders, quiet hours) reads it, so tests can
 * move time forward instead of waiting.
 */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };
