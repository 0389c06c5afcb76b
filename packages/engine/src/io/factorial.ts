/** n! for the multipole orders the lattice formats convert (AT PolynomB[n] = K_n / n!): 0! .. 12!. */
export const FACTORIAL: readonly number[] = [1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800, 39916800, 479001600];
