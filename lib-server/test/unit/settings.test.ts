import { parseSettings } from '../../src/api/settings.js';
import { refusalOf } from './refusal.js';

const refusal = (body: unknown) => refusalOf(parseSettings, body);

describe('parseSettings', () => {
  it('keeps the limits a site sets', () => {
    expect(
      parseSettings({ gateway: {}, workerEnvironment: {}, limits: { maxClusters: 3, maxWorkersPerCluster: 16 } }).limits
    ).toEqual({
      maxClusters: 3,
      maxWorkersPerCluster: 16
    });
  });

  it('refuses unknown fields at every level, naming them', () => {
    const error = refusal({
      gateway: { adress: 'x', optionMapping: { env: 'y' } },
      workerEnv: {},
      limits: { maxCluster: 2 }
    });
    expect(error.status).toBe(422);
    expect(error.fields?.map(field => field.path)).toEqual([
      '/workerEnv',
      '/gateway/adress',
      '/gateway/optionMapping/env'
    ]);
    expect(error.fields?.[0].message).toContain('accepted: gateway, workerEnvironment, limits');
    expect(refusal({ limits: { maxCluster: 2 } }).fields).toEqual([
      { path: '/limits/maxCluster', message: expect.stringContaining('accepted: maxClusters, maxWorkersPerCluster') }
    ]);
  });

  it('refuses limits that are not whole numbers from 1', () => {
    expect(refusal({ limits: { maxClusters: 0 } }).fields?.[0]).toMatchObject({
      path: '/limits/maxClusters',
      message: expect.stringContaining('whole number from 1')
    });
    expect(refusal({ limits: { maxWorkersPerCluster: 2.5 } }).fields?.[0].path).toBe('/limits/maxWorkersPerCluster');
  });

  it('takes spareRunners from 0 (none) to 10, and says so for anything else', () => {
    expect(parseSettings({ gateway: {}, workerEnvironment: {}, limits: { spareRunners: 0 } }).limits).toEqual({
      spareRunners: 0
    });
    for (const bad of [-1, 11, 1.5, '2']) {
      expect(refusal({ limits: { spareRunners: bad } }).fields).toEqual([
        {
          path: '/limits/spareRunners',
          message: `spareRunners must be a whole number from 0 (none) to 10 (got ${JSON.stringify(bad)}).`
        }
      ]);
    }
  });
});
