import { Clock } from '@servicedesk/platform';

/** Real time plus an offset the test moves forward, so nothing has to wait for real minutes. */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Moves the clock so that it reads `instant` now (and goes on ticking from there). */
  travelTo(instant: Date): void {
    this.offsetMs = instant.getTime() - Date.now();
  }
}
