import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import type { BuiltFacility } from './pytac-facility.js';

/**
 * The facility as YAML text: one line per device and per unit conversion (flow
 * maps), block style above, with a header comment and the per-family and
 * per-conversion comments of the import.
 */
export function facilityYaml(built: BuiltFacility, header: string): string {
  const doc = new Document(built.facility);
  doc.commentBefore = header
    .split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');
  const families = doc.get('families', true);
  if (isMap(families)) {
    for (const pair of families.items) {
      const name = String((pair.key as { value?: unknown }).value ?? pair.key);
      const fam = pair.value as YAMLMap;
      const comment = built.familyComments.get(name);
      if (comment) fam.commentBefore = comment.split('\n').map((l) => ` ${l}`).join('\n');
      const devices = fam.get('devices', true);
      if (isSeq(devices)) for (const d of devices.items) if (isMap(d)) d.flow = true;
      const fields = fam.get('fields', true);
      if (isMap(fields)) {
        for (const f of fields.items) {
          if (!isMap(f.value)) continue;
          for (const k of ['units', 'channels', 'limits']) {
            const n = f.value.get(k, true);
            if (isMap(n) || isSeq(n)) n.flow = true;
          }
        }
      }
      const model = fam.get('model', true);
      if (isMap(model)) model.flow = true;
      const memberOf = fam.get('memberOf', true);
      if (isSeq(memberOf)) memberOf.flow = true;
    }
  }
  const convs = doc.get('unitConversions', true);
  if (isMap(convs)) {
    for (const pair of convs.items) {
      const id = String((pair.key as { value?: unknown }).value ?? pair.key);
      if (isMap(pair.value)) pair.value.flow = true;
      const c = built.conversionComments.get(id);
      if (c) (pair.key as { commentBefore?: string }).commentBefore = ` ${c}`;
    }
  }
  const tools = doc.get('tools', true);
  if (isMap(tools)) {
    (tools as unknown as { commentBefore?: string }).commentBefore = ' Defaults of the tools (mlayer orbit/tune/chrom/model without the option); see README.md.';
    for (const section of tools.items) {
      if (!isMap(section.value)) continue;
      for (const item of section.value.items) if (isMap(item.value) || isSeq(item.value)) item.value.flow = true;
    }
  }
  // Beam sections (hand-written, --beam): numbers and small maps on one line each.
  for (const k of ['injection', 'chamber', 'openLine']) {
    const flowInner = (node: unknown, depth: number): void => {
      if (isSeq(node)) node.flow = true;
      else if (isMap(node)) {
        if (depth > 0 && node.items.every((i) => !isMap(i.value))) node.flow = true;
        for (const i of node.items) flowInner(i.value, depth + 1);
      }
    };
    flowInner(doc.get(k, true), 0);
  }
  for (const k of ['lattice']) {
    const n = doc.get(k, true);
    if (isMap(n)) n.flow = true;
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}
