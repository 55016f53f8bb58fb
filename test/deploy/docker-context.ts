import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * The files `docker build .` sends as its context: the working tree's files (tracked, and untracked
 * ones git does not ignore: what a fresh checkout of this commit plus the edits in hand holds, never
 * node_modules or dist/; outside a git checkout, every file), minus what .dockerignore leaves out. Only the pattern forms .dockerignore
 * uses are understood (a name or path from the root, `**​/name` at any depth, `*` inside one
 * segment); any other form throws, so the copy can never silently differ from Docker's.
 */
export function dockerContextFiles(root: string): string[] {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  const matchers = patterns.map(toMatcher)
  const files = gitFiles(root) ?? walk(root, '')
  // a deleted file still listed by --cached is not in the working tree
  return files.filter((f) => !matchers.some((m) => m(f))).filter((f) => existsSync(join(root, f)))
}

/** the working tree's files as git sees them; null outside a git checkout (e.g. an unpacked archive) */
function gitFiles(root: string): string[] | null {
  try {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\0')
      .filter((f) => f !== '')
  } catch {
    return null
  }
}

/** every file under root (.dockerignore then drops node_modules, dist and the rest) */
function walk(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) => {
    const path = dir ? `${dir}/${d.name}` : d.name
    if (d.isDirectory()) return d.name === 'node_modules' || d.name === '.git' ? [] : walk(root, path)
    return d.isFile() ? [path] : []
  })
}

/** one .dockerignore line → does it exclude this path (or a directory above it)? */
function toMatcher(pattern: string): (file: string) => boolean {
  if (pattern.startsWith('!') || /[?[\]\\]/.test(pattern) || pattern.startsWith('/'))
    throw new Error(`.dockerignore: pattern form not understood by the test: ${pattern}`)
  const anyDepth = pattern.startsWith('**/')
  const body = anyDepth ? pattern.slice(3) : pattern
  if (body.includes('**'))
    throw new Error(`.dockerignore: pattern form not understood by the test: ${pattern}`)
  const segment = (s: string) => new RegExp(`^${s.split('*').map(escapeRegExp).join('[^/]*')}$`)
  const parts = body.split('/').map(segment)
  return (file) => {
    const segs = file.split('/')
    const starts = anyDepth ? segs.map((_, i) => i) : [0]
    // a pattern naming a directory excludes everything under it
    return starts.some(
      (s) => parts.length <= segs.length - s && parts.every((re, i) => re.test(segs[s + i]!)),
    )
  }
}

const escapeRegExp = (s: string) => s.replace(/[.+^${}()|]/g, '\\$&')

/** copies the context files of `root` into `to`, keeping their paths and file modes */
export function copyDockerContext(root: string, to: string): string[] {
  const files = dockerContextFiles(root)
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true })
    copyFileSync(join(root, f), join(to, f))
  }
  return files
}
