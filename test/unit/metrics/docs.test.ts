// docs/metrics.md documents exactly the metrics src/metrics/productMetrics.ts registers, with
// their types, and every expression of docs/grafana-dashboard.json names a documented metric.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { productRegistry } from '../../../src/metrics/productMetrics';

const root = path.resolve(__dirname, '../../..');
const doc = readFileSync(path.join(root, 'docs/metrics.md'), 'utf8');

/** Rows "| `name` | type | ..." of the doc's tables. */
function documented(prefix: string): Map<string, string> {
  const rows = [...doc.matchAll(new RegExp(`^\\| \`(${prefix}[a-z_]+)\` \\| ([a-z]+) \\|`, 'gm'))];
  return new Map(rows.map((m) => [m[1], m[2]]));
}

test('every registered product metric is documented with its type, and nothing else is', () => {
  const registered = new Map(productRegistry.getMetricsAsArray().map((m) => [m.name, String(m.type)]));
  assert.deepEqual(new Map([...documented('amtprov_')].sort()), new Map([...registered].sort()));
});

test('the Grafana dashboard is JSON and every expression names a documented metric', () => {
  const dashboard = JSON.parse(readFileSync(path.join(root, 'docs/grafana-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const known = new Set([...documented('amtprov_').keys(), ...documented('temporal_').keys()]);
  const histograms = new Set([...documented('amtprov_'), ...documented('temporal_')].filter(([, type]) => type === 'histogram').map(([name]) => name));
  assert.ok(dashboard.panels.length > 0);
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
    for (const { expr } of panel.targets) {
      const names = expr.match(/\b(?:amtprov|temporal)_[a-z_]+/g) ?? [];
      assert.ok(names.length > 0, `${panel.title}: ${expr} names a metric`);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const ok = known.has(name) || (histograms.has(base) && base !== name);
        assert.ok(ok, `${panel.title}: ${name} is not a documented metric`);
      }
    }
  }
});
