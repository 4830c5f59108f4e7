// Digest arithmetic (RFC 7616 MD5 example), header parsing, and the device's nonce rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DigestAuthority, parseDigestAuthorization } from '../../../src/emulator/digest/digestAuthority';
import { digestHa1, digestResponse, md5Hex } from '../../../src/emulator/digest/digestMath';

const REALM = 'Digest:0123456789ABCDEF0123456789ABCDEF';

function header(fields: Record<string, string>, quoted = ['username', 'realm', 'nonce', 'uri', 'cnonce', 'response']): string {
  return 'Digest ' + Object.entries(fields).map(([k, v]) => (quoted.includes(k) ? `${k}="${v}"` : `${k}=${v}`)).join(', ');
}

function signed(nonce: string, nc: string, password = 'P@ssw0rd!', uri = '/wsman'): string {
  const ha1 = digestHa1('admin', REALM, password);
  const response = digestResponse({ ha1, method: 'POST', uri, nonce, nc, cnonce: 'c1', qop: 'auth' });
  return header({ username: 'admin', realm: REALM, nonce, uri, qop: 'auth', nc, cnonce: 'c1', response });
}

function nonceOf(challenge: string): string {
  return /nonce="([^"]+)"/.exec(challenge)![1];
}

void describe('Digest math', () => {
  void it('matches the RFC 7616 section 3.9.1 MD5 example', () => {
    const ha1 = digestHa1('Mufasa', 'http-auth@example.org', 'Circle of Life');
    const response = digestResponse({
      ha1,
      method: 'GET',
      uri: '/dir/index.html',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      qop: 'auth',
    });
    assert.equal(response, '8ca523f5e9506fed4657c9700eebdbec');
    assert.equal(md5Hex(''), 'd41d8cd98f00b204e9800998ecf8427e');
  });

  void it('parses quoted, escaped and bare parameters and refuses garbage', () => {
    assert.deepEqual(parseDigestAuthorization('Digest username="a\\"b", nc=00000001, qop=auth'), { username: 'a"b', nc: '00000001', qop: 'auth' });
    assert.equal(parseDigestAuthorization('Basic dXNlcjpwYXNz'), null);
    assert.equal(parseDigestAuthorization('Digest username="a", username="b"'), null, 'duplicate parameter');
    assert.equal(parseDigestAuthorization('Digest username="a" junk'), null);
  });
});

void describe('DigestAuthority', () => {
  const accounts = (user: string): string | undefined => (user === 'admin' ? digestHa1('admin', REALM, 'P@ssw0rd!') : undefined);

  void it('challenges with the realm and qop=auth, accepts a right response, refuses a replayed nc', () => {
    const authority = new DigestAuthority(() => REALM, 60_000);
    const challenge = authority.challenge(false);
    assert.match(challenge, /^Digest realm="Digest:[0-9A-F]{32}", nonce="[^"]+", stale="false", qop="auth"$/);
    const nonce = nonceOf(challenge);
    const request = (nc: string) => ({ method: 'POST', url: '/wsman', authorization: signed(nonce, nc) });
    assert.deepEqual(authority.verify(request('00000001'), accounts), { ok: true, username: 'admin' });
    assert.equal(authority.verify(request('00000001'), accounts).ok, false);
    assert.deepEqual(authority.verify(request('00000001'), accounts), { ok: false, kind: 'nc-replay', username: 'admin' });
    assert.deepEqual(authority.verify(request('00000002'), accounts), { ok: true, username: 'admin' });
  });

  void it('says stale for an expired or unknown nonce only when the credentials are right', () => {
    const authority = new DigestAuthority(() => REALM, 60_000);
    const nonce = nonceOf(authority.challenge(false));
    authority.expireNonces();
    assert.deepEqual(authority.verify({ method: 'POST', url: '/wsman', authorization: signed(nonce, '00000001') }, accounts), { ok: false, kind: 'stale-nonce', username: 'admin' });
    assert.deepEqual(authority.verify({ method: 'POST', url: '/wsman', authorization: signed(nonce, '00000001', 'wrong') }, accounts), { ok: false, kind: 'wrong-credentials', username: 'admin' });
    const zeroLifetime = new DigestAuthority(() => REALM, -1);
    const old = nonceOf(zeroLifetime.challenge(false));
    assert.equal((zeroLifetime.verify({ method: 'POST', url: '/wsman', authorization: signed(old, '00000001') }, accounts) as { kind: string }).kind, 'stale-nonce');
  });

  void it('refuses unknown users, wrong realm, uri mismatch and missing qop', () => {
    const authority = new DigestAuthority(() => REALM, 60_000);
    const nonce = nonceOf(authority.challenge(false));
    const kind = (authorization: string, url = '/wsman') => {
      const outcome = authority.verify({ method: 'POST', url, authorization }, accounts);
      return outcome.ok ? 'ok' : outcome.kind;
    };
    assert.equal(kind(signed(nonce, '00000001').replace('username="admin"', 'username="root"')), 'unknown-user');
    assert.equal(kind(signed(nonce, '00000001').replace(REALM, 'Digest:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF')), 'malformed');
    assert.equal(kind(signed(nonce, '00000001'), '/other'), 'malformed');
    assert.equal(kind(signed(nonce, '00000001').replace('qop=auth, ', '')), 'malformed');
    assert.equal(authority.verify({ method: 'POST', url: '/wsman', authorization: undefined }, accounts).ok, false);
  });
});
