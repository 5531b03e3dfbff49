import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostAnswer {
  status: number;
  retryAfter: string | undefined;
}

const ignore = (): void => undefined;

/**
 * One POST through node:http(s). Not fetch: node:http has no redirect handling at all, so a 3xx
 * cannot be followed by a default or a flag flipped later, which matters because following one
 * would send the signed event to a URL the policy never checked. The answer is the status line
 * and headers; its body is drained unread, so a receiver cannot make the worker hold it.
 */
export function postJson(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const bytes = Buffer.from(body, 'utf8');
    const request = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(bytes.byteLength) }, signal }, (response) => {
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      // The answer is already taken: a body cut off later (a reset, the timeout) changes nothing.
      response.on('error', ignore);
      response.resume();
    });
    request.on('error', reject);
    request.end(bytes);
  });
}
