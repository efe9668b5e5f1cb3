/**
 * Per-cluster TLS: where a cluster's temporary credentials live and the
 * client code that loads them. The runner writes them (ca.pem, cert.pem,
 * key.pem, 0600) into a 0700 directory the companion creates; no key ever
 * passes through the companion, a snippet or a log.
 */

import path from 'node:path';

/** The per-cluster directory holding its TLS credentials. */
export function securityDirectory(base: string, clusterId: string): string {
  return path.join(base, clusterId);
}

/** The line that points the Client's dashboard link at JupyterLab's proxy. */
export function dashboardLinkLines(dashboardLink: string | undefined): string[] {
  return dashboardLink === undefined
    ? []
    : [
        '# Open the dashboard through JupyterLab (no SSH tunnel needed).',
        `dask.config.set({"distributed.dashboard.link": ${JSON.stringify(dashboardLink)}})`
      ];
}

/**
 * Python that connects to a scheduler. With `securityDir`, over TLS with the
 * credentials in that directory; without, in the clear (a site turned TLS off).
 */
export function clientSnippet(
  schedulerAddress: string,
  securityDir: string | undefined,
  dashboardLink?: string
): string {
  const file = (name: string) => JSON.stringify(path.join(securityDir ?? '', name));
  const security =
    securityDir === undefined
      ? []
      : [
          'from distributed.security import Security',
          '',
          '# The TLS credentials of this cluster, readable only by you.',
          'security = Security(',
          `    tls_ca_file=${file('ca.pem')},`,
          `    tls_client_cert=${file('cert.pem')},`,
          `    tls_client_key=${file('key.pem')},`,
          '    require_encryption=True,',
          ')'
        ];
  return [
    ...(dashboardLink !== undefined ? ['import dask'] : []),
    'from dask.distributed import Client',
    ...security,
    ...(security.length === 0 && dashboardLink !== undefined ? [''] : []),
    ...dashboardLinkLines(dashboardLink),
    `client = Client(${JSON.stringify(schedulerAddress)}${securityDir === undefined ? '' : ', security=security'})`,
    'client'
  ].join('\n');
}
