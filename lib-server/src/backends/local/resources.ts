/**
 * What this host (or this job's share of it) offers: CPUs and memory, each
 * with where the number came from. Pure: the caller passes the environment,
 * a file reader and the operating system's own counts.
 */

import { parseMemory, parsePbsMemory } from '../../util/memory.js';

/** A number and the sentence that says where it came from. */
export interface ISourced {
  value: number;
  source: string;
}

/** CPUs and memory (bytes) available to clusters started here. */
export interface IHostResources {
  cpus: ISourced;
  memory: ISourced;
}

/** What host detection reads; `readFile` returns undefined when unreadable. */
export interface IHostInputs {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string | undefined;
  /** CPUs the OS lets this process use (`os.availableParallelism()`). */
  cpus: number;
  /** `os.totalmem()`. */
  totalmem: number;
}

/** cgroup v1 writes "no limit" as a huge number near 2^63. */
const UNLIMITED = 2 ** 60;

interface ICgroupPaths {
  /** Path of the unified (v2) hierarchy, from the `0::` line. */
  v2?: string;
  /** Path per v1 controller (`cpu`, `memory`, ...). */
  v1: Record<string, string>;
}

/** Parse /proc/self/cgroup. */
export function parseProcCgroup(text: string): ICgroupPaths {
  const result: ICgroupPaths = { v1: {} };
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts.length < 3) {
      continue;
    }
    const [id, controllers] = parts;
    const cgroupPath = parts.slice(2).join(':');
    if (id === '0' && controllers === '') {
      result.v2 = cgroupPath;
    } else {
      for (const controller of controllers.split(',')) {
        result.v1[controller] = cgroupPath;
      }
    }
  }
  return result;
}

/** `dir` and each of its parents up to `root`, deepest first. */
function withAncestors(root: string, cgroupPath: string): string[] {
  const parts = cgroupPath.split('/').filter(part => part !== '');
  const dirs: string[] = [];
  for (let n = parts.length; n >= 0; n--) {
    dirs.push([root, ...parts.slice(0, n)].join('/'));
  }
  return dirs;
}

/** The smallest limit found in `dirs` for `file`, parsed by `parse`. */
function smallestLimit(
  inputs: IHostInputs,
  dirs: string[],
  file: string,
  parse: (text: string) => number | undefined
): { value: number; path: string } | undefined {
  let best: { value: number; path: string } | undefined;
  for (const dir of dirs) {
    const filePath = `${dir}/${file}`;
    const text = inputs.readFile(filePath);
    const value = text === undefined ? undefined : parse(text.trim());
    if (value !== undefined && (best === undefined || value < best.value)) {
      best = { value, path: filePath };
    }
  }
  return best;
}

function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.split(/\s+/);
  if (quota === 'max' || period === undefined) {
    return undefined;
  }
  const cpus = Number(quota) / Number(period);
  return Number.isFinite(cpus) && cpus > 0 ? cpus : undefined;
}

function parseBytesLimit(text: string): number | undefined {
  if (text === 'max') {
    return undefined;
  }
  const value = Number(text);
  return Number.isFinite(value) && value > 0 && value < UNLIMITED ? value : undefined;
}

function positiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) {
    return undefined;
  }
  const value = Number(text);
  return value > 0 ? value : undefined;
}

/** Where a cgroup mounts a v1 controller: `cpu` may share with `cpuacct`. */
const V1_MOUNTS: Record<string, string[]> = {
  cpu: ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpuacct,cpu'],
  memory: ['/sys/fs/cgroup/memory']
};

function v1Dirs(paths: ICgroupPaths, controller: string): string[] {
  const cgroupPath = paths.v1[controller];
  if (cgroupPath === undefined) {
    return [];
  }
  // In a container the controller root is often the container's own cgroup,
  // while /proc/self/cgroup still names the host path: look at both.
  return V1_MOUNTS[controller].flatMap(mount => withAncestors(mount, cgroupPath));
}

function cgroupCpus(inputs: IHostInputs, paths: ICgroupPaths): ISourced | undefined {
  if (paths.v2 !== undefined) {
    const found = smallestLimit(inputs, withAncestors('/sys/fs/cgroup', paths.v2), 'cpu.max', parseCpuMax);
    if (found) {
      return { value: Math.ceil(found.value), source: `CPU limit of this cgroup (${found.path})` };
    }
  }
  const dirs = v1Dirs(paths, 'cpu');
  let best: { value: number; path: string } | undefined;
  for (const dir of dirs) {
    const quota = Number(inputs.readFile(`${dir}/cpu.cfs_quota_us`)?.trim());
    const period = Number(inputs.readFile(`${dir}/cpu.cfs_period_us`)?.trim());
    if (quota > 0 && period > 0 && (best === undefined || quota / period < best.value)) {
      best = { value: quota / period, path: `${dir}/cpu.cfs_quota_us` };
    }
  }
  return best && { value: Math.ceil(best.value), source: `CPU limit of this cgroup (${best.path})` };
}

