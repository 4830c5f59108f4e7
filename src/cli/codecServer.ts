// `amtprov codec-server`: the codec endpoint as its own role, for a production Temporal Web
// UI (`codec.endpoint`) and the Temporal CLI (`--codec-endpoint`, `--codec-auth`). Every
// request needs a bearer token: a static one from AMTPROV_CODEC_TOKEN(_FILE), or the signed-in
// user's OIDC access token the UI passes with `codec.passAccessToken: true` (which the UI only
// sends to an https endpoint), verified against the issuer's JWKS.
import { readFileSync } from 'node:fs';
import { createLogger } from '../log';
import { codecOidc, codecTokenVariables, parseListen } from '../config/environment';
import { readTokens } from '../secrets/keyFile';
import { codecAuth } from '../temporal/codecAuth';
import { startCodecServer } from '../temporal/codecServer';
import { loadCodecKeyRing } from '../temporal/connection';
import { parseCli, processIo, waitForStopSignal } from './support';

const USAGE = `usage: amtprov codec-server --ui-origin <scheme://host:port> [--listen <host:port>] [--tls-cert <pem> --tls-key <pem>]

Serves POST <prefix>/decode and <prefix>/encode with the site's payload codec keys for the
Temporal Web UI and CLI. Refuses every request without a credential (401).

Options:
  --ui-origin <origin>    the Web UI's origin; browsers on any other are refused (403)
  --listen <host:port>    default 127.0.0.1:8234; off loopback --tls-cert/--tls-key are required
  --tls-cert <file>       PEM certificate chain (HTTPS; the UI passes access tokens to https only)
  --tls-key <file>        PEM private key
  -h, --help              this text

Environment: AMTPROV_CODEC_KEY(_FILE) payload codec keys; AMTPROV_CODEC_TOKEN(_FILE) static
bearer tokens (default data/keys/codec-token, made 0600); AMTPROV_CODEC_OIDC_ISSUER,
AMTPROV_CODEC_OIDC_AUDIENCE and AMTPROV_CODEC_OIDC_JWKS_URL to accept the UI's OIDC access
tokens (all three, or none); AMTPROV_DATA_DIR, AMTPROV_LOG_LEVEL.
`;

export async function runCodecServerCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    'ui-origin': { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:8234' },
    'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
  }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values['ui-origin']) {
    process.stderr.write(`--ui-origin is required\n\n${USAGE}`);
    return 2;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    process.stderr.write('--tls-cert and --tls-key go together\n');
    return 2;
  }
  const listen = parseListen(values.listen, '--listen');
  const tls = values['tls-cert'] ? { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key']!, 'utf8') } : undefined;
  const log = createLogger('codec-server');
  const oidc = codecOidc();
  const auth = codecAuth({ tokens: readTokens(codecTokenVariables()), ...(oidc ? { oidc } : {}) });
  const server = await startCodecServer({ ...listen, keys: loadCodecKeyRing(), allowedOrigin: values['ui-origin'], auth, ...(tls ? { tls } : {}) });
  log.info('codec endpoint running', { url: server.url, uiOrigin: values['ui-origin'], oidc: oidc?.issuer ?? 'off' });
  const signal = await waitForStopSignal();
  log.info('stopping', { signal });
  await server.close();
  return 0;
}
