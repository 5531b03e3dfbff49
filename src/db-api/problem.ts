import type { Context } from 'hono';

/** The DB API's error body: `{error: {message}}`. */
export const problem = (c: Context, status: 400 | 404 | 409, message: string) => c.json({ error: { message } }, status);
