import { buildApp } from './app.js';
import { buildConfig } from './config.js';
import { Service } from './service.js';

/** openapi.yaml as the route schemas define it; no model is loaded, only the routes are built. */
export async function renderOpenapi(): Promise<string> {
  const config = buildConfig({});
  const app = await buildApp({ config, service: new Service(config) });
  await app.ready();
  const yaml = app.swagger({ yaml: true });
  await app.close();
  return yaml;
}
