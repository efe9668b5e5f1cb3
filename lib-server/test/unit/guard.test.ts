import {
  cookieValue,
  crossSiteRefusal,
  crossSiteUpgradeRefusal,
  hasValidXsrf,
  xsrfSecret
} from '../../src/http/guard.js';

/** A Tornado version-2 token: the secret XOR a mask, both hex. */
function tornadoToken(secret: Buffer, mask: Buffer): string {
  const masked = Buffer.from(secret.map((byte, i) => byte ^ mask[i % mask.length]));
  return `2|${mask.toString('hex')}|${masked.toString('hex')}|1700000000`;
}

describe('XSRF tokens', () => {
  const secret = Buffer.from('0123456789abcdef0123456789abcdef');

  it('finds a cookie among others, quoted or not', () => {
    expect(cookieValue('a=1; _xsrf="2|x|y|3"; b=2', '_xsrf')).toBe('2|x|y|3');
    expect(cookieValue('username-127-0-0-1-8888=abc', '_xsrf')).toBeUndefined();
  });

  it('unmasks version-2 tokens, so two masks of one secret match', () => {
    const one = tornadoToken(secret, Buffer.from('a1b2c3d4', 'hex'));
    const two = tornadoToken(secret, Buffer.from('0f0e0d0c', 'hex'));
    expect(xsrfSecret(one)).toEqual(secret);
    expect(hasValidXsrf({ cookie: `_xsrf=${one}`, 'x-xsrftoken': two })).toBe(true);
    expect(
      hasValidXsrf({
        cookie: `_xsrf=${one}`,
        'x-xsrftoken': tornadoToken(Buffer.from('x'.repeat(32)), Buffer.from('01', 'hex'))
      })
    ).toBe(false);
  });

  it('needs both the header and the cookie', () => {
    expect(hasValidXsrf({ cookie: '_xsrf=abc' })).toBe(false);
    expect(hasValidXsrf({ 'x-xsrftoken': 'abc' })).toBe(false);
  });
});

describe('crossSiteRefusal', () => {
  it('lets safe methods through', () => {
    expect(crossSiteRefusal('GET', { origin: 'https://evil.example', cookie: 'a=b' })).toBeUndefined();
  });

  it('refuses a foreign Origin and a cookie without the token, in words that say what to do', () => {
    expect(crossSiteRefusal('DELETE', { origin: 'https://evil.example', host: 'lab:8888' })).toMatch(
      /another site \(https:\/\/evil\.example\).*X-XSRFToken/
    );
    expect(crossSiteRefusal('PUT', { cookie: 'username=x', host: 'lab:8888' })).toMatch(
      /cookie but not its XSRF token/
    );
    expect(crossSiteRefusal('POST', { origin: 'null', host: 'lab:8888' })).toBeDefined();
  });

  it('takes its own origin, whatever the case of the host', () => {
    expect(crossSiteRefusal('POST', { origin: 'http://LAB:8888', host: 'lab:8888', cookie: 'a=b' })).toBeUndefined();
    expect(crossSiteRefusal('POST', { origin: 'http://lab:8889', host: 'lab:8888' })).toBeDefined();
  });

  it('refuses WebSockets opened by other sites only', () => {
    expect(crossSiteUpgradeRefusal({ origin: 'https://evil.example', host: 'lab:8888' })).toMatch(/another site/);
    expect(crossSiteUpgradeRefusal({ origin: 'http://lab:8888', host: 'lab:8888' })).toBeUndefined();
    expect(crossSiteUpgradeRefusal({ host: 'lab:8888' })).toBeUndefined();
  });
});
