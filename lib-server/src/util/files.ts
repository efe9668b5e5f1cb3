/** Small file helpers with the permissions the companion needs. */

import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync
} from 'node:fs';
import path from 'node:path';

/** A directory that other users own or can write: the companion will not keep state in it. */
export class UnsafeDirectoryError extends Error {}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Create `dir` 0700 if missing, then refuse it (UnsafeDirectoryError) when
 * another user owns it or can write it, or when a world-writable parent
 * without the sticky bit would let anyone swap it; a directory of ours that
 * others can only read is tightened to 0700.
 */
export function preparePrivateDir(dir: string, uid: number | undefined = process.getuid?.()): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  if (!info.isDirectory()) {
    throw new UnsafeDirectoryError(
      `${dir} is not a directory; remove it, or set JUPYTERLAB_DASK_CLUSTERS_STATE_DIR to a directory of your own.`
    );
  }
  if (uid !== undefined && info.uid !== uid) {
    throw new UnsafeDirectoryError(
      `${dir} belongs to user id ${info.uid}, not to you (${uid}), so its owner could read your clusters' credentials and change what they run. ` +
        'Remove it (or ask its owner to), or set JUPYTERLAB_DASK_CLUSTERS_STATE_DIR to a directory of your own.'
    );
  }
  if ((info.mode & 0o022) !== 0) {
    throw new UnsafeDirectoryError(
      `${dir} can be written by other users (mode ${octal(info.mode)}), who could then change your clusters. Run: chmod 700 ${dir}`
    );
  }
  if ((info.mode & 0o077) !== 0) {
    chmodSync(dir, 0o700);
  }
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    const p = statSync(parent);
    if ((p.mode & 0o002) !== 0 && (p.mode & 0o1000) === 0) {
      throw new UnsafeDirectoryError(
        `${parent}, which holds ${dir}, can be written by anyone (mode ${octal(p.mode)}) and lacks the sticky bit, so another user could replace your state directory. ` +
          `Run: chmod o-w ${parent} (or chmod +t), or set JUPYTERLAB_DASK_CLUSTERS_STATE_DIR elsewhere.`
      );
    }
    if (parent === path.dirname(parent)) {
      break;
    }
  }
}

/** Create `dir` (and parents) readable by this user only; tighten it if it is ours but open to others. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  if (info.uid === process.getuid?.() && (info.mode & 0o077) !== 0) {
    chmodSync(dir, 0o700);
  }
}

/**
 * Replace `file` with `text` atomically: write a temporary file (0600) in the
 * same directory, flush it, then rename it over the old one.
 */
export function writeFileAtomic(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** The last `count` lines of `file` (reads at most its last 64 KiB); [] if unreadable. */
export function readTail(file: string, count: number): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (length < size) {
      lines.shift(); // probably cut in the middle
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') {
      lines.pop();
    }
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

/** Remove `dir` and everything in it; true when it is gone afterwards. */
export function removeDir(dir: string): boolean {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    return true;
  } catch {
    return false;
  }
}
