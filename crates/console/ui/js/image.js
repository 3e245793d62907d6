// One image: its layers with their instructions, packages per layer, vulnerabilities, compliance
// and the policy verdict, from `GET /registry?id=<key>&layers=true`.
import { api, V } from './api.js';
import { h, table, errorBox } from './dom.js';
import { sevBadge, when, num, cveLink, imageName, SEVERITIES } from './format.js';

const rank = (s) => { const i = SEVERITIES.indexOf(String(s).toLowerCase()); return i < 0 ? 9 : i; };

export async function render(main, { arg }) {
  const { data } = await api(`${V}/registry?id=${encodeURIComponent(arg)}&layers=true&limit=1`);
  const r = Array.isArray(data) ? data[0] : null;
  if (!r) {
    main.append(h('h1', {}, 'Image not found'), errorBox(`no stored result for ${arg}`));
    return;
  }
  const name = imageName(r.repoTag || {});
  const d = r.vulnerabilityDistribution || {};
  const vulns = (r.vulnerabilities || []).slice().sort((a, b) => rank(a.severity) - rank(b.severity) || (b.cvss || 0) - (a.cvss || 0));
  const history = r.history || [];
  const layerName = new Map();
  let n = 0;
  for (const l of history) if (!l.emptyLayer) layerName.set(l.id, `layer ${++n}`);
  const policy = r.policy || null;

  main.append(
    h('h1', {}, h('span', { class: 'mono' }, name)),
    h('div', { class: 'cards' },
      SEVERITIES.map((s) => h('div', { class: 'card' }, h('span', { class: 'n' }, sevBadge(s, d[s] || 0)), h('span', { class: 'l' }, s))),
      h('div', { class: 'card' }, h('span', { class: 'n' }, num(r.vulnerabilityRiskScore)), h('span', { class: 'l' }, 'risk score')),
      h('div', { class: 'card' }, h('span', { class: 'n' }, num(r.complianceIssuesCount)), h('span', { class: 'l' }, 'compliance issues'))),
    h('section', { class: 'panel', 'aria-labelledby': 'h-facts' }, h('h2', { id: 'h-facts' }, 'Image'),
      h('dl', { class: 'kv' },
        h('dt', {}, 'OS'), h('dd', {}, r.distro || r.osDistro || '—'),
        h('dt', {}, 'Image ID'), h('dd', { class: 'mono' }, r.id || '—'),
        h('dt', {}, 'Digest'), h('dd', { class: 'mono' }, (r.repoTag && r.repoTag.digest) || '—'),
        h('dt', {}, 'Scanned'), h('dd', {}, when(r.scanTime)),
        h('dt', {}, 'Created'), h('dd', {}, when(r.creationTime)),
        h('dt', {}, 'Labels'), h('dd', {}, Object.entries((r.image && r.image.labels) || {}).map(([k, v]) => h('div', { class: 'mono' }, `${k}=${v}`))),
        r.err ? [h('dt', {}, 'Error'), h('dd', { class: 'bad' }, r.err)] : null)),
    h('section', { class: 'panel', 'aria-labelledby': 'h-policy' }, h('h2', { id: 'h-policy' }, 'Policy verdict'),
      policy ? h('div', {},
        h('p', {}, policy.blocked ? h('span', { class: 'bad' }, 'Blocked') : h('span', { class: 'ok' }, 'Allowed'),
          ` by vulnerability rule "${policy.vulnerabilityRule || '—'}" and compliance rule "${policy.complianceRule || '—'}".`),
        (policy.blockReasons || []).length ? h('ul', {}, policy.blockReasons.map((x) => h('li', {}, x))) : null)
        : h('p', { class: 'muted' }, 'No policy applied.')),
    h('section', { 'aria-labelledby': 'h-vulns' }, h('h2', { id: 'h-vulns' }, `Vulnerabilities (${num(vulns.length)})`),
      vulns.length ? table('Vulnerabilities', [
        { label: 'CVE' }, { label: 'Severity' }, { label: 'CVSS', num: true }, { label: 'Package', cls: 'wrap' },
        { label: 'Installed' }, { label: 'Status' }, { label: 'Layer', cls: 'hide-narrow' }, { label: 'Link', cls: 'hide-narrow' },
      ], vulns.map((v) => [
        cveLink(v.cve), sevBadge(v.severity), v.cvss ? v.cvss.toFixed(1) : '—', v.packageName, v.packageVersion,
        v.status || '—', layerName.get(v.functionLayer) || '—',
        /^https?:\/\//.test(v.link || '') ? h('a', { href: v.link, rel: 'noopener noreferrer', target: '_blank' }, 'advisory') : '—',
      ])) : h('p', { class: 'notice' }, 'No vulnerabilities found.')),
    h('section', { 'aria-labelledby': 'h-comp' }, h('h2', { id: 'h-comp' }, `Compliance (${num((r.complianceIssues || []).length)})`),
      (r.complianceIssues || []).length ? table('Compliance issues', [{ label: 'ID', num: true }, { label: 'Severity' }, { label: 'Issue', cls: 'wrap' }],
        r.complianceIssues.map((c) => [String(c.id), sevBadge(c.severity), c.title || c.description]))
        : h('p', { class: 'notice' }, 'No compliance issues.')),
    h('section', { 'aria-labelledby': 'h-layers' }, h('h2', { id: 'h-layers' }, `Layers (${num(n)})`),
      history.map((l, i) => layer(l, i, layerName, r.packages || [], n <= 6))),
  );
}

function layer(l, i, layerName, groups, openIfFull) {
  const pkgs = [];
  for (const g of groups) for (const p of g.pkgs || []) if (p.functionLayer && p.functionLayer === l.id) pkgs.push([g.pkgsType, p]);
  const title = l.emptyLayer ? `step ${i + 1} (no files)` : `${layerName.get(l.id)}: ${num(pkgs.length)} packages, ${num((l.vulnerabilities || []).length)} vulnerabilities`;
  return h('details', { class: 'panel', open: openIfFull && pkgs.length > 0 },
    h('summary', {}, title),
    h('p', { class: 'layer-cmd' }, l.instruction || '(no instruction recorded)'),
    pkgs.length ? table(`Packages of ${title}`, [{ label: 'Type' }, { label: 'Package', cls: 'wrap' }, { label: 'Version' }, { label: 'CVEs', num: true }],
      pkgs.map(([t, p]) => [t, p.name, p.version, num(p.cveCount)])) : null);
}
