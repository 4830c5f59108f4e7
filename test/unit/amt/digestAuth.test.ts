import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  authorizationHeader, digestHa1, digestResponse, formatNonceCount, newCnonce, parseDigestChallenge,
} from '../../../src/amt/digestAuth';
import { DigestProtocolError } from '../../../src/amt/errors';

// RFC 7616 section 3.9.1, the MD5 example.
const RFC_HEADER = 'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, ' +
  'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
const RFC_CREDENTIAL = { username: 'Mufasa', password: 'Circle of Life' };
const RFC_REQUEST = { method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' };

void describe('parseDigestChallenge', () => {
  void it('parses the RFC 7616 example', () => {
    assert.deepEqual(parseDigestChallenge(RFC_HEADER), {
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      qop: ['auth', 'auth-int'],
      stale: false,
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
      algorithm: 'MD5',
    });
  });

  void it('parses an AMT challenge with stale=true and an unquoted qop', () => {
    const challenge = parseDigestChallenge('Digest realm="Digest:AF541D9BC94CFF7ADFA073F492F355E6", nonce="dxNzCQ9JBAAAAAAAd2N7c6tYmUl0FFzQ",stale=TRUE,qop=auth');
    assert.equal(challenge.realm, 'Digest:AF541D9BC94CFF7ADFA073F492F355E6');
    assert.equal(challenge.stale, true);
    assert.deepEqual(challenge.qop, ['auth']);
    assert.equal(challenge.opaque, undefined);
  });

  void it('finds Digest after another scheme, in one value or among several headers', () => {
    assert.equal(parseDigestChallenge('Basic realm="x", Digest realm="r", nonce="n", qop="auth"').nonce, 'n');
    assert.equal(parseDigestChallenge(['Negotiate', 'Digest realm="r", nonce="n2", qop="auth"']).nonce, 'n2');
  });

  void it('stops at the next scheme and unescapes quoted pairs', () => {
    const challenge = parseDigestChallenge('Digest realm="a\\"b", nonce="n", qop="auth", Basic realm="other"');
    assert.equal(challenge.realm, 'a"b');
  });

  void it('refuses what cannot be answered with MD5 + qop=auth', () => {
    assert.throws(() => parseDigestChallenge(undefined), DigestProtocolError);
    assert.throws(() => parseDigestChallenge('Basic realm="x"'), /without a Digest challenge/);
    assert.throws(() => parseDigestChallenge('Digest realm="r", qop="auth"'), /lacks realm or nonce/);
    assert.throws(() => parseDigestChallenge('Digest realm="r", nonce="n"'), /qop=auth is required/);
    assert.throws(() => parseDigestChallenge('Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256'), /only MD5/);
    assert.throws(() => parseDigestChallenge('Digest nonce="n", realm="r, qop=auth'), /unterminated/);
  });
});

void describe('digest response', () => {
  void it('matches the RFC 7616 MD5 example', () => {
    const challenge = parseDigestChallenge(RFC_HEADER);
    assert.equal(digestResponse(challenge, RFC_CREDENTIAL, RFC_REQUEST), '8ca523f5e9506fed4657c9700eebdbec');
  });

  void it('computes HA1 = MD5(user:realm:password) as 16 bytes', () => {
    // RFC 2617 section 3.5 example: HA1 of Mufasa:testrealm@host.com:Circle Of Life
    const ha1 = digestHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life');
    assert.equal(ha1.length, 16);
    assert.equal(ha1.toString('hex'), '939e7578ed9e3c518a452acee763bce9');
  });

  void it('writes nc as 8 hex digits and makes distinct random cnonces', () => {
    assert.equal(formatNonceCount(1), '00000001');
    assert.equal(formatNonceCount(255), '000000ff');
    assert.notEqual(newCnonce(), newCnonce());
    assert.match(newCnonce(), /^[0-9a-f]{32}$/);
  });

  void it('builds the Authorization header with every field the RFC example has', () => {
    const header = authorizationHeader(parseDigestChallenge(RFC_HEADER), RFC_CREDENTIAL, RFC_REQUEST);
    assert.equal(header, 'Digest username="Mufasa", realm="http-auth@example.org", ' +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", algorithm=MD5, ' +
      'response="8ca523f5e9506fed4657c9700eebdbec", qop=auth, nc=00000001, ' +
      'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
  });

  void it('omits algorithm and opaque when the challenge has none, and escapes quotes in the username', () => {
    const header = authorizationHeader({ realm: 'r', nonce: 'n', qop: ['auth'], stale: false }, { username: 'a"b', password: 'p' }, RFC_REQUEST);
    assert.match(header, /^Digest username="a\\"b", realm="r"/);
    assert.doesNotMatch(header, /algorithm|opaque/);
  });
});
