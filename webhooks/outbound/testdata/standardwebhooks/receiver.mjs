// A webhook receiver that checks every request with the Standard Webhooks
// reference library (the npm standardwebhooks package), which shares no code
// with wabsp's signer, so both sides agree on what the specification means
// rather than only agreeing with themselves.
//
// Usage: node receiver.mjs --secret whsec_... [--secret whsec_...]
// It listens on 127.0.0.1 at a free port and prints "listening PORT" first.
// Each request is verified against every secret given; any match answers
// 204, none answers 401. One JSON line per request is printed:
// {"id": webhook-id, "ok": bool, "type": message type, "error": reason}.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';

const { values } = parseArgs({ options: { secret: { type: 'string', multiple: true } } });
if (!values.secret?.length) {
  console.error('usage: node receiver.mjs --secret whsec_... [--secret ...]');
  process.exit(2);
}
const hooks = values.secret.map((s) => new Webhook(s));

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let payload;
    let error = 'no secret matched';
    for (const wh of hooks) {
      try {
        payload = wh.verify(body, req.headers);
        break;
      } catch (err) {
        error = err.message;
      }
    }
    const ok = payload !== undefined;
    process.stdout.write(JSON.stringify({ id: req.headers['webhook-id'], ok, type: payload?.type, error: ok ? undefined : error }) + '\n');
    res.writeHead(ok ? 204 : 401).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
