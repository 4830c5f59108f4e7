// The codec endpoint's OIDC settings (`amtprov codec-server`): all three variables or none (half a configuration
// is an error, never an endpoint that quietly accepts less), and keys fetched over https.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codecOidc } from '../../../src/config/environment';

const FULL = {
  AMTPROV_CODEC_OIDC_ISSUER: 'https://sso.example/realms/site',
  AMTPROV_CODEC_OIDC_AUDIENCE: 'temporal-ui',
  AMTPROV_CODEC_OIDC_JWKS_URL: 'https://sso.example/realms/site/protocol/openid-connect/certs',
};

test('none set: no OIDC; all set: the three values', () => {
  assert.equal(codecOidc({}), undefined);
  assert.deepEqual(codecOidc(FULL), { issuer: FULL.AMTPROV_CODEC_OIDC_ISSUER, audience: 'temporal-ui', jwksUrl: FULL.AMTPROV_CODEC_OIDC_JWKS_URL });
});

test('a half configuration names what is missing', () => {
  assert.throws(() => codecOidc({ AMTPROV_CODEC_OIDC_ISSUER: FULL.AMTPROV_CODEC_OIDC_ISSUER }),
    /AMTPROV_CODEC_OIDC_AUDIENCE \(unset\): must be set with the other two[\s\S]*AMTPROV_CODEC_OIDC_JWKS_URL \(unset\): must be set with/);
});

test('the JWKS comes over https (plain http only from loopback)', () => {
  assert.throws(() => codecOidc({ ...FULL, AMTPROV_CODEC_OIDC_JWKS_URL: 'http://sso.example/certs' }), /must be https/);
  assert.ok(codecOidc({ ...FULL, AMTPROV_CODEC_OIDC_JWKS_URL: 'http://127.0.0.1:8080/certs' }));
});
