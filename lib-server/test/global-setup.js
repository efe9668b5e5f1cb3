// Integration tests run the real companion as a process: bundle the current
// sources first, so the tests never run a stale build.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export default async function globalSetup() {
  await bundle(path.join(here, '..', 'dist', 'test', 'main.mjs'));
}
