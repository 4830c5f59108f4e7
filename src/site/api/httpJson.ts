// JSON in and out for the site server API: bodies are size-limited before they are parsed,
// parsed without echoing the input (a JSON syntax error quotes the text, which may hold an
// OTP hash), and validated by a zod schema whose messages name the field and the rule.
import type http from 'node:http';
import type { z } from 'zod';

/** A refusal with its HTTP status; the message is safe to send and to log. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export async function readJsonBody<S extends z.ZodType>(req: http.IncomingMessage, schema: S, maxBytes: number): Promise<z.output<S>> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) throw new ApiError(415, 'Content-Type must be application/json');
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw new ApiError(413, `request body is over ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new ApiError(413, `request body is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'request body is not valid JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new ApiError(400, `request body does not match the schema: ${result.error.issues.map(describeIssue).join('; ')}`);
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
  // Zod's own texts name expectations, not received values; unknown keys are listed by name.
  return `${where}: ${issue.message}`;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}
