// Encoded forms shorter than this would mask ordinary text by chance.
const minimumFormLength = 8;

/**
 * The texts a secret can travel as when someone encodes it to slip past a mask: as JSON escapes
 * it, its hex (either case), its percent-encoding, and its base64 in standard and URL alphabets at
 * each of the three alignments it can have inside a longer encoded text. For an alignment, only
 * the characters that depend on the secret's bytes alone are kept, so the form matches wherever
 * the secret sits in the encoded whole.
 */
export function secretForms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const forms = new Set([json(secret), hex(bytes), hex(bytes).toUpperCase(), encodeURIComponent(secret)]);
  for (let offset = 0; offset < 3; offset++) {
    const core = base64Core(bytes, offset);
    forms.add(core);
    forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...forms].filter((form) => form.length >= minimumFormLength || form === json(secret));
}

/**
 * The tokens a credential document carries (an OAuth login's access and refresh tokens, an
 * auth.json's keys): each is a secret of its own, and may leak without the rest.
 */
export function tokensInside(credential: string): string[] {
  if (!credential.trimStart().startsWith('{')) return [];
  let document: unknown;
  try {
    document = JSON.parse(credential);
  } catch {
    return [];
  }
  const tokens: string[] = [];
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string' && secretKey.test(key)) tokens.push(value);
    else if (value && typeof value === 'object') for (const [name, inner] of Object.entries(value)) visit(inner, name);
  };
  visit(document, '');
  return tokens;
}

const secretKey = /token|secret|key|password|credential/i;

const json = (value: string): string => JSON.stringify(value).slice(1, -1);

const hex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

function base64Core(bytes: Uint8Array, offset: number): string {
  const padded = new Uint8Array(offset + bytes.length);
  padded.set(bytes, offset);
  const encoded = btoa(String.fromCharCode(...padded));
  // Character i holds bits 6i to 6i+5: keep those entirely within the secret's bytes.
  return encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
}
