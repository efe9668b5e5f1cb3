/** Small file helpers with the permissions the companion needs. */

import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

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
