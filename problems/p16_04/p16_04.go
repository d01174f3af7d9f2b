// Package p16_04 solves problem 16.4 of Prince, Understanding Deep Learning: the inverses and
// determinants, by hand, of
//
//	Omega_1 = diag(2, -5, 1, 2)                (the seed's printed 4x3 matrix lost a column),
//	Omega_2 = [[1,0,0,0],[2,4,0,0],[1,-1,2,0],[4,-2,-2,1]]   (lower triangular).
//
// Results (README.md has the derivation):
//
//	Omega_1^{-1} = diag(1/2, -1/5, 1, 1/2),       det Omega_1 = 2 (-5) 1 2 = -20,
//	Omega_2^{-1} = [[1,0,0,0],[-1/2,1/4,0,0],[-3/4,1/8,1/2,0],[-13/2,3/4,1,1]],
//	det Omega_2 = 1 * 4 * 2 * 1 = 8.
package p16_04

import "gonum.org/v1/gonum/mat"

// Omega1 returns the 4x4 diagonal matrix diag(2, -5, 1, 2) of problem 16.4.
func Omega1() *mat.Dense {
	return mat.NewDense(4, 4, []float64{
		2, 0, 0, 0,
		0, -5, 0, 0,
		0, 0, 1, 0,
		0, 0, 0, 2,
	})
}

// Omega2 returns the 4x4 lower-triangular matrix of problem 16.4 (eq. 16.29).
func Omega2() *mat.Dense {
	return mat.NewDense(4, 4, []float64{
		1, 0, 0, 0,
		2, 4, 0, 0,
		1, -1, 2, 0,
		4, -2, -2, 1,
	})
}

// Omega1Inverse returns the hand-derived inverse diag(1/2, -1/5, 1, 1/2): the inverse of a
// diagonal matrix inverts each diagonal entry.
func Omega1Inverse() *mat.Dense {
	return mat.NewDense(4, 4, []float64{
		1.0 / 2, 0, 0, 0,
		0, -1.0 / 5, 0, 0,
		0, 0, 1, 0,
		0, 0, 0, 1.0 / 2,
	})
}

// Omega2Inverse returns the hand-derived inverse of Omega2, found by forward substitution
// column by column (README.md); it is lower triangular with diagonal (1, 1/4, 1/2, 1).
func Omega2Inverse() *mat.Dense {
	return mat.NewDense(4, 4, []float64{
		1, 0, 0, 0,
		-1.0 / 2, 1.0 / 4, 0, 0,
		-3.0 / 4, 1.0 / 8, 1.0 / 2, 0,
		-13.0 / 2, 3.0 / 4, 1, 1,
	})
}

// Omega1Det is the hand-derived determinant of Omega1, the product of its diagonal: -20.
const Omega1Det = -20.0

// Omega2Det is the hand-derived determinant of Omega2, the product of its diagonal: 8.
const Omega2Det = 8.0
