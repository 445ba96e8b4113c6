/**
 * Fails when a committed file holds a credential: private keys, AWS keys, OpenAI /
 * Anthropic-style `sk-…` keys, GitHub and Slack tokens, JWTs, URLs with a password,
 * and password/secret/token assignments with a literal value. Scans the files git
 * tracks plus new files not ignored, and prints file:line with the secret masked.
 *
 * Test code may hold throw-away credentials: paths matching ALLOWED_PATHS skip the
 * generic rules (never the key-shaped ones). A single line can be exempted with the
 * marker `secret-scan: allow` and a reason; scripts/ci/secret-scan-allowlist.txt
 * exempts whole paths (one glob per line, optional `rule-name:` prefix).
 *
 *   tsx tools/ci/src/secret-scan.ts [--root DIR] [files...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface Finding {
  file: string;
  line: number;
  rule: string;
  excerpt: string;
}

interface Rule {
  name: string;
  pattern: RegExp;
  /** Which capture group holds the secret (for masking and placeholder checks). */
  group?: number;
  /** Generic rules are skipped in test fixtures; key-shaped ones never are. */
  generic?: boolean;
}

const RULES: Rule[] = [
  { name: 'private-key', pattern: /-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----/ },
  { name: 'aws-access-key-id', pattern: /\b((?:AKIA|ASIA)[0-9A-Z]{16})\b/, group: 1 },
  {
    name: 'aws-secret-access-key',
    pattern: /aws_?secret_?access_?key\s*["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})\b/i,
    group: 1,
  },
  {
    name: 'openai-style-key',
    pattern: /\b(sk-(?:proj-|ant-(?:api\d+-)?|live-|svcacct-)?[A-Za-z0-9_-]{20,})/,
    group: 1,
  },
  {
    name: 'github-token',
    pattern: /\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/,
    group: 1,
  },
  { name: 'slack-token', pattern: /\b(xox[abposr]-[A-Za-z0-9-]{10,})/, group: 1 },
  {
    name: 'slack-webhook',
    pattern: /(https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+)/,
    group: 1,
  },
  { name: 'jwt', pattern: /\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})/, group: 1 },
  {
    name: 'url-with-password',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@'"`]+:([^@\s/'"`]+)@[^\s'"`]+/,
    group: 1,
    generic: true,
  },
  {
    name: 'password-assignment',
    // key (containing password/secret/token/api key) = or : a literal, quoted or bare.
    pattern:
      /\b([A-Za-z0-9_-]*(?:password|passwd|secret|token|api[_-]?key)[A-Za-z0-9_-]*)["']?\s*[:=]\s*(?:(["'])([^"'\n]{8,})\2|([^\s"'`,;#(){}[\]]{8,}))/i,
    group: 3,
    generic: true,
  },
];

/** Test code and fixtures: throw-away credentials are expected there. */
const ALLOWED_PATHS = [
  /(^|\/)test\//,
  /(^|\/)tests\//,
  /(^|\/)e2e\//,
  /(^|\/)fixtures?\//,
  /(^|\/)bench\//,
  /\.test\.[cm]?[jt]sx?$/,
  /\.spec\.[cm]?[jt]sx?$/,
];

