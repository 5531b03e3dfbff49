import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A credential of the real one's shape, random per job, worth nothing outside its proxy. */
export function makePlaceholder(prefix: string): string {
  return `${prefix}${randomBytes(64).toString('base64url')}`;
}

/**
 * Compares in constant time. Both sides are hashed first so that neither a wrong length nor
 * the position of the first differing byte shows in the time taken.
 */
export function matchesPlaceholder(presented: string | undefined, placeholder: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented ?? ''), digest(placeholder)) && presented !== undefined;
}
