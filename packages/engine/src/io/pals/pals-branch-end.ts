/**
 * A PALS branch ends with a Marker. When a lattice does not, mlayer's writer appends
 * one with this description, and mlayer's reader leaves it out, so that an AT -> PALS
 * -> AT round trip gives the same elements; other readers see an ordinary Marker.
 */
export const BRANCH_END = 'end of the branch, appended by mlayer: not an element of the lattice';
