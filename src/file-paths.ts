/**
 * The path operations the program needs: a folder joined with a name, a path's folder and its
 * last part. The same results as node:path's join, dirname and basename, without loading it:
 * that costs a start-up about 2 ms, and these three are all the program asks of it. POSIX paths
 * are worked out here; on Windows node:path's own rules (drives, both separators) apply.
 */
type WindowsPaths = (typeof import("node:path"))["win32"];

let windowsPaths: WindowsPaths | null | undefined;

/** node:path's Windows rules on Windows, else null; looked up once. */
function windows(): WindowsPaths | null {
  windowsPaths ??= process.platform === "win32" ? (require("node:path") as typeof import("node:path")).win32 : null;
  return windowsPaths;
}

/** `folder` and `name` as one path, normalised as path.join does ("a/./b/../c" is "a/c"). */
export function joinPath(folder: string, name: string): string {
  const win = windows();
  if (win !== null) return win.join(folder, name);
  const joined = [folder, name].filter((part) => part !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The folder `path` is in, as path.dirname gives it ("/a/b" → "/a", "b" → "."). */
export function folderOf(path: string): string {
  const win = windows();
  if (win !== null) return win.dirname(path);
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  // The last slash that follows a name; slashes at the end do not count.
  let end = -1;
  let trailing = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] === "/") {
      if (!trailing) {
        end = i;
        break;
      }
    } else trailing = false;
  }
  if (end === -1) return rooted ? "/" : ".";
  if (rooted && end === 1) return "//";
  return path.slice(0, end);
}

/** The last part of `path`, as path.basename gives it ("/a/b/" → "b"). */
export function lastPart(path: string): string {
  const win = windows();
  if (win !== null) return win.basename(path);
  let start = 0;
  let end = -1;
  for (let i = path.length - 1; i >= 0; i--) {
    if (path[i] === "/") {
      if (end !== -1) {
        start = i + 1;
        break;
      }
    } else if (end === -1) end = i + 1;
  }
  return end === -1 ? "" : path.slice(start, end);
}

/** "." and empty parts dropped, ".." applied, one trailing slash kept: path.posix.normalize. */
function normalize(path: string): string {
  const rooted = path.startsWith("/");
  const trailingSlash = path.endsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
    // Above the root there is nothing; above a relative start, ".." stays.
    else if (!rooted) parts.push("..");
  }
  const body = parts.join("/");
  if (body === "") return rooted ? "/" : trailingSlash ? "./" : ".";
  return `${rooted ? "/" : ""}${body}${trailingSlash ? "/" : ""}`;
}
