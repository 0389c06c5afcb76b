/** What a family is for the tools: its element class or one of its groups (MML MemberOf). */
export interface ClassifiedFamily {
  readonly elementClass: string;
  readonly memberOf?: readonly string[];
}

/** True when the family's element class or one of its groups is `cls` ('bpm', 'corrector', 'hcm', ...), ignoring case. */
export function isFamilyOfClass(family: ClassifiedFamily, cls: string): boolean {
  const c = cls.toLowerCase();
  return family.elementClass.toLowerCase() === c || (family.memberOf ?? []).some((g) => g.toLowerCase() === c);
}
