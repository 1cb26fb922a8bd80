// Serves fauxqs (an SNS + SQS emulator, an npm devDependency) on 127.0.0.1 only. Its own CLI binds
// 0.0.0.0. Started in the background by scripts/fauxqs; runs until it gets SIGTERM or SIGINT.
import { buildApp } from 'fauxqs';

const port = Number(process.env.FACTUM_FAUXQS_PORT ?? 4566);
const host = '127.0.0.1';
// Queue URLs name the host of each request (127.0.0.1:<port>).
const app = buildApp({ logger: false });
await app.listen({ host, port });
process.stdout.write(`fauxqs listening on http://${host}:${port}\n`);
const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
