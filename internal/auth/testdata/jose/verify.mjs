// Verifies one wabsp access token with jose, an implementation independent of
// the Go code that issued it, so both sides agree on what RFC 7515/7517/7519
// mean rather than only agreeing with themselves.
//
// Usage: node verify.mjs --jwks FILE --iss ISSUER --aud AUDIENCE [TOKEN]
// The token is read from stdin when it is not given as an argument. On success
// the verified payload is printed as JSON; any failure exits non-zero.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';

const { values, positionals } = parseArgs({
  options: {
    jwks: { type: 'string' },
    iss: { type: 'string' },
    aud: { type: 'string' },
  },
  allowPositionals: true,
});

if (!values.jwks || !values.iss || !values.aud) {
  console.error('usage: node verify.mjs --jwks FILE --iss ISSUER --aud AUDIENCE [TOKEN]');
  process.exit(2);
}

const token = (positionals[0] ?? readFileSync(0, 'utf8')).trim();

try {
  const jwks = createLocalJWKSet(JSON.parse(readFileSync(values.jwks, 'utf8')));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: values.iss,
    audience: values.aud,
    algorithms: ['EdDSA'],
  });
  process.stdout.write(JSON.stringify(payload) + '\n');
} catch (err) {
  console.error(`jose: ${err.code ?? 'ERROR'}: ${err.message}`);
  process.exit(1);
}
