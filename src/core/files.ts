/**
 * Files the user names (a report, a patch file): what is wrong with one that is not a regular
 * file, said plainly. Reading /dev/zero or a fifo would never end; a folder, a dangling link and
 * a symlink loop are all "no such file" to a careless reader, which sends the user looking for
 * the wrong mistake.
 */
import { lstatSync, statSync } from 'node:fs';

/** Why `path` is not a readable regular file, or null when it is one. */
export function notARegularFile(path: string): string | null {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    switch (code) {
      case 'ELOOP':
        return 'is a symbolic link loop (following it leads back to itself), not a file';
      case 'ENOENT':
        try {
          if (lstatSync(path).isSymbolicLink()) return 'is a symbolic link to nothing (its target does not exist)';
        } catch {
          /* not even a link */
        }
        return 'no such file';
      case 'ENOTDIR':
        return 'no such file (a part of the path before it is a file, not a folder)';
      case 'EACCES':
      case 'EPERM':
        return 'permission denied';
      case 'ENAMETOOLONG':
        return 'the path is too long';
      default:
        return (e as Error).message;
    }
  }
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'is a folder, not a file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'is a device, not a file';
  if (st.isFIFO()) return 'is a named pipe (fifo), not a file: reading it would wait for a writer';
  if (st.isSocket()) return 'is a socket, not a file';
  return 'is not a regular file';
}
