import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { SqliteBroker } from 'factum/messaging';
import { describeBrokerContract } from 'factum/testing';
import { brokerFile, createBroker } from './sqlite-broker-worker.js';

describeBrokerContract('sqlite', {
  create: (namespace) => createBroker(namespace),
  async destroy(namespace) {
    const file = brokerFile(namespace);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  },
  workerModule: fileURLToPath(new URL('./sqlite-broker-worker.ts', import.meta.url)),
  orderedCompetingConsumers: true,
  // A producer that does not speak Factum's envelope, writing straight into the tables.
  async publishForeign(broker, category, type, body) {
    const { namespace } = broker as SqliteBroker;
    const db = new Database(brokerFile(namespace));
    try {
      db.transaction(() => {
        const seq = db
          .prepare(
            `INSERT INTO factum_broker_messages (namespace, message_id, stream_id, category, type, headers, body, published_at)
             VALUES (?, 'foreign-1', ?, ?, ?, '{}', ?, ?)`,
          )
          .run(namespace, `${category}-foreign`, category, type, body, Date.now()).lastInsertRowid;
        db.prepare(
          `INSERT INTO factum_broker_deliveries (namespace, grp, seq, stream_id)
           SELECT namespace, grp, ?, ? FROM factum_broker_groups WHERE namespace = ?`,
        ).run(seq, `${category}-foreign`, namespace);
      })();
    } finally {
      db.close();
    }
  },
});
