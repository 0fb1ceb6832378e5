/**
 * A file's stat as one string — size, modification and change times, inode — that stays the
 * same exactly while the file does (the test make and ninja trust). Lets a digest computed
 * once be reused until the file is written, replaced or re-linked.
 */
import type { Stats } from 'node:fs';

export function statStamp(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
}
