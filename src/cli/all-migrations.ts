/**
 * Loads the migrations of every area, on both databases, so `factum migrate` applies them all
 * (each area registers its own when its module loads).
 */
import '../follow/postgres/migrations/index.js';
import '../follow/sqlite/migrations/index.js';
import '../messaging/postgres/migrations/index.js';
import '../messaging/sqlite/migrations/index.js';
import '../projections/postgres/migrations/index.js';
import '../projections/sqlite/migrations/index.js';
