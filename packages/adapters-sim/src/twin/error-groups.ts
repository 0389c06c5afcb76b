import type { FacilityConfig } from '@mlayer/core';

/**
 * An error set may key its magnets and BPMs by family or by group (MML MemberOf,
 * as the demo error set does with QUAD): a group key stands for each of its
 * families. Keys that are neither are left for the error-set check to report.
 */
export function expandErrorGroups(config: FacilityConfig, spec: unknown): unknown {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return spec;
  const families = Object.keys(config.families);
  const expand = (section: unknown): unknown => {
    if (section === null || typeof section !== 'object' || Array.isArray(section)) return section;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
      const members = families.filter((f) => config.families[f].memberOf.includes(key));
      if (families.includes(key) || members.length === 0) out[key] = value;
      else for (const f of members) if (!(f in out)) out[f] = value;
    }
    return out;
  };
  const s = spec as Record<string, unknown>;
  return { ...s, ...('magnets' in s ? { magnets: expand(s.magnets) } : {}), ...('bpms' in s ? { bpms: expand(s.bpms) } : {}) };
}
