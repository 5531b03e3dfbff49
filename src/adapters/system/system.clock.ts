import { randomUUID } from 'node:crypto';
import type { ClockPort } from '../../application/ports/clock.port.js';

export class SystemClock implements ClockPort {
  now(): number {
    return Date.now();
  }

  newId(): string {
    return randomUUID();
  }
}
