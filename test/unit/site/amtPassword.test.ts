import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { amtPasswordProblems, amtUsernameProblem, generateAmtPassword } from '../../../src/site/amtPassword';

void describe('AMT strong password rule', () => {
  void it('accepts passwords with digit, lower, upper and a symbol, 8 to 32 long', () => {
    for (const ok of ['P@ssw0rd', 'Aa1!Aa1!', 'Very~Long-Pass1' + 'x'.repeat(17), 'With Space1!', 'semi;Colon1']) {
      assert.deepEqual(amtPasswordProblems(ok), [], ok);
    }
  });

  void it('names each missing class', () => {
    assert.deepEqual(amtPasswordProblems('password1!'), ['needs an uppercase letter']);
    assert.deepEqual(amtPasswordProblems('PASSWORD1!'), ['needs a lowercase letter']);
    assert.deepEqual(amtPasswordProblems('Password!!'), ['needs a digit']);
    assert.deepEqual(amtPasswordProblems('Password11'), ['needs a symbol other than _ and space']);
  });

  void it('does not count underscore or space as the symbol', () => {
    assert.deepEqual(amtPasswordProblems('Location_1'), ['needs a symbol other than _ and space']);
    assert.deepEqual(amtPasswordProblems('Location 1'), ['needs a symbol other than _ and space']);
  });

  void it('limits length to 8..32', () => {
    assert.deepEqual(amtPasswordProblems('Aa1!Aa1'), ['must be 8 to 32 characters (has 7)']);
    assert.deepEqual(amtPasswordProblems(`Aa1!${'a'.repeat(28)}`), []);
    assert.match(amtPasswordProblems(`Aa1!${'a'.repeat(29)}`).join(), /has 33/);
  });

  void it('refuses : , " and non-ASCII', () => {
    assert.ok(amtPasswordProblems('Pass:word1').includes('must not contain : , or "'));
    assert.ok(amtPasswordProblems('Pass,word1!').includes('must not contain : , or "'));
    assert.ok(amtPasswordProblems('Pass"word1').includes('must not contain : , or "'));
    assert.ok(amtPasswordProblems('Pässword1!').includes('must use only printable 7-bit ASCII characters'));
  });
});

void describe('AMT user names', () => {
  void it('allows admin as a digest account but not as an ACL entry', () => {
    assert.equal(amtUsernameProblem('admin', { aclEntry: false }), undefined);
    assert.match(amtUsernameProblem('Admin', { aclEntry: true })!, /reserved/);
    assert.match(amtUsernameProblem('$$svc', { aclEntry: true })!, /\$\$/);
  });

  void it('refuses empty, long, spaced and forbidden-character names', () => {
    assert.match(amtUsernameProblem('', { aclEntry: true })!, /1 to 16/);
    assert.match(amtUsernameProblem('a'.repeat(17), { aclEntry: true })!, /1 to 16/);
    assert.match(amtUsernameProblem('help desk', { aclEntry: true })!, /printable/);
    assert.match(amtUsernameProblem('help<desk', { aclEntry: true })!, /printable/);
    assert.equal(amtUsernameProblem('helpdesk', { aclEntry: true }), undefined);
  });
});

void describe('generateAmtPassword', () => {
  void it('always satisfies the rule, at the requested length, and differs each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const length = 8 + (i % 25);
      const password = generateAmtPassword(length);
      assert.equal(password.length, length);
      assert.deepEqual(amtPasswordProblems(password), [], password);
      assert.ok(!/[<>&'_ ]/.test(password), password);
      seen.add(password);
    }
    assert.equal(seen.size, 500);
  });

  void it('refuses lengths AMT cannot take', () => {
    assert.throws(() => generateAmtPassword(7), /8 to 32/);
    assert.throws(() => generateAmtPassword(33), /8 to 32/);
  });
});
