// Reference comparisons for tests/differential.rs with Debian's node-semver (the npm
// registry's own library): usage: node npm.js PAIRS_FILE (same format and output as
// compare.py). A version is what semver.clean() makes of it; the order is semver.compare.
const fs = require('fs');
const semver = require('semver');
const out = [];
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line) continue;
  const [a, b] = line.split(' ').map((h) => Buffer.from(h.slice(1), 'hex').toString('utf8'));
  const ca = semver.clean(a);
  const cb = semver.clean(b);
  if (ca === null || cb === null) {
    out.push('E' + (ca === null ? 'a' : '') + (cb === null ? 'b' : ''));
  } else {
    out.push(String(semver.compare(ca, cb)));
  }
}
process.stdout.write(out.map((r) => r + '\n').join(''));
