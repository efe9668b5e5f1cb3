/**
 * Where the gateway is and how to authenticate, resolved from the user's
 * dask config (`gateway.*`, which includes `DASK_GATEWAY__*` variables) and
 * the extension's settings. Pure, apart from `loadGatewayConfig`.
 */

import type { ICompanionSettings } from '../../../../protocol/index.js';
import type { JsonCommand } from '../../util/exec.js';
import { isObject } from '../../util/objects.js';

/** How requests to the gateway authenticate. Secrets stay in memory. */
export type GatewayAuth =
  { type: 'none' } | { type: 'basic'; username: string; password: string } | { type: 'jupyterhub'; apiToken: string };

/** A resolved gateway connection. */
export interface IGatewayConnection {
  /** HTTP(S) address of the gateway's API, without a trailing slash. */
  address: string;
  proxyAddress?: string;
  publicAddress?: string;
  auth: GatewayAuth;
  /** Where the address came from, for messages. */
  source: string;
}

/** What the extension's settings say about the gateway (no secrets); the shape is shared through protocol/. */
export type IGatewaySettings = ICompanionSettings['gateway'];

/** A key of dask config, spelled with `-` or `_` (dask accepts both). */
function key(config: Record<string, unknown>, name: string): unknown {
  return config[name] ?? config[name.replace(/-/g, '_')] ?? config[name.replace(/_/g, '-')];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `{JUPYTERHUB_SERVICE_PREFIX}`-style templates, as dask-gateway fills them from the environment. */
function fillTemplate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole);
}

/**
 * The connection, or why there is none (`{unavailable}`), or undefined when
 * no gateway is configured at all. Settings win over dask config for the
 * address; credentials come from dask config only.
 */
export function resolveConnection(
  daskConfig: unknown,
  settings: IGatewaySettings,
  env: Record<string, string | undefined>,
  user: string
): IGatewayConnection | { unavailable: string } | undefined {
  const config = isObject(daskConfig) ? daskConfig : {};
  const fromSettings = text(settings.address);
  const fromConfig = text(key(config, 'address'));
  const address = fromSettings ?? fromConfig;
  if (address === undefined) {
    return undefined;
  }
  const filled = fillTemplate(address, env).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(filled)) {
    return { unavailable: `The gateway address "${filled}" is not an http(s) URL.` };
  }
  const proxyAddress =
    text(settings.proxyAddress) ?? (fromSettings === undefined ? text(key(config, 'proxy-address')) : undefined);
  const publicAddress = fromSettings === undefined ? text(key(config, 'public-address')) : undefined;
  const authConfig = isObject(config.auth) ? config.auth : {};
  const kwargs = isObject(authConfig.kwargs) ? authConfig.kwargs : {};
  const type = text(authConfig.type) ?? 'basic';
  let auth: GatewayAuth;
  if (type === 'basic') {
    const password = typeof kwargs.password === 'string' ? kwargs.password : '';
    auth = { type: 'basic', username: text(kwargs.username) ?? user, password };
  } else if (type === 'jupyterhub') {
    const token = text(kwargs.api_token) ?? text(env.JUPYTERHUB_API_TOKEN);
    if (token === undefined) {
      return {
        unavailable: 'gateway.auth.type is jupyterhub but there is no JupyterHub API token (JUPYTERHUB_API_TOKEN).'
      };
    }
    auth = { type: 'jupyterhub', apiToken: token };
  } else {
    return { unavailable: `gateway.auth.type "${type}" is not supported here; use basic or jupyterhub.` };
  }
  return {
    address: filled,
    ...(proxyAddress !== undefined ? { proxyAddress: fillTemplate(proxyAddress, env) } : {}),
    ...(publicAddress !== undefined ? { publicAddress: fillTemplate(publicAddress, env).replace(/\/+$/, '') } : {}),
    auth,
    source: fromSettings !== undefined ? 'the extension settings' : 'your dask config (gateway.address)'
  };
}

/** The `Authorization` header value of `auth`, if any. */
export function authorization(auth: GatewayAuth): string | undefined {
  switch (auth.type) {
    case 'basic':
      return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    case 'jupyterhub':
      return `jupyterhub ${auth.apiToken}`;
    case 'none':
      return undefined;
  }
}

/** The user's `gateway` dask config, read by `runner.py config gateway` in `python`. */
export async function loadGatewayConfig(run: JsonCommand, python: string, runnerPath: string): Promise<unknown> {
  const answer = await run(python, [runnerPath, 'config', 'gateway'], 20_000);
  return isObject(answer) && isObject(answer.config) ? answer.config : {};
}
