/**
 * Loads the migrations of every area, on both databases, so `factum migrate` applies them all
 * (each area registers its own when its module loads).
 */
// The follow kit's entry for storages loads its migrations (both databases).
import '../follow/kit.js';
import '../messaging/postgres/migrations/index.js';
import '../messaging/sqlite/migrations/index.js';
import '../projections/postgres/migrations/index.js';
import '../projections/sqlite/migrations/index.js';
import '../server/browse/postgres/migrations.js';
import '../server/browse/sqlite/migrations.js';
