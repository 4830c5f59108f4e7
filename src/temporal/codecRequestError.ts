/** A refused codec endpoint request: the status and the one-line reason the client is sent. */
export class CodecRequestError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'CodecRequestError';
  }
}
