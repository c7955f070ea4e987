// Starts Unleash for Rollguard's integration tests; configuration comes from the environment (see UnleashServer).
import { start } from 'unleash-server';

const env = process.env;
const unleash = await start({
  db: {
    host: '127.0.0.1', port: Number(env.RG_DB_PORT), user: 'postgres', password: 'postgres',
    database: 'postgres', ssl: false,
  },
  server: { port: Number(env.RG_PORT), host: '127.0.0.1' },
  authentication: {
    type: 'open-source',
    enableApiToken: true,
    initApiTokens: [
      { secret: env.RG_APPLIER_TOKEN, type: 'admin', environment: '*', projects: ['*'], tokenName: 'rollguard-applier' },
      { secret: env.RG_HUMAN_TOKEN, type: 'admin', environment: '*', projects: ['*'], tokenName: 'alice' },
    ],
  },
  versionCheck: { enable: false },
});

const stop = async () => {
  await unleash.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