function cgroupMemory(inputs: IHostInputs, paths: ICgroupPaths): ISourced | undefined {
  const found =
    (paths.v2 !== undefined
      ? smallestLimit(inputs, withAncestors('/sys/fs/cgroup', paths.v2), 'memory.max', parseBytesLimit)
      : undefined) ?? smallestLimit(inputs, v1Dirs(paths, 'memory'), 'memory.limit_in_bytes', parseBytesLimit);
  return found && { value: found.value, source: `memory limit of this cgroup (${found.path})` };
}

function detectCpus(inputs: IHostInputs, paths: ICgroupPaths): ISourced {
  const os: ISourced = { value: Math.max(1, inputs.cpus), source: 'CPUs of this machine' };
  const cgroup = cgroupCpus(inputs, paths);
  if (cgroup) {
    return cgroup.value < os.value ? cgroup : os;
  }
  const { env } = inputs;
  for (const name of ['SLURM_CPUS_ON_NODE', 'NCPUS', 'PBS_NCPUS']) {
    const value = positiveInt(env[name]);
    if (value !== undefined) {
      const scheduler = name.startsWith('SLURM') ? 'SLURM job' : 'PBS job';
      return { value, source: `CPUs of this ${scheduler} ($${name})` };
    }
  }
  return os;
}

function detectMemory(inputs: IHostInputs, paths: ICgroupPaths, cpus: number): ISourced {
  const os: ISourced = { value: inputs.totalmem, source: 'memory of this machine' };
  const cgroup = cgroupMemory(inputs, paths);
  if (cgroup) {
    return cgroup.value < os.value ? cgroup : os;
  }
  const { env } = inputs;
  // SLURM counts memory in megabytes of 2^20 bytes.
  const perNode = positiveInt(env.SLURM_MEM_PER_NODE);
  if (perNode !== undefined) {
    return { value: perNode * 2 ** 20, source: 'memory of this SLURM job ($SLURM_MEM_PER_NODE)' };
  }
  const perCpu = positiveInt(env.SLURM_MEM_PER_CPU);
  if (perCpu !== undefined) {
    return {
      value: perCpu * 2 ** 20 * cpus,
      source: `memory of this SLURM job ($SLURM_MEM_PER_CPU x ${cpus} CPUs)`
    };
  }
  for (const name of ['PBS_VMEM', 'PBS_MEM']) {
    const text = env[name];
    const value = text === undefined ? undefined : parsePbsMemory(text);
    if (value !== undefined && value > 0) {
      return { value, source: `memory of this PBS job ($${name})` };
    }
  }
  return os;
}

/** CPUs and memory for clusters on this host, most specific limit first. */
export function detectHostResources(inputs: IHostInputs): IHostResources {
  const paths = parseProcCgroup(inputs.readFile('/proc/self/cgroup') ?? '');
  const cpus = detectCpus(inputs, paths);
  return { cpus, memory: detectMemory(inputs, paths, cpus.value) };
}

/**
 * Memory kept for the OS and the Jupyter server: `spec` ("2GiB" or "15%"),
 * else max(1 GiB, 10% of `memory`).
 */
export function memoryReserve(memory: number, spec: string | undefined): ISourced | { error: string } {
  if (spec === undefined || spec.trim() === '') {
    const tenth = Math.floor(memory / 10);
    return tenth > 2 ** 30
      ? { value: tenth, source: '10% of memory kept for the system' }
      : { value: 2 ** 30, source: '1 GiB kept for the system' };
  }
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(spec);
  if (percent) {
    const share = Number(percent[1]);
    if (share >= 100) {
      return { error: `A memory reserve of ${spec} leaves nothing for workers; use less than 100%` };
    }
    return { value: Math.floor((memory * share) / 100), source: `${share}% of memory kept for the system` };
  }
  const bytes = parseMemory(spec);
  if (bytes === undefined) {
    return { error: `Memory reserve "${spec}" is not a memory size or a percentage (e.g. 2GiB or 10%)` };
  }
  return { value: bytes, source: `${spec.trim()} kept for the system` };
}
