import {
  detectHostResources,
  memoryReserve,
  parseProcCgroup,
  type IHostInputs
} from '../../src/backends/local/resources.js';

const GiB = 2 ** 30;

function host(
  files: Record<string, string>,
  env: Record<string, string> = {},
  cpus = 16,
  totalmem = 64 * GiB
): IHostInputs {
  return { env, readFile: file => files[file], cpus, totalmem };
}

const V2 = { '/proc/self/cgroup': '0::/user.slice/job.scope\n' };
const V1 = {
  '/proc/self/cgroup': '12:memory:/jobs/42\n4:cpu,cpuacct:/jobs/42\n1:name=systemd:/\n0::/\n'
};

describe('parseProcCgroup', () => {
  it('separates the unified hierarchy from v1 controllers', () => {
    const paths = parseProcCgroup(V1['/proc/self/cgroup']);
    expect(paths.v1.memory).toBe('/jobs/42');
    expect(paths.v1.cpu).toBe('/jobs/42');
    expect(paths.v1.cpuacct).toBe('/jobs/42');
    expect(paths.v2).toBe('/');
  });
});

describe('detectHostResources', () => {
  it('falls back to the operating system', () => {
    const resources = detectHostResources(host({}));
    expect(resources.cpus).toEqual({ value: 16, source: 'CPUs of this machine' });
    expect(resources.memory).toEqual({ value: 64 * GiB, source: 'memory of this machine' });
  });

  it('reads cgroup v2 limits, including a parent cgroup', () => {
    const resources = detectHostResources(
      host({
        ...V2,
        '/sys/fs/cgroup/user.slice/job.scope/cpu.max': 'max 100000',
        '/sys/fs/cgroup/user.slice/cpu.max': '250000 100000',
        '/sys/fs/cgroup/user.slice/job.scope/memory.max': String(8 * GiB),
        '/sys/fs/cgroup/user.slice/memory.max': 'max'
      })
    );
    expect(resources.cpus.value).toBe(3);
    expect(resources.cpus.source).toBe('CPU limit of this cgroup (/sys/fs/cgroup/user.slice/cpu.max)');
    expect(resources.memory.value).toBe(8 * GiB);
    expect(resources.memory.source).toContain('memory limit of this cgroup');
  });

  it('reads cgroup v1 limits and ignores the "unlimited" value', () => {
    const resources = detectHostResources(
      host({
        ...V1,
        '/sys/fs/cgroup/cpu,cpuacct/jobs/42/cpu.cfs_quota_us': '400000',
        '/sys/fs/cgroup/cpu,cpuacct/jobs/42/cpu.cfs_period_us': '100000',
        '/sys/fs/cgroup/memory/jobs/42/memory.limit_in_bytes': '9223372036854771712',
        '/sys/fs/cgroup/memory/memory.limit_in_bytes': String(4 * GiB)
      })
    );
    expect(resources.cpus).toEqual({
      value: 4,
      source: 'CPU limit of this cgroup (/sys/fs/cgroup/cpu,cpuacct/jobs/42/cpu.cfs_quota_us)'
    });
    expect(resources.memory.value).toBe(4 * GiB);
  });

  it('keeps the machine when a cgroup allows more than it has', () => {
    const resources = detectHostResources(
      host({ ...V2, '/sys/fs/cgroup/user.slice/job.scope/cpu.max': '6400000 100000' }, {}, 8)
    );
    expect(resources.cpus).toEqual({ value: 8, source: 'CPUs of this machine' });
  });

  it('uses SLURM job variables when there is no cgroup limit', () => {
    const perNode = detectHostResources(host({}, { SLURM_CPUS_ON_NODE: '6', SLURM_MEM_PER_NODE: '12000' }));
    expect(perNode.cpus).toEqual({ value: 6, source: 'CPUs of this SLURM job ($SLURM_CPUS_ON_NODE)' });
    expect(perNode.memory).toEqual({
      value: 12000 * 2 ** 20,
      source: 'memory of this SLURM job ($SLURM_MEM_PER_NODE)'
    });

    const perCpu = detectHostResources(host({}, { SLURM_CPUS_ON_NODE: '4', SLURM_MEM_PER_CPU: '2048' }));
    expect(perCpu.memory.value).toBe(4 * 2048 * 2 ** 20);
    expect(perCpu.memory.source).toContain('SLURM_MEM_PER_CPU x 4 CPUs');
  });

  it('uses PBS job variables after SLURM ones', () => {
    const pbs = detectHostResources(host({}, { NCPUS: '3', PBS_VMEM: '6gb' }));
    expect(pbs.cpus).toEqual({ value: 3, source: 'CPUs of this PBS job ($NCPUS)' });
    expect(pbs.memory).toEqual({ value: 6 * GiB, source: 'memory of this PBS job ($PBS_VMEM)' });
    const both = detectHostResources(host({}, { NCPUS: '3', SLURM_CPUS_ON_NODE: '5' }));
    expect(both.cpus.value).toBe(5);
  });

  it('lets a cgroup limit win over job variables', () => {
    const resources = detectHostResources(
      host({ ...V2, '/sys/fs/cgroup/user.slice/job.scope/cpu.max': '200000 100000' }, { SLURM_CPUS_ON_NODE: '6' })
    );
    expect(resources.cpus.value).toBe(2);
  });

  it('ignores garbage in job variables', () => {
    const resources = detectHostResources(host({}, { SLURM_CPUS_ON_NODE: 'many', PBS_VMEM: 'lots' }));
    expect(resources.cpus.source).toBe('CPUs of this machine');
    expect(resources.memory.source).toBe('memory of this machine');
  });
});

describe('memoryReserve', () => {
  it('keeps at least 1 GiB, else 10%', () => {
    expect(memoryReserve(4 * GiB, undefined)).toEqual({ value: GiB, source: '1 GiB kept for the system' });
    expect(memoryReserve(64 * GiB, undefined)).toEqual({
      value: Math.floor((64 * GiB) / 10),
      source: '10% of memory kept for the system'
    });
  });

  it('takes a size or a percentage', () => {
    expect(memoryReserve(64 * GiB, '2GiB')).toEqual({ value: 2 * GiB, source: '2GiB kept for the system' });
    expect(memoryReserve(64 * GiB, '25%')).toEqual({ value: 16 * GiB, source: '25% of memory kept for the system' });
  });

  it('explains a value it cannot use', () => {
    expect(memoryReserve(64 * GiB, 'lots')).toEqual({ error: expect.stringContaining('not a memory size') });
    expect(memoryReserve(64 * GiB, '100%')).toEqual({ error: expect.stringContaining('leaves nothing') });
  });
});
