// Puts the build (.build/) into the Python package's dist/ file by file: a file with the same
// bytes is left alone, a new or changed one arrives by rename, the page last (after the assets it
// names), and files the build no longer has go after that. A server running from dist/
// meanwhile (the tests while `make test` builds) never sees it empty or a file half written.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const [from, to] = [".build", "../src/laneway/web/dist"];

function files(root) {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)));
}

const built = files(from).sort((a, b) => Number(a.endsWith(".html")) - Number(b.endsWith(".html")));
for (const name of built) {
  const bytes = readFileSync(join(from, name));
  const target = join(to, name);
  if (existsSync(target) && readFileSync(target).equals(bytes)) continue;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(`${target}.${process.pid}.tmp`, bytes);
  renameSync(`${target}.${process.pid}.tmp`, target);
}
const kept = new Set(built);
for (const name of files(to)) if (!kept.has(name)) rmSync(join(to, name));