/** Values that name a secret rather than being one. */
function isPlaceholder(value: string): boolean {
  return (
    /^\$|\$\{|\{\{|<[^>]*>|^%|process\.env|os\.environ|^\*+$|\.\.\.|…|^x+$/i.test(value) ||
    /^(changeme|change-me|example|placeholder|redacted|secret|password|token|none|null|undefined|true|false)$/i.test(
      value,
    ) ||
    /placeholder|example|not-a-|your[-_]|dummy|fake|sample/i.test(value)
  );
}

/** A literal that looks like a credential: long enough, mixes letters and digits or symbols. */
function looksSecret(value: string): boolean {
  if (value.length < 8 || /\s/.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length;
  return /[0-9]/.test(value) && classes >= 2;
}

/** Names matched by the assignment rule that are not credentials. */
const NOT_SECRET_KEY =
  /(_?file|_?path|_?header|_?name|_?ttl\w*|_?url_file|_?env|_?length|_?rule|_?type|_?id|_?kind|_?count|max\w*|min\w*)$/i;

export function scanText(file: string, text: string, allowlist: { glob: RegExp; rule?: string }[] = []): Finding[] {
  const findings: Finding[] = [];
  const isTest = ALLOWED_PATHS.some((p) => p.test(file));
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (/secret-scan:\s*allow/.test(line)) return;
    for (const rule of RULES) {
      if (rule.generic && isTest) continue;
      if (allowlist.some((a) => a.glob.test(file) && (!a.rule || a.rule === rule.name))) continue;
      const m = rule.pattern.exec(line);
      if (!m) continue;
      if (rule.name === 'private-key') {
        // A PEM header followed by real key material (not a placeholder in docs or CI values).
        const body = lines.slice(index + 1, index + 3).join('');
        if (!/^[\s"'`]*[A-Za-z0-9+/=]{20,}/.test(body) && !/\\n[A-Za-z0-9+/=]{20,}/.test(line)) continue;
      }
      const secret = (rule.name === 'password-assignment' ? (m[3] ?? m[4]) : m[rule.group ?? 0]) ?? m[0];
      if (rule.generic || rule.name === 'openai-style-key') {
        if (isPlaceholder(secret)) continue;
        if (rule.name === 'password-assignment' && (NOT_SECRET_KEY.test(m[1]!) || !looksSecret(secret))) continue;
        if (rule.name === 'openai-style-key') {
          if (!/[0-9]/.test(secret) || /(^|[-_])(test|fake|dummy|example)([-_]|$)/i.test(secret)) continue;
          // Test code may use short stand-ins; real keys are 45+ characters long.
          if (isTest && secret.length < 45) continue;
        }
      }
      findings.push({ file, line: index + 1, rule: rule.name, excerpt: mask(line.trim(), secret) });
    }
  });
  return findings;
}

function mask(line: string, secret: string): string {
  const shown = secret.length > 8 ? `${secret.slice(0, 4)}…[${secret.length} chars]` : '[redacted]';
  const masked = line.split(secret).join(shown);
  return masked.length > 160 ? `${masked.slice(0, 157)}...` : masked;
}

function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\/?/g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replaceAll('\u0000', '.*');
  return new RegExp(`^${re}$`);
}

export function loadAllowlist(root: string): { glob: RegExp; rule?: string }[] {
  const file = join(root, 'scripts/ci/secret-scan-allowlist.txt');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-z-]+):(.+)$/.exec(l);
      return m && RULES.some((r) => r.name === m[1])
        ? { rule: m[1]!, glob: globToRegExp(m[2]!.trim()) }
        : { glob: globToRegExp(l) };
    });
}

export function scanRepository(root: string, only?: string[]): Finding[] {
  const files =
    only && only.length > 0
      ? only
      : execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
          cwd: root,
          encoding: 'utf8',
        })
          .split('\0')
          .filter(Boolean);
  const allowlist = loadAllowlist(root);
  const findings: Finding[] = [];
  for (const file of files) {
    const path = resolve(root, file);
    if (!existsSync(path) || !statSync(path).isFile() || statSync(path).size > 2_000_000) continue;
    if (/pnpm-lock\.yaml$|\.(png|jpe?g|gif|ico|pdf|woff2?|ttf|zip|gz|wasm)$/i.test(file)) continue;
    const buffer = readFileSync(path);
    if (buffer.includes(0)) continue; // binary
    findings.push(...scanText(file, buffer.toString('utf8'), allowlist));
  }
  return findings;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--root');
  const root = at >= 0 ? resolve(args[at + 1]!) : process.cwd();
  const files = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
  const findings = scanRepository(root, files);
  for (const f of findings) process.stdout.write(`${f.file}:${f.line}: ${f.rule}: ${f.excerpt}\n`);
  if (findings.length > 0) {
    process.stdout.write(
      `secret scan: ${findings.length} possible credential(s). Remove them (and rotate them: they are in git history), ` +
        'or, for a deliberate test value, add "secret-scan: allow" with a reason on the line.\n',
    );
    process.exit(1);
  }
  process.stdout.write('secret scan: no credentials found\n');
}
