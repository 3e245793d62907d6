// Shared presentation: severities, dates, numbers, links to pages.
import { h } from './dom.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'];

export function sevBadge(sev, n) {
  const s = String(sev || '').toLowerCase();
  const label = n === undefined ? s || 'unknown' : String(n);
  const cls = n === 0 ? 'sev sev-zero' : `sev sev-${SEVERITIES.includes(s) || s === 'moderate' ? s : 'zero'}`;
  return h('span', { class: cls, title: n === undefined ? undefined : `${s}: ${n}` }, label);
}

export function when(text) {
  if (!text) return '—';
  const d = new Date(text);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 1971) return '—';
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function ago(text, now = Date.now()) {
  const d = new Date(text);
  if (!text || Number.isNaN(d.getTime())) return 'unknown';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export const num = (n) => Number(n || 0).toLocaleString('en-US');

/** The image page of a result key. */
export function imageLink(key, text) {
  return h('a', { href: `#/image/${encodeURIComponent(key)}` }, text ?? key);
}

export function cveLink(cve) {
  return h('a', { href: `#/vulnerability/${encodeURIComponent(cve)}` }, cve);
}

export function imageName(r) {
  const repo = r.registry ? `${r.registry}/${r.repo}` : r.repo;
  return `${repo}:${r.tag}`;
}
